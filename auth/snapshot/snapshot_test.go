package snapshot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/keychain"
	"deskclerk/auth/snapshot"
)

func open(t *testing.T, b keychain.Backend) (*keychain.Store, *snapshot.Keeper) {
	t.Helper()
	st := keychain.Open(context.Background(), keychain.Options{App: "deskclerk-test", Instance: "snap.example", Account: "snapshot", Backend: b})
	k := snapshot.Open(context.Background(), st, nil)
	t.Cleanup(k.Close)
	return st, k
}

var ada = snapshot.Identity{UserID: "user_1", Name: "Ada Lovelace", Email: "ada@example.com", SessionID: "sess_1", SessionExpiresAt: time.Now().Add(time.Hour)}

func TestRememberSurvivesARestart(t *testing.T) {
	b := keychain.NewMemoryBackend()
	st, k := open(t, b)
	if _, ok := k.Get(); ok {
		t.Fatal("a snapshot before anything was remembered")
	}
	if err := k.Remember(ada); err != nil {
		t.Fatal(err)
	}
	k.RecordAnswer("user_1", "sess_1", "GET /api/me", snapshot.Answer{Status: 200, Body: `{"id":"user_1"}`})
	k.Close()
	raw, err := st.Load(context.Background())
	if err != nil || !strings.Contains(raw, `"GET /api/me"`) {
		t.Fatalf("stored = %q, %v", raw, err)
	}

	_, k2 := open(t, b) // the next start
	s, ok := k2.Get()
	if !ok || s.Name != ada.Name || s.SessionID != "sess_1" || s.Answers["GET /api/me"].Body != `{"id":"user_1"}` {
		t.Fatalf("after restart: %+v %v", s, ok)
	}
	if s.ConfirmedAt.IsZero() {
		t.Error("ConfirmedAt not set")
	}
}

func TestAnswersOnlyForTheSnapshotsSession(t *testing.T) {
	_, k := open(t, keychain.NewMemoryBackend())
	if err := k.Remember(ada); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, sid string
		a               snapshot.Answer
		kept            bool
	}{
		{"same session", "user_1", "sess_1", snapshot.Answer{Status: 200, Body: "a"}, true},
		{"another user", "user_2", "sess_1", snapshot.Answer{Status: 200, Body: "b"}, false},
		{"another session", "user_1", "sess_2", snapshot.Answer{Status: 200, Body: "c"}, false},
		{"an error", "user_1", "sess_1", snapshot.Answer{Status: 500, Body: "d"}, false},
		{"too large", "user_1", "sess_1", snapshot.Answer{Status: 200, Body: strings.Repeat("x", snapshot.MaxAnswerBody+1)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "GET /" + tc.name
			k.RecordAnswer(tc.user, tc.sid, key, tc.a)
			s, _ := k.Get()
			if _, ok := s.Answers[key]; ok != tc.kept {
				t.Errorf("kept = %v, want %v", ok, tc.kept)
			}
		})
	}
	// Another session of the same user starts afresh.
	other := ada
	other.SessionID = "sess_9"
	if err := k.Remember(other); err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Get(); len(s.Answers) != 0 {
		t.Errorf("answers of the old session kept: %v", s.Answers)
	}
}

func TestForgetDeletesFromTheStore(t *testing.T) {
	b := keychain.NewMemoryBackend()
	st, k := open(t, b)
	if err := k.Remember(ada); err != nil {
		t.Fatal(err)
	}
	k.Flush(context.Background())
	if err := k.Forget(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A change queued before Forget must not bring it back.
	k.Confirmed("sess_1")
	k.Flush(context.Background())
	if _, err := st.Load(context.Background()); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("after Forget: %v", err)
	}
	if _, ok := k.Get(); ok {
		t.Fatal("still in memory after Forget")
	}
	if err := k.Forget(context.Background()); err != nil {
		t.Fatalf("forgetting nothing: %v", err)
	}
}

func TestUnreadableSnapshotIsIgnored(t *testing.T) {
	b := keychain.NewMemoryBackend()
	st := keychain.Open(context.Background(), keychain.Options{App: "deskclerk-test", Instance: "snap.example", Account: "snapshot", Backend: b})
	for _, raw := range []string{"not json", `{"v":99,"userId":"u","sessionId":"s"}`, `{"v":1}`} {
		if err := st.Save(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
		k := snapshot.Open(context.Background(), st, nil)
		if _, ok := k.Get(); ok {
			t.Errorf("%q read as a snapshot", raw)
		}
		k.Close()
	}
}

func TestRememberRefusesIncompleteIdentity(t *testing.T) {
	_, k := open(t, keychain.NewMemoryBackend())
	for _, id := range []snapshot.Identity{{SessionID: "s"}, {UserID: "u"}, {UserID: "u", SessionID: "s", Name: strings.Repeat("n", 5000)}} {
		if err := k.Remember(id); err == nil {
			t.Errorf("%+v accepted", id)
		}
	}
}
