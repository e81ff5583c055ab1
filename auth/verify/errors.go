package verify

import "errors"

// Reasons a token is refused. Every error Verify returns is an *Error whose
// Reason is one of these, so callers branch with errors.Is.
var (
	ErrMalformed       = errors.New("malformed token")
	ErrTooLarge        = errors.New("token too large")
	ErrAlgorithm       = errors.New("signing algorithm not allowed")
	ErrMissingKID      = errors.New("token has no kid header")
	ErrUnknownKey      = errors.New("unknown signing key")
	ErrSignature       = errors.New("invalid signature")
	ErrExpired         = errors.New("token expired")
	ErrNotYetValid     = errors.New("token not valid yet")
	ErrIssuer          = errors.New("issuer not accepted")
	ErrAuthorizedParty = errors.New("authorized party not accepted")
	ErrMissingClaim    = errors.New("required claim missing")
	ErrPendingSession  = errors.New("session is pending")
	ErrTokenType       = errors.New("not a session token")
	ErrKeysUnavailable = errors.New("signing keys unavailable")
)

// ErrInvalidConfig is returned by New for a configuration it cannot use.
var ErrInvalidConfig = errors.New("invalid verifier configuration")

// Error is a refused token. Its message is built only from the reason, a fixed
// detail and configuration values: never from the token or its claims, which
// an attacker controls and which would otherwise reach logs.
type Error struct {
	Reason error  // one of the Err… sentinels above
	Detail string // what exactly failed, e.g. "exp", "iat in the future"
	Err    error  // underlying cause, if any (a JWKS fetch error, ctx.Err())
}

func (e *Error) Error() string {
	s := "verify session token: " + e.Reason.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes both the reason and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func fail(reason error, detail string) *Error { return &Error{Reason: reason, Detail: detail} }
