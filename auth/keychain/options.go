package keychain

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
)

// Defaults and limits.
const (
	// DefaultAccount is the account (user) name of the manifest entry. Clerk's
	// own native SDKs keep the client token under this key.
	DefaultAccount = "__clerk_client_jwt"
	// DefaultTimeout bounds every Store call, including waiting for another
	// call on the same Store.
	DefaultTimeout = 3 * time.Second
	// DefaultChunkSize keeps every entry under Windows' 2,560-byte credential
	// blob and under macOS's ~3 KB limit for `security -i` (base64 inflates by
	// 4/3 and the service and account names count too).
	DefaultChunkSize = 2000
	// MaxChunkSize is Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE.
	MaxChunkSize = 2560
	// MinChunkSize exists so that a typo cannot make a value thousands of
	// entries long.
	MinChunkSize = 64
	// DefaultRetryInterval is how long after a failed start-up probe the Store
	// first tries the keychain again; the wait doubles up to maxRetryInterval.
	DefaultRetryInterval = 2 * time.Second
	maxRetryInterval     = time.Minute
	// MaxValueSize is the largest value Save accepts. A Clerk client token is
	// a few hundred bytes to a few KB; anything this large is a bug upstream.
	MaxValueSize = 64 << 10
)

// Options configure a Store. App and Instance are required; every other field
// has a default.
type Options struct {
	// App names the application, e.g. "deskclerk".
	App string
	// Instance is the Clerk Frontend API host, e.g. "clerk.example.com" (a
	// port may follow, e.g. "127.0.0.1:4318" for the emulator). It is part of
	// the service name so that dev, production and emulator instances never
	// share an entry; pass a stable string, or a restart will not find the
	// previous entry. Matched case-insensitively.
	Instance string
	// Account is the account name of the manifest entry; chunk entries add
	// ".<generation>.<index>". Default DefaultAccount.
	Account string
	// Timeout bounds each Load, Save and Delete as a whole and the probe in
	// Open. Default DefaultTimeout.
	Timeout time.Duration
	// ChunkSize is the largest entry written, in bytes; longer values are
	// split into chunks. Between MinChunkSize and MaxChunkSize; default
	// DefaultChunkSize.
	ChunkSize int
	// RetryInterval is the first wait before trying again a keychain that did
	// not answer at Open (see Open). Default DefaultRetryInterval.
	RetryInterval time.Duration
	// Backend is the keychain. Default SystemBackend().
	Backend Backend
	// Logger receives warnings (fallback to memory, failed writes); values are
	// never logged. Default slog.Default().
	Logger *slog.Logger
}

// ServiceName is the keychain service name of the entries: "App (Instance)",
// e.g. "deskclerk (clerk.example.com)". On Linux it is the "service" attribute
// that `secret-tool search service 'deskclerk (clerk.example.com)'` matches;
// the account is the "username" attribute. Instance is lower-cased.
func (o Options) ServiceName() string {
	return fmt.Sprintf("%s (%s)", strings.TrimSpace(o.App), strings.ToLower(strings.TrimSpace(o.Instance)))
}

// Validate reports the first problem with o, wrapped in ErrInvalidOptions.
// Zero values that have defaults are fine.
func (o Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	app := strings.TrimSpace(o.App)
	switch {
	case app == "":
		return bad("App is empty")
	case len(app) > 64 || hasControlOrParen(app):
		return bad("App must be at most 64 printable characters without parentheses")
	}
	inst := strings.TrimSpace(o.Instance)
	switch {
	case inst == "":
		return bad("Instance is empty; pass the Frontend API host, e.g. clerk.example.com")
	case len(inst) > 260 || strings.ContainsAny(inst, "/\\@?#") || strings.ContainsFunc(inst, unicode.IsSpace) || hasControlOrParen(inst):
		return bad("Instance must be a host name (optionally with :port), not a URL, e.g. clerk.example.com")
	}
	if o.Account != "" && (len(o.Account) > 128 || hasControlOrParen(o.Account) || strings.ContainsFunc(o.Account, unicode.IsSpace)) {
		return bad("Account must be at most 128 printable characters without spaces")
	}
	if o.Timeout < 0 {
		return bad("Timeout is negative")
	}
	if o.ChunkSize != 0 && (o.ChunkSize < MinChunkSize || o.ChunkSize > MaxChunkSize) {
		return bad("ChunkSize %d is outside %d..%d", o.ChunkSize, MinChunkSize, MaxChunkSize)
	}
	return nil
}

func hasControlOrParen(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '(' || r == ')' })
}

// withDefaults fills zero fields. It does not validate.
func (o Options) withDefaults() Options {
	o.App = strings.TrimSpace(o.App)
	o.Instance = strings.ToLower(strings.TrimSpace(o.Instance))
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.Backend == nil {
		o.Backend = SystemBackend()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
