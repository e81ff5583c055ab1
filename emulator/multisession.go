package emulator

import "net/http"

// Multi-session instances (clerk/openapi-specs fapi/2025-11-10.yml): the
// environment's AuthConfig.single_session_mode says which kind the instance is;
// POST /v1/client/sessions/{session_id}/touch "specif[ies] the active session for
// the client", recorded as Client.last_active_session_id, which ClerkJS restores
// after a restart (clerk/javascript packages/clerk-js/src/core/clerk.ts,
// #defaultSession: last_active_session_id if still signed in, else the first);
// /remove and /end end one session and leave the client's others signed in.

// sessionAllowed says whether a sign-in or sign-up may add a session for userID
// ("" when the user is not known yet) to the client.
//
// Single-session instances (auth_config.single_session_mode: true) refuse any new
// sign-in while a session is live, with session_exists. Multi-session instances
// accept further accounts on the same client; only signing in again as an account
// that already has a live session is refused, with identifier_already_signed_in
// and the existing session's id in meta.session_id, which ClerkJS's <SignIn/>
// answers by making that session active (clerk/javascript:
// packages/ui/src/components/SignIn/SignInStart.tsx, attemptToRecoverFromSignInError;
// packages/clerk-js/src/core/resources/Error.ts parseError maps session_id → sessionId).
func (s *Server) sessionAllowed(cl *clientRecord, userID string) error {
	live := cl.liveSessions()
	if !s.multiSession {
		if len(live) > 0 {
			return errSessionExists()
		}
		return nil
	}
	for _, sess := range live {
		if userID != "" && sess.UserID == userID {
			return errAlreadySignedIn(sess.ID)
		}
	}
	return nil
}

func errAlreadySignedIn(sessionID string) *apiError {
	return newAPIError(http.StatusBadRequest, "identifier_already_signed_in", "Already signed in",
		"You're already signed in to this account on this device.", map[string]any{"session_id": sessionID})
}
