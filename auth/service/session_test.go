package service_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"deskclerk/auth/keychain"
	"deskclerk/auth/service"
	"deskclerk/auth/snapshot"
	"deskclerk/e2e/fapiclient"
	"deskclerk/emulator"
	"deskclerk/internal/config"
)

// harness: a real emulator (Frontend API, JWKS, demo API) and the real service on
// a memory keychain, signed in as the first demo user through the Frontend API.
type harness struct {
	em    *emulator.Server
	svc   *service.Service
	user  emulator.DemoUser
	sid   string
	fapi  string
	store keychain.Backend
}

func start(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	em, err := emulator.Start(ctx, emulator.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	h := &harness{em: em, user: em.DemoUsers()[0], fapi: em.FrontendAPIURL(), store: keychain.NewMemoryBackend()}
	fc := &fapiclient.Client{Base: h.fapi, Code: em.LastEmailCode}
	if h.sid, err = fc.SignIn(h.user.Email, h.user.Password); err != nil {
		t.Fatal(err)
	}
	local := func(context.Context, config.Config, *slog.Logger) (service.Local, error) {
		return emulator.Remote{URL: h.fapi}, nil
	}
	h.svc, err = service.Start(ctx, config.Config{EmulatorURL: h.fapi, APIURL: em.APIURL()}, slog.New(slog.DiscardHandler), h.store, local, service.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.svc.Close)
	if err := h.svc.Store.Save(ctx, fc.Token); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) remember(t *testing.T) {
	t.Helper()
	err := h.svc.RememberSession(snapshot.Identity{UserID: h.userID(t), Name: h.user.FirstName, Email: h.user.Email, SessionID: h.sid, SessionExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// userID asks the Frontend API, through the service's own gateway call, who is signed in.
func (h *harness) userID(t *testing.T) string {
	t.Helper()
	status, body, err := h.svc.Gateway.Call(context.Background(), http.MethodGet, "/v1/me", nil)
	if err != nil || status != 200 {
		t.Fatalf("GET /v1/me: %d %v", status, err)
	}
	return jsonField(t, body, "response", "id")
}

func TestConfirmMintsVerifiesAndCallsTheAPI(t *testing.T) {
	h := start(t)
	if c := h.svc.Confirm(context.Background()); c.State != "none" {
		t.Fatalf("without a snapshot: %+v", c)
	}
	h.remember(t)
	c := h.svc.Confirm(context.Background())
	if c.State != "confirmed" || c.Me == nil || c.Me.Status != 200 {
		t.Fatalf("Confirm = %+v", c)
	}
	// The /api/me answer is kept for the next start, under the snapshot's session.
	s, _ := h.svc.Snapshot()
	if s.Answers["GET /api/me"].Body != c.Me.Body {
		t.Errorf("answer not kept: %+v", s.Answers)
	}
}

func TestConfirmSaysWhyTheSessionEnded(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, h *harness)
		want  service.EndReason
	}{
		{"revoked from another device", func(t *testing.T, h *harness) {
			other := &fapiclient.Client{Base: h.fapi, Code: h.em.LastEmailCode}
			osid, err := other.SignIn(h.user.Email, h.user.Password)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", h.fapi+"/v1/me/sessions/"+h.sid+"/revoke?_is_native=1&_clerk_session_id="+osid, nil)
			req.Header.Set("Authorization", other.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("revoke: %v %v", resp, err)
			}
			resp.Body.Close()
		}, service.EndedElsewhere},
		{"client unknown", func(t *testing.T, h *harness) {
			// A client token the Frontend API never issued (a reset instance, a wiped client).
			if err := h.svc.Store.Save(context.Background(), "eyJhbGciOiJIUzI1NiJ9.e30.unknown"); err != nil {
				t.Fatal(err)
			}
		}, service.EndedClientUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t)
			h.remember(t)
			tc.setup(t, h)
			c := h.svc.Confirm(context.Background())
			if c.State != "ended" || c.Reason != tc.want || c.Message == "" {
				t.Fatalf("Confirm = %+v, want ended/%s", c, tc.want)
			}
			if _, ok := h.svc.Snapshot(); ok {
				t.Error("snapshot kept after the session ended")
			}
		})
	}
}

func TestConfirmOffline(t *testing.T) {
	h := start(t)
	h.remember(t)
	h.em.Close()
	c := h.svc.Confirm(context.Background())
	if c.State != "offline" || c.Identity == nil || c.Identity.SessionID != h.sid {
		t.Fatalf("Confirm = %+v", c)
	}
	if _, ok := h.svc.Snapshot(); !ok {
		t.Error("snapshot dropped while offline")
	}
	if _, err := h.svc.Store.Load(context.Background()); err != nil {
		t.Errorf("client token dropped while offline: %v", err)
	}
}

func TestConfirmOfflineSaysTheSessionExpired(t *testing.T) {
	h := start(t)
	err := h.svc.RememberSession(snapshot.Identity{UserID: h.userID(t), Name: "Ada", SessionID: h.sid, SessionExpiresAt: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	h.em.Close()
	if c := h.svc.Confirm(context.Background()); c.State != "offline" || c.Reason != service.EndedExpired {
		t.Fatalf("Confirm = %+v", c)
	}
}

func TestSignedOutForgetsTheSnapshot(t *testing.T) {
	h := start(t)
	h.remember(t)
	if err := h.svc.SignedOut(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.svc.Snapshot(); ok {
		t.Error("snapshot kept after sign-out")
	}
}

func jsonField(t *testing.T, body []byte, path ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}
