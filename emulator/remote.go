package emulator

import "deskclerk/auth/instance"

// Remote describes a standalone emulator (cmd/emulator) already running at url:
// the same host names and keys as the embedded one, reached at its own address.
// It has the embedded Server's instance methods, so the app can use either.
type Remote struct {
	URL        string
	Production bool // it was started with -production (cmd/emulator)
}

// FrontendAPIURL is the standalone emulator's base URL.
func (r Remote) FrontendAPIURL() string { return r.URL }

// FrontendAPIHost is the fixed Frontend API host name.
func (Remote) FrontendAPIHost() string { return FrontendAPIHost }

// Issuer is the fixed issuer of the emulator's session tokens.
func (Remote) Issuer() string { return "https://" + FrontendAPIHost }

// JWKSURL is where the standalone emulator publishes its signing key.
func (r Remote) JWKSURL() string { return r.URL + "/.well-known/jwks.json" }

// PublishableKey is the key naming the emulator's host (pk_live_ in production mode).
func (r Remote) PublishableKey() string {
	return instance.PublishableKeyFor(FrontendAPIHost, r.Production)
}

// APIURL is empty: the standalone emulator's API address is configured separately.
func (Remote) APIURL() string { return "" }

// Close does nothing: the standalone emulator belongs to whoever started it.
func (Remote) Close() error { return nil }
