package verify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// SessionCookie is the cookie Clerk keeps the session token in on the web.
const SessionCookie = "__session"

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

type middleware struct {
	v         *Verifier
	cookie    bool
	authorize func(*Claims) error
	log       *slog.Logger
}

// WithSessionCookie also reads the token from the __session cookie when there
// is no Authorization header.
func WithSessionCookie() MiddlewareOption { return func(m *middleware) { m.cookie = true } }

// WithAuthorize adds an authorization rule run on verified claims; a non-nil
// error answers 403 with the error's text as the message.
func WithAuthorize(rule func(*Claims) error) MiddlewareOption {
	return func(m *middleware) { m.authorize = rule }
}

// WithLogger logs refused requests at debug level (reason and path only).
func WithLogger(l *slog.Logger) MiddlewareOption { return func(m *middleware) { m.log = l } }

// Middleware protects an http.Handler the way clerkMiddleware() does in
// Clerk's guides: it reads "Authorization: Bearer <token>", verifies it, and
// passes the request on with the claims in its context (ClaimsFromContext).
// Otherwise it answers with a JSON error body
//
//	{"error":{"code":"…","message":"…"}}
//
// and status 401 (no token: code "unauthenticated"; expired: "token_expired";
// any other refusal: "invalid_token"), 403 ("forbidden") when a WithAuthorize
// rule refuses verified claims, or 503 ("keys_unavailable") when the signing
// keys could not be fetched, which is the server's problem, not the token's.
// Error bodies never contain the token.
//
// Put CORS handling in front of it: preflight requests carry no token.
func Middleware(v *Verifier, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	m := &middleware{v: v}
	for _, o := range opts {
		o(m)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, problem := m.token(r)
			if problem != "" {
				m.refuse(w, r, http.StatusUnauthorized, "unauthenticated", problem)
				return
			}
			claims, err := v.Verify(r.Context(), token)
			if err != nil {
				status, code, msg := classify(err)
				m.refuse(w, r, status, code, msg)
				return
			}
			if m.authorize != nil {
				if err := m.authorize(claims); err != nil {
					m.refuse(w, r, http.StatusForbidden, "forbidden", err.Error())
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), claims)))
		})
	}
}

// token finds the session token, or says why there is none.
func (m *middleware) token(r *http.Request) (string, string) {
	switch h := r.Header.Values("Authorization"); len(h) {
	case 0:
	case 1:
		scheme, tok, _ := strings.Cut(strings.TrimSpace(h[0]), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", "authorization scheme is not Bearer"
		}
		if tok = strings.TrimSpace(tok); tok == "" {
			return "", "empty bearer token"
		}
		return tok, ""
	default:
		return "", "more than one Authorization header"
	}
	if m.cookie {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			return c.Value, ""
		}
	}
	return "", "missing bearer token"
}

// classify maps a Verify error to a status, a code and a public message.
func classify(err error) (int, string, string) {
	var ve *Error
	if !errors.As(err, &ve) {
		return http.StatusUnauthorized, "invalid_token", "the session token was refused"
	}
	switch ve.Reason {
	case ErrExpired:
		return http.StatusUnauthorized, "token_expired", "the session token has expired"
	case ErrKeysUnavailable:
		return http.StatusServiceUnavailable, "keys_unavailable", "session tokens cannot be verified right now"
	}
	return http.StatusUnauthorized, "invalid_token", "the session token was refused: " + ve.Reason.Error()
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if m.log != nil {
		m.log.Debug("request refused", "status", status, "code", code, "reason", msg, "path", r.URL.Path)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusUnauthorized {
		// RFC 6750 §3.1: no error code when the request had no credentials.
		if code == "unauthenticated" {
			h.Set("WWW-Authenticate", "Bearer")
		} else {
			h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, msg
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may be gone; nothing to do
}

type claimsKey struct{}

// ContextWithClaims returns ctx carrying c, as Middleware does.
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFromContext returns the claims Middleware verified for this request.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
