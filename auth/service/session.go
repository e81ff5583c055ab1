package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"deskclerk/auth/apiclient"
	"deskclerk/auth/gateway"
	"deskclerk/auth/snapshot"
)

// SnapshotAccount is the keychain account of the session snapshot, next to the
// client token's (keychain.DefaultAccount) under the same service name.
const SnapshotAccount = "deskclerk_session_snapshot"

// EndReason says why a session ended without the person signing out here.
type EndReason string

const (
	EndedExpired       EndReason = "expired"         // the session outlived its lifetime
	EndedElsewhere     EndReason = "ended-elsewhere" // revoked or signed out from another device or the dashboard
	EndedClientUnknown EndReason = "client-unknown"  // the identity service no longer knows this device
)

// Message is the one line the signed-out screen shows.
func (r EndReason) Message() string {
	switch r {
	case EndedExpired:
		return "Your session expired. Please sign in again."
	case EndedElsewhere:
		return "Your session was ended elsewhere (signed out from another device or revoked). Please sign in again."
	case EndedClientUnknown:
		return "The sign-in service no longer knows this device, so you were signed out. Please sign in again."
	}
	return ""
}

// Confirmation is the result of Confirm.
type Confirmation struct {
	State       string                     `json:"state"` // none | confirmed | offline | ended | unconfirmed
	Reason      EndReason                  `json:"reason,omitempty"`
	Message     string                     `json:"message,omitempty"`
	ConfirmedAt time.Time                  `json:"confirmedAt"`
	Me          *apiclient.Response        `json:"me,omitempty"` // the first /api/me answer, when confirmed
	MeError     string                     `json:"meError,omitempty"`
	Identity    *snapshot.Identity         `json:"identity,omitempty"`
	Answers     map[string]snapshot.Answer `json:"answers,omitempty"`
}

// Snapshot returns the stored signed-in state, if any.
func (s *Service) Snapshot() (snapshot.Snapshot, bool) {
	if s.Snapshots == nil {
		return snapshot.Snapshot{}, false
	}
	return s.Snapshots.Get()
}

// RememberSession keeps the signed-in identity the page shows, for the next start.
func (s *Service) RememberSession(id snapshot.Identity) error {
	if s.Snapshots == nil {
		return errors.New("no snapshot store")
	}
	return s.Snapshots.Remember(id)
}

// ForgetSnapshot deletes the session snapshot from memory and the keychain. Every
// way of leaving the signed-in state calls it: sign-out, forgetting the device,
// and a session found ended.
func (s *Service) ForgetSnapshot(ctx context.Context) error {
	if s.Snapshots == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.Snapshots.Forget(ctx)
}

// answerKeys are the API answers kept in the snapshot (reads the signed-in screen shows).
var answerKeys = map[string]bool{"GET /api/me": true, "GET /api/favorite-color": true, "PUT /api/favorite-color": true}

// CallAPI calls the protected API with a session token (verified first, by
// apiclient) and keeps successful answers the signed-in screen shows in the snapshot.
func (s *Service) CallAPI(ctx context.Context, method, path string, body []byte, token string) (*apiclient.Response, error) {
	resp, err := s.API.Do(ctx, method, path, body, token)
	if err == nil {
		s.recordAnswer(ctx, method, path, token, resp)
	}
	return resp, err
}

func (s *Service) recordAnswer(ctx context.Context, method, path, token string, resp *apiclient.Response) {
	key := method + " " + path
	if s.Snapshots == nil || !answerKeys[key] {
		return
	}
	if method == http.MethodPut {
		key = http.MethodGet + " " + path // a save answers with what a read would show
	}
	claims, err := s.Verifier.Verify(ctx, token) // cached: apiclient just verified it
	if err != nil {
		return
	}
	s.Snapshots.RecordAnswer(claims.UserID, claims.SessionID, key, snapshot.Answer{Status: resp.Status, ContentType: resp.ContentType, Body: resp.Body})
}

// Confirm checks the stored session with the identity service from Go, before the
// page has loaded ClerkJS: it mints a session token through the gateway (the same
// path as ClerkJS's calls, so a rotated client token is saved the same way),
// verifies it, and calls /api/me with it. A session found ended is forgotten.
func (s *Service) Confirm(ctx context.Context) Confirmation {
	snap, ok := s.Snapshot()
	if !ok {
		return Confirmation{State: "none"}
	}
	out := Confirmation{ConfirmedAt: snap.ConfirmedAt, Identity: &snap.Identity, Answers: snap.Answers}
	token, reason, err := s.mintSessionToken(ctx, snap.SessionID)
	switch {
	case reason != "":
		return s.ended(ctx, out, reason)
	case errors.Is(err, gateway.ErrUnreachable):
		out.State, out.Message = "offline", "Cannot reach the sign-in service."
		if !snap.SessionExpiresAt.IsZero() && time.Now().After(snap.SessionExpiresAt) {
			// Said now; the session is forgotten once the service confirms it.
			out.Reason, out.Message = EndedExpired, "Your session has expired: sign in again once the sign-in service is reachable."
		}
		return out
	case err != nil:
		out.State, out.Message = "unconfirmed", err.Error()
		return out
	}
	claims, err := s.Verifier.Verify(ctx, token)
	if err != nil {
		out.State, out.Message = "unconfirmed", "The session token was not accepted: "+err.Error()
		return out
	}
	if claims.UserID != snap.UserID || claims.SessionID != snap.SessionID {
		// Not the session painted: let ClerkJS decide what to show.
		out.State, out.Message = "unconfirmed", "The stored session belongs to someone else."
		return out
	}
	s.Snapshots.Confirmed(snap.SessionID)
	out.State, out.ConfirmedAt = "confirmed", time.Now()
	if s.API != nil {
		me, err := s.CallAPI(ctx, http.MethodGet, "/api/me", nil, token)
		if err != nil {
			out.MeError = err.Error()
		} else {
			out.Me = me
		}
	}
	return out
}

func (s *Service) ended(ctx context.Context, out Confirmation, reason EndReason) Confirmation {
	if err := s.ForgetSnapshot(ctx); err != nil {
		s.log.Warn("could not forget the session snapshot", "err", err)
	}
	out.State, out.Reason, out.Message = "ended", reason, reason.Message()
	out.Identity, out.Answers = nil, nil
	return out
}

// mintSessionToken asks FAPI for a session token for sid. When FAPI refuses
// because the session or the client is gone, reason says why and err is nil.
func (s *Service) mintSessionToken(ctx context.Context, sid string) (token string, reason EndReason, err error) {
	if !validID(sid) {
		return "", EndedElsewhere, nil
	}
	status, body, err := s.Gateway.Call(ctx, http.MethodPost, "/v1/client/sessions/"+sid+"/tokens", url.Values{})
	if err != nil {
		return "", "", err
	}
	switch {
	case status == http.StatusOK:
		var t struct {
			JWT string `json:"jwt"`
		}
		if err := json.Unmarshal(body, &t); err != nil || t.JWT == "" {
			return "", "", fmt.Errorf("the sign-in service answered without a session token")
		}
		return t.JWT, "", nil
	case status == http.StatusUnauthorized || status == http.StatusNotFound:
		r, err := s.WhyEnded(ctx, sid)
		if err != nil {
			return "", "", err
		}
		return "", r, nil
	default:
		return "", "", fmt.Errorf("the sign-in service answered %d", status)
	}
}

// WhyEnded finds out why session sid is no longer usable: the client is unknown,
// or the session's status (expired, or ended/revoked/removed elsewhere). It
// returns "" if the session is still active.
func (s *Service) WhyEnded(ctx context.Context, sid string) (EndReason, error) {
	status, body, err := s.Gateway.Call(ctx, http.MethodGet, "/v1/client", nil)
	if err != nil {
		return "", err
	}
	// Clerk answers an unknown client token with 401, or with a null client.
	var env struct {
		Response *struct {
			Sessions []struct {
				ID       string `json:"id"`
				Status   string `json:"status"`
				ExpireAt int64  `json:"expire_at"`
			} `json:"sessions"`
		} `json:"response"`
	}
	if status == http.StatusUnauthorized {
		return EndedClientUnknown, nil
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("the sign-in service answered %d", status)
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return "", fmt.Errorf("the sign-in service's client: %w", err)
	}
	if env.Response == nil {
		return EndedClientUnknown, nil
	}
	for _, se := range env.Response.Sessions {
		if se.ID == sid {
			return reasonFromStatus(se.Status, se.ExpireAt, time.Now()), nil
		}
	}
	// Clerk lists only a client's live sessions; ask for the session itself.
	status, body, err = s.Gateway.Call(ctx, http.MethodGet, "/v1/client/sessions/"+sid, nil)
	if err != nil {
		return "", err
	}
	var one struct {
		Response *struct {
			Status   string `json:"status"`
			ExpireAt int64  `json:"expire_at"`
		} `json:"response"`
	}
	if status == http.StatusOK && json.Unmarshal(body, &one) == nil && one.Response != nil {
		if r := reasonFromStatus(one.Response.Status, one.Response.ExpireAt, time.Now()); r != "" {
			return r, nil
		}
	}
	return EndedElsewhere, nil
}

// reasonFromStatus maps Clerk's session status (clerk/javascript
// packages/types SessionStatus: active, pending, ended, expired, removed,
// replaced, abandoned, revoked) to a reason; "" for a live session.
func reasonFromStatus(status string, expireAtMS int64, now time.Time) EndReason {
	switch status {
	case "active", "pending":
		if expireAtMS > 0 && now.After(time.UnixMilli(expireAtMS)) {
			return EndedExpired
		}
		return ""
	case "expired", "abandoned":
		return EndedExpired
	default:
		return EndedElsewhere
	}
}

// validID accepts Clerk's ids (sess_…): letters, digits and underscores only, so
// an id is never a path.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	return strings.IndexFunc(id, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0
}
