// Package loopback receives Clerk's social / SSO sign-in redirect on a short-lived
// loopback HTTP listener, so that sign-in happens in the person's system browser
// (RFC 8252 §8.12) while ClerkJS in the app window finishes it.
//
// # How it fits ClerkJS
//
// ClerkJS 6's __internal_oauthTransport has two calls, which the app binds to a Manager:
//
//	getRedirectUrl() → Manager.Begin()        → "http://127.0.0.1:<port>/callback/<secret>"
//	open(url)        → Manager.Open(ctx, url) → {callbackUrl: Result.CallbackURL}
//
// ClerkJS creates the sign-in with that redirect URL, Open launches Clerk's URL in the
// system browser, Clerk finally redirects the browser to
// <redirect URL>?rotating_token_nonce=… (or ?__clerk_status=failed&__clerk_error_code=…),
// and Open returns the full callback URL, which ClerkJS parses before signIn.reload and
// setActive.
//
// # What the listener accepts (RFC 8252 §7.3, §8.3; RFC 9700)
//
//   - It binds the IP literals 127.0.0.1 and, where available, [::1] — never 0.0.0.0,
//     :: or "localhost" — on an ephemeral port (Options.Port fixes one, for Clerk
//     instances that allowlist an exact redirect URL; a taken port is ErrPortInUse).
//     On Windows the socket is exclusive (SO_EXCLUSIVEADDRUSE).
//   - It exists only while a flow runs, and closes after the first valid callback, on
//     timeout (Options.Timeout, 3 minutes by default), on Cancel, or when ctx ends.
//   - The path is /callback/ plus 32 random bytes (base64url), new for each flow. Clerk
//     chooses the nonce and appends its own query to the redirect URL, so this secret
//     path, not a query parameter, is what keeps other local programs and web pages
//     from completing or spoiling the flow.
//   - The Host header must be exactly the address and port the request came in on
//     (DNS-rebinding defence). Only GET is accepted.
//   - A valid callback has at most one well-formed rotating_token_nonce, or reports a
//     failure (__clerk_status=failed, or an OAuth error=…); see ParseCallbackQuery.
//     Anything else gets 400 or 404 with a fixed body and the flow keeps waiting; a
//     replay or a second callback after the first gets 404.
//   - The browser gets a static landing page telling the person to return to the app;
//     nothing from the request is reflected, no script, no links, no CORS headers,
//     Referrer-Policy no-referrer.
//   - Logs carry reasons only, never the secret path, the query or the nonce; Result
//     and Flow redact themselves when printed.
//
// One flow at a time is the Manager's rule (ErrBusy). Errors that end a flow are
// ErrTimeout, ErrCanceled and listener failures; a callback with
// __clerk_status=failed is a normal Result whose Err method returns a *ProviderError
// with a readable Message. UserMessage maps every error of this package to a sentence
// for the window. Options.OnDone is the hook for bringing the window to the front.
package loopback
