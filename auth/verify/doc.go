// Package verify checks Clerk session tokens (RS256 JWTs) in Go, for the
// desktop app before it uses or forwards a token, and as HTTP middleware in
// front of an API server.
//
// Keys come only from configuration: the instance's JWKS URL or a PEM public
// key for networkless checks. Headers that point elsewhere (jku, x5u, jwk,
// x5c) are ignored. The JWKS is kept fresh with jwx's jwk.Cache, with that
// cache's gaps closed: every fetch has a timeout and a size cap; a failed
// first fetch is retried with backoff; an unknown kid triggers one refetch,
// rate-limited (Config.MinRefetchInterval) and shared by all goroutines
// waiting for it; a fetch that fails or returns garbage keeps the last good
// key set; a key removed from the JWKS stops verifying after the next fetch.
// New never fails because the endpoint is down; Verify answers
// ErrKeysUnavailable until a key set has been fetched.
//
// Verify applies every rule a Clerk session token must pass and returns typed
// Claims, or an *Error whose Reason is one of the Err… sentinels, so callers
// branch with errors.Is. No error message contains the token or a claim value.
//
// Cost: a first-seen token costs about one RSA-2048 public-key operation plus a
// few microseconds (the RSA check runs on the raw signing input, the claims go
// through a small JSON decoder and golang-jwt's Validator); a repeated token is
// answered from a bounded cache in well under a microsecond, with exp and the
// key's presence checked again on every hit.
package verify
