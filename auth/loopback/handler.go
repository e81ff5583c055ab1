package loopback

import (
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

const (
	// maxNonceLen bounds rotating_token_nonce; Clerk's are far shorter.
	maxNonceLen = 1024
	// maxHeaderBytes bounds request line + headers; a real callback is well under 4 KiB.
	maxHeaderBytes = 16 << 10
)

// Fixed bodies: nothing from the request is ever written back.
var (
	bodyBadRequest = []byte("Bad request.\n")
	bodyNotFound   = []byte("Not found.\n")
)

// callbackHandler accepts exactly one well-formed Clerk callback:
//
//	Host     = the loopback address and port the request arrived on (DNS rebinding)
//	path     = /callback/<secret>, compared in constant time
//	method   = GET
//	query    = see ParseCallbackQuery: [rotating_token_nonce=<nonce>], or a failure
//
// Anything else is answered 400 or 404 with a fixed body and does not end the flow.
type callbackHandler struct {
	path        string // "/callback/<secret>"
	redirectURL string // "http://127.0.0.1:<port>/callback/<secret>"
	deliver     func(Result) bool
	pages       landingPages
	log         *slog.Logger
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

	// The Host check comes first, so a page that rebinds its own name to 127.0.0.1
	// learns nothing at all, not even whether a path exists.
	if !hostMatches(r) {
		h.reject(w, r, http.StatusBadRequest, "host")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.EscapedPath()), []byte(h.path)) != 1 {
		h.reject(w, r, http.StatusNotFound, "path")
		return
	}
	if r.Method != http.MethodGet {
		h.reject(w, r, http.StatusBadRequest, "method")
		return
	}
	res, reason := parseCallback(r.URL.RawQuery)
	if reason != "" {
		h.reject(w, r, http.StatusBadRequest, reason)
		return
	}
	res.CallbackURL = h.redirectURL + "?" + r.URL.RawQuery
	if !h.deliver(res) {
		// Replay, or a second callback racing the first: the flow is already over.
		h.reject(w, r, http.StatusNotFound, "flow_ended")
		return
	}
	h.log.Debug("loopback: callback accepted", "failed", res.Failed, "code", res.ErrorCode)
	page := h.pages.success
	if res.Failed {
		page = h.pages.failure
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(page)
}

func (h *callbackHandler) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	// Only the reason is logged: the path and query may hold the secret or the nonce.
	h.log.Debug("loopback: request rejected", "status", status, "reason", reason, "method", sanitizeMethod(r.Method))
	body := bodyBadRequest
	if status == http.StatusNotFound {
		body = bodyNotFound
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// hostMatches requires the Host header to be exactly the address the request arrived
// on, e.g. "127.0.0.1:53124" or "[::1]:53124".
func hostMatches(r *http.Request) bool {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := la.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return false
	}
	want := net.JoinHostPort(tcp.IP.String(), strconv.Itoa(tcp.Port))
	return r.Host == want
}

// parseCallback reads Clerk's query. It returns a reason when the request is not a
// usable callback; such requests do not end the flow.
func parseCallback(rawQuery string) (Result, string) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Result{}, "query"
	}
	return ParseCallbackQuery(q)
}

// ParseCallbackQuery reads Clerk's parameters from a callback's query, for this
// package's listener and for other transports (the custom URL scheme). It returns
// a reason when the query is not a usable callback:
//
//   - __clerk_status=failed[&__clerk_error_code=<code>] → a failed Result;
//   - an OAuth error=<code> (RFC 6749 §4.1.2.1, as a provider may send it through) →
//     a failed Result, access_denied read as Clerk's oauth_access_denied;
//   - otherwise at most one rotating_token_nonce, well-formed if present. A callback
//     without one is accepted: ClerkJS reloads the resource without a nonce
//     (clerk/javascript packages/clerk-js/src/utils/authenticateWithTransport.ts) and
//     the user profile's "Connect account" comes back without one
//     (reloadUserAfterOAuthCallback); ClerkJS decides what the reload means.
func ParseCallbackQuery(q url.Values) (Result, string) {
	status := q["__clerk_status"]
	if len(status) > 1 {
		return Result{}, "status_repeated"
	}
	if len(status) == 1 && status[0] == "failed" {
		codes := q["__clerk_error_code"]
		if len(codes) > 1 {
			return Result{}, "code_repeated"
		}
		var code string
		if len(codes) == 1 {
			code = sanitizeCode(codes[0])
		}
		return Result{Failed: true, ErrorCode: code}, ""
	}
	if errs := q["error"]; len(errs) > 0 {
		if len(errs) > 1 {
			return Result{}, "error_repeated"
		}
		code := sanitizeCode(errs[0])
		if code == "access_denied" {
			code = "oauth_access_denied"
		}
		return Result{Failed: true, ErrorCode: code}, ""
	}
	nonces := q["rotating_token_nonce"]
	switch {
	case len(nonces) == 0:
		return Result{}, ""
	case len(nonces) > 1:
		return Result{}, "nonce_repeated"
	case !validNonce(nonces[0]):
		return Result{}, "nonce_malformed"
	}
	return Result{Nonce: nonces[0]}, ""
}

// validNonce accepts what an opaque token can be: 1..maxNonceLen visible ASCII
// characters, without quotes, angle brackets, backslash or backtick.
func validNonce(s string) bool {
	if s == "" || len(s) > maxNonceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '`' {
			return false
		}
	}
	return true
}

func sanitizeMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}
