package loopback

import (
	"errors"
	"fmt"

	"deskclerk/auth/browseropen"
)

// Errors that end a flow without a callback, or refuse to start one. Callers branch on
// them with errors.Is; UserMessage turns them into text for the window.
var (
	// ErrBusy: a flow is already waiting for the browser (one flow at a time).
	ErrBusy = errors.New("loopback: a browser sign-in is already in progress")
	// ErrNoFlow: Open, Wait or Cancel on a Manager with no flow in progress.
	ErrNoFlow = errors.New("loopback: no browser sign-in in progress")
	// ErrTimeout: no valid callback arrived before the deadline.
	ErrTimeout = errors.New("loopback: timed out waiting for the browser")
	// ErrCanceled: Cancel was called, or the context given to Start ended.
	ErrCanceled = errors.New("loopback: browser sign-in canceled")
	// ErrPortInUse: Options.Port is fixed and another program holds it.
	ErrPortInUse = errors.New("loopback: port already in use")
	// ErrNoLoopback: neither 127.0.0.1 nor [::1] could be bound.
	ErrNoLoopback = errors.New("loopback: cannot listen on a loopback address")
)

// ProviderError is Clerk's report that the sign-in failed at the provider or in Clerk:
// the callback carried __clerk_status=failed. Code is Clerk's __clerk_error_code
// (reduced to [a-z0-9_], at most 64 bytes; "" when absent or not of that form) and
// Message is a readable sentence for the window, chosen by Code.
type ProviderError struct {
	Code    string
	Message string
	// Transfer is true for codes ClerkJS treats as a hand-over rather than a failure
	// (external_account_not_found: continue as sign-up; external_account_exists:
	// continue as sign-in). The app should pass the callback URL to ClerkJS and not
	// present these as errors; ClerkJS reports the outcome of the transfer.
	Transfer bool
}

func (e *ProviderError) Error() string {
	if e.Code == "" {
		return "loopback: sign-in failed at the provider"
	}
	return fmt.Sprintf("loopback: sign-in failed at the provider: %s", e.Code)
}

func newProviderError(rawCode string) *ProviderError {
	code := sanitizeCode(rawCode)
	return &ProviderError{Code: code, Message: Message(code), Transfer: isTransferCode(code)}
}

// sanitizeCode keeps a Clerk error code only if it looks like one. The value comes from
// the callback's query string, so anything else is dropped rather than shown or logged.
func sanitizeCode(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return ""
		}
	}
	return s
}

func isTransferCode(code string) bool {
	return code == "external_account_not_found" || code == "external_account_exists"
}

// Clerk error codes seen on social / enterprise SSO callbacks and sign-in attempts
// (names as in @clerk/shared ERROR_CODES); the wording is ours.
var codeMessages = map[string]string{
	"oauth_access_denied":                            "Sign-in was cancelled, or the provider did not grant access. You can try again.",
	"external_account_not_found":                     "No account is linked to this provider account yet.",
	"external_account_exists":                        "This provider account is already linked to an account. Sign in instead.",
	"oauth_email_domain_reserved_by_saml":            "Your organisation signs in with single sign-on. Use your company sign-in instead.",
	"saml_user_attribute_missing":                    "Your organisation's sign-in did not send all the details needed. Contact your administrator.",
	"enterprise_sso_user_attribute_missing":          "Your organisation's sign-in did not send all the details needed. Contact your administrator.",
	"saml_email_address_domain_mismatch":             "The email address from your organisation's sign-in does not match its domain.",
	"enterprise_sso_email_address_domain_mismatch":   "The email address from your organisation's sign-in does not match its domain.",
	"enterprise_sso_hosted_domain_mismatch":          "This account does not belong to the organisation you chose.",
	"organization_membership_quota_exceeded_for_sso": "Your organisation has no seats left. Contact your administrator.",
	"not_allowed_access":                             "This account is not allowed to use this application.",
	"not_allowed_to_sign_up":                         "New accounts cannot be created for this application.",
	"sign_up_mode_restricted":                        "Sign-up is restricted for this application. Ask for an invitation.",
	"sign_up_restricted_waitlist":                    "Sign-up is by waitlist only for this application.",
	"invitation_account_not_exists":                  "The invitation does not match an existing account.",
	"strategy_for_user_invalid":                      "This sign-in method is not available for your account.",
	"session_exists":                                 "You are already signed in.",
	"identifier_already_signed_in":                   "You are already signed in with this account.",
	"user_locked":                                    "This account is temporarily locked after too many attempts. Try again later.",
	"user_banned":                                    "This account has been suspended.",
	"user_deactivated":                               "This account has been deactivated.",
	"device_blocked":                                 "Sign-in from this device was blocked for security reasons.",
	"action_blocked":                                 "Sign-in was blocked for security reasons.",
	"captcha_invalid":                                "The bot check failed. Try again.",
	"signup_rate_limit_exceeded":                     "Too many sign-up attempts. Wait a moment and try again.",
	"oauth_token_exchange_error":                     "The provider's answer could not be verified. Try again.",
	"oauth_fetch_user_error":                         "Your profile could not be read from the provider. Try again.",
	"oauth_callback_invalid":                         "The provider's answer was not valid. Try again.",
}

// Message returns a readable sentence for a Clerk error code. Unknown or empty codes get
// a generic sentence; the code itself is never echoed, since it is outside input.
func Message(code string) string {
	if m, ok := codeMessages[code]; ok {
		return m
	}
	return "Sign-in with the provider did not complete. Try again, or use another sign-in method."
}

// UserMessage turns any error from this package into a sentence for the window.
// It returns "" for nil.
func UserMessage(err error) string {
	var pe *ProviderError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Message
	case errors.Is(err, ErrTimeout):
		return "The browser did not finish sign-in in time. Try again."
	case errors.Is(err, ErrCanceled):
		return "Sign-in in the browser was cancelled."
	case errors.Is(err, ErrBusy):
		return "A sign-in is already waiting for the browser. Finish it there, or cancel it first."
	case errors.Is(err, ErrPortInUse):
		return "Another program is using the sign-in port. Close it, or change the port in settings, and try again."
	case errors.Is(err, ErrNoLoopback):
		return "The app cannot listen on this computer's loopback address, so browser sign-in cannot finish."
	case errors.Is(err, ErrNoFlow):
		return "No browser sign-in is in progress."
	case errors.Is(err, browseropen.ErrUnsafeURL):
		// The reason never holds the URL (browseropen.URLError).
		var ue *browseropen.URLError
		if errors.As(err, &ue) {
			return "The app refused to open that address in your browser: " + ue.Reason + "."
		}
		return "The app refused to open that address in your browser."
	default:
		return "Browser sign-in failed. Try again."
	}
}
