package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// clerkError is one entry of Clerk's error envelope
// {errors:[{code, message, long_message, meta}], clerk_trace_id}.
type clerkError struct {
	Code        string         `json:"code"`
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Meta        map[string]any `json:"meta"`
}

// apiError is a handler failure that becomes a Clerk error response.
type apiError struct {
	status     int
	errs       []clerkError
	retryAfter time.Duration // 429 only
}

func (e *apiError) Error() string {
	if len(e.errs) == 0 {
		return strconv.Itoa(e.status)
	}
	return fmt.Sprintf("%d %s: %s", e.status, e.errs[0].Code, e.errs[0].LongMessage)
}

func newAPIError(status int, code, message, long string, meta map[string]any) *apiError {
	if meta == nil {
		meta = map[string]any{}
	}
	return &apiError{status: status, errs: []clerkError{{Code: code, Message: message, LongMessage: long, Meta: meta}}}
}

func paramMeta(param string) map[string]any { return map[string]any{"param_name": param} }

func errParamMissing(param string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_param_missing", "is missing",
		param+" must be included.", paramMeta(param))
}

func errParamInvalid(param, long string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_param_format_invalid", "is invalid", long, paramMeta(param))
}

func errParamValueInvalid(param, long string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_param_value_invalid", "is invalid", long, paramMeta(param))
}

func errMalformedBody(detail string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "malformed_request", "Malformed request",
		"The request body could not be parsed: "+detail+".", nil)
}

func errIdentifierNotFound() *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_identifier_not_found", "Couldn't find your account.",
		"Couldn't find your account.", paramMeta("identifier"))
}

func errPasswordIncorrect() *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_password_incorrect",
		"Password is incorrect. Try again, or use another method.",
		"Password is incorrect. Try again, or use another method.", paramMeta("password"))
}

func errCodeIncorrect() *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_code_incorrect", "is incorrect", "Incorrect code", paramMeta("code"))
}

func errVerificationExpired() *apiError {
	return newAPIError(http.StatusBadRequest, "verification_expired", "Verification expired",
		"This verification has expired. You must create a new one.", nil)
}

func errVerificationFailed() *apiError {
	return newAPIError(http.StatusBadRequest, "verification_failed", "Too many failed attempts",
		"You have failed to verify with this factor too many times. Please try again with a new code.", nil)
}

func errStrategyInvalid(strategy string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "strategy_for_user_invalid", "Invalid verification strategy",
		"The verification strategy "+strategy+" is not valid for this account.", paramMeta("strategy"))
}

func errIdentifierExists(param string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_identifier_exists", "That email address is taken. Please try another.",
		"That email address is taken. Please try another.", paramMeta(param))
}

func errPasswordTooShort(min int) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "form_password_length_too_short",
		fmt.Sprintf("Passwords must be %d characters or more.", min),
		fmt.Sprintf("Passwords must be %d characters or more.", min), paramMeta("password"))
}

func errNotFound(what string) *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "not found", what+" not found", nil)
}

func errRouteNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "not found",
		"The requested resource was not found.", nil)
}

// errSignedOut is Clerk's answer to a route that needs a client when the request
// names none that lives (SignedOut in clerk-docs data/api_errors.json: 401, FAPI);
// ClerkJS answers it by reloading the client.
func errSignedOut() *apiError {
	return newAPIError(http.StatusUnauthorized, "signed_out", "Signed out", "You are signed out.", nil)
}

func errSessionExists() *apiError {
	return newAPIError(http.StatusBadRequest, "session_exists", "Session already exists",
		"You're already signed in.", nil)
}

func errTooManyRequests(retry time.Duration) *apiError {
	secs := max(int((retry+time.Second-1)/time.Second), 1)
	e := newAPIError(http.StatusTooManyRequests, "too_many_requests", "Too many requests",
		fmt.Sprintf("Too many failed attempts. Please try again in %d seconds.", secs), map[string]any{"retry_after": secs})
	e.retryAfter = time.Duration(secs) * time.Second
	return e
}

func errNoActiveSession() *apiError {
	return newAPIError(http.StatusUnauthorized, "signed_out", "Signed out",
		"There is no active session on this client.", nil)
}

func errInternal() *apiError {
	return newAPIError(http.StatusInternalServerError, "internal_clerk_error", "Oops, an unexpected error occurred",
		"There was an internal error on our servers. We've been notified and are working on fixing it.", nil)
}
