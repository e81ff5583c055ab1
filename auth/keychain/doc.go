// Package keychain keeps the app's refresh state — Clerk's client token, the
// value ClerkJS sends as Authorization in native mode — in the OS keychain, so
// that a person stays signed in across restarts. Only Go reads it; it never
// goes to the webview, to logs or to a file.
//
// # Entries
//
// Everything lives under one service name, Options.ServiceName:
// "<App> (<Instance>)", e.g. "deskclerk (clerk.example.com)". The Frontend API
// host is part of it, so dev, production and emulator instances never share
// an entry. The manifest entry's account is Options.Account
// ("__clerk_client_jwt" by default, the key Clerk's own SDKs use); a value
// longer than Options.ChunkSize (2,000 bytes by default, under Windows' 2,560
// and macOS's ~3 KB) is split into chunk entries named
// "<Account>.<generation>.<index>". On Linux these are the Secret Service
// attributes service and username:
//
//	secret-tool search --all service 'deskclerk (clerk.example.com)'
//
// A new value becomes current with a single write of the manifest, after its
// chunks are written; older chunks are deleted afterwards, and chunks being
// written are announced in the manifest first. So a crash at any point leaves
// the old or the new value readable, never a mix, and no chunk that a later
// Save or Delete would not find and delete (see layout.go).
//
// # Timeouts and failure
//
// go-keyring takes no context; a locked Secret Service can wait forever on an
// unlock prompt. Every Open, Load, Save and Delete returns within
// Options.Timeout (3 s by default) or the caller's deadline, with ErrTimeout;
// at most one backend call per Store is ever left running in the background.
//
// If the keychain does not work when Open probes it, the Store keeps the
// state in memory for this run only (fail closed: there is no file fallback)
// and Health says so, for the UI to tell the user they will not stay signed
// in.
//
// # Ordering
//
// Token rotations may race. Each Save or Delete call takes a number when it
// is entered, and the state of the latest call always wins; see Store.Save.
// The Store assumes it is the only writer of its service in this process and
// that one process writes at a time (the app is single-instance).
//
// # Tests
//
// Unit tests use NewMemoryBackend and fault-injecting fakes. The tests against
// a real Secret Service (gnome-keyring on a private D-Bus session) run under
// testdata/run-with-keyring.sh, which sets DESKCLERK_REAL_KEYRING=1:
//
//	auth/keychain/testdata/run-with-keyring.sh go test ./auth/keychain/...
//
// Without it they skip, or fail when DESKCLERK_REAL_KEYRING=1 is set.
package keychain
