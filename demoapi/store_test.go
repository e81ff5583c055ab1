package demoapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"deskclerk/demoapi"
	"deskclerk/demoapi/pgstore"
	"deskclerk/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend opens a Store at a location (a file, a database URL) that survives Close.
type backend struct {
	name     string
	location func(t *testing.T) string
	open     func(t *testing.T, loc string) demoapi.Store
}

var backends = []backend{
	{
		name:     "bbolt",
		location: func(t *testing.T) string { return filepath.Join(t.TempDir(), demoapi.DBFile) },
		open: func(t *testing.T, loc string) demoapi.Store {
			s, err := demoapi.OpenBolt(loc)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	},
	{
		name:     "postgres",
		location: func(t *testing.T) string { return pgtest.NewDatabase(t) },
		open: func(t *testing.T, loc string) demoapi.Store {
			s, err := pgstore.Open(context.Background(), loc, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	},
}

// forEachBackend runs f against a fresh store of every backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend, loc string, s demoapi.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			loc := b.location(t)
			s := b.open(t, loc)
			t.Cleanup(func() { s.Close() })
			f(t, b, loc, s)
		})
	}
}

var ctx = context.Background()

func user(id, email string, updated int64) *demoapi.User {
	return &demoapi.User{ID: id, Email: email, FirstName: "Ada", LastName: "Lovelace", CreatedAt: 1, UpdatedAt: updated}
}

func mustApply(t *testing.T, s demoapi.Store, msgID string, ch demoapi.UserChange, want demoapi.WebhookOutcome) {
	t.Helper()
	got, err := s.ApplyWebhook(ctx, msgID, ch)
	if err != nil {
		t.Fatalf("ApplyWebhook(%s): %v", msgID, err)
	}
	if got != want {
		t.Fatalf("ApplyWebhook(%s) = %s, want %s", msgID, got, want)
	}
}

func email(t *testing.T, s demoapi.Store, id string) string {
	t.Helper()
	u, err := s.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if u == nil {
		return "<none>"
	}
	return u.Email
}

func color(t *testing.T, s demoapi.Store, id string) string {
	t.Helper()
	c, err := s.Color(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		return "<none>"
	}
	return c.Color
}

func TestStoreUsersAndColors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, loc string, s demoapi.Store) {
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if e, c := email(t, s, "user_1"), color(t, s, "user_1"); e != "<none>" || c != "<none>" {
			t.Fatalf("empty store: %s %s", e, c)
		}
		if err := s.SetColor(ctx, "user_1", demoapi.FavoriteColor{Color: "red", Hex: "#ff0000", UpdatedAt: 1}); !errors.Is(err, demoapi.ErrUserUnknown) {
			t.Fatalf("SetColor for an unknown user: %v", err)
		}
		if color(t, s, "user_1") != "<none>" {
			t.Fatal("a refused SetColor stored a colour")
		}
		mustApply(t, s, "msg_1", demoapi.UserChange{Upsert: user("user_1", "ada@example.com", 10)}, demoapi.WebhookApplied)
		got, err := s.User(ctx, "user_1")
		if err != nil || *got != *user("user_1", "ada@example.com", 10) {
			t.Fatalf("User = %+v, %v", got, err)
		}
		want := demoapi.FavoriteColor{Color: "rebeccapurple", Hex: "#663399", UpdatedAt: 1234}
		if err := s.SetColor(ctx, "user_1", want); err != nil {
			t.Fatal(err)
		}
		if err := s.SetColor(ctx, "user_1", demoapi.FavoriteColor{Color: "navy", Hex: "#000080", UpdatedAt: 1235}); err != nil {
			t.Fatal(err)
		}
		// Everything survives a reopen.
		s.Close()
		s2 := b.open(t, loc)
		defer s2.Close()
		c, err := s2.Color(ctx, "user_1")
		if err != nil || c == nil || *c != (demoapi.FavoriteColor{Color: "navy", Hex: "#000080", UpdatedAt: 1235}) {
			t.Fatalf("Color after reopen = %+v, %v", c, err)
		}
		if email(t, s2, "user_1") != "ada@example.com" {
			t.Fatal("user lost on reopen")
		}
		mustApply(t, s2, "msg_1", demoapi.UserChange{Upsert: user("user_1", "replayed@example.com", 99)}, demoapi.WebhookDuplicate)
	})
}

func TestStoreWebhookOrderAndDuplicates(t *testing.T) {
	type step struct {
		msgID string
		ch    demoapi.UserChange
		want  demoapi.WebhookOutcome
		email string // the user's email afterwards, "<none>" if no live record
	}
	up := func(email string, at int64) demoapi.UserChange {
		return demoapi.UserChange{Upsert: user("user_1", email, at)}
	}
	del := demoapi.UserChange{Delete: "user_1"}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{
			{"m1", up("a@x", 10), demoapi.WebhookApplied, "a@x"},
			{"m2", up("b@x", 20), demoapi.WebhookApplied, "b@x"},
		}},
		{"older update after a newer one is stale", []step{
			{"m1", up("a@x", 10), demoapi.WebhookApplied, "a@x"},
			{"m3", up("c@x", 30), demoapi.WebhookApplied, "c@x"},
			{"m2", up("b@x", 20), demoapi.WebhookStale, "c@x"},
		}},
		{"same updated_at under a new id rewrites", []step{
			{"m1", up("a@x", 10), demoapi.WebhookApplied, "a@x"},
			{"m1-retry", up("a@x", 10), demoapi.WebhookApplied, "a@x"},
		}},
		{"redelivered id changes nothing", []step{
			{"m1", up("a@x", 10), demoapi.WebhookApplied, "a@x"},
			{"m1", up("z@x", 99), demoapi.WebhookDuplicate, "a@x"},
			{"m2", up("b@x", 20), demoapi.WebhookApplied, "b@x"},
			{"m2", del, demoapi.WebhookDuplicate, "b@x"},
		}},
		{"delete, then a late update stays deleted", []step{
			{"m1", up("a@x", 10), demoapi.WebhookApplied, "a@x"},
			{"m3", del, demoapi.WebhookApplied, "<none>"},
			{"m2", up("b@x", 20), demoapi.WebhookStale, "<none>"},
		}},
		{"delete before create", []step{
			{"m2", del, demoapi.WebhookApplied, "<none>"},
			{"m1", up("a@x", 10), demoapi.WebhookStale, "<none>"},
		}},
		{"other events are recorded, not applied", []step{
			{"m1", demoapi.UserChange{}, demoapi.WebhookIgnored, "<none>"},
			{"m1", up("a@x", 10), demoapi.WebhookDuplicate, "<none>"},
		}},
	}
	forEachBackend(t, func(t *testing.T, _ backend, _ string, s demoapi.Store) {
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// Each case on its own ids within the shared store.
				prefix := fmt.Sprintf("c%d_", i)
				for _, st := range tc.steps {
					ch := st.ch
					if ch.Upsert != nil {
						u := *ch.Upsert
						u.ID = prefix + u.ID
						ch.Upsert = &u
					}
					if ch.Delete != "" {
						ch.Delete = prefix + ch.Delete
					}
					mustApply(t, s, prefix+st.msgID, ch, st.want)
					if got := email(t, s, prefix+"user_1"); got != st.email {
						t.Fatalf("after %s: email %s, want %s", st.msgID, got, st.email)
					}
				}
			})
		}
		if _, err := s.ApplyWebhook(ctx, "", demoapi.UserChange{}); err == nil {
			t.Error("an empty svix-id was accepted")
		}
	})
}

func TestStoreDeleteRemovesColor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ backend, _ string, s demoapi.Store) {
		mustApply(t, s, "m1", demoapi.UserChange{Upsert: user("user_1", "a@x", 10)}, demoapi.WebhookApplied)
		if err := s.SetColor(ctx, "user_1", demoapi.FavoriteColor{Color: "red", Hex: "#ff0000", UpdatedAt: 1}); err != nil {
			t.Fatal(err)
		}
		mustApply(t, s, "m2", demoapi.UserChange{Delete: "user_1"}, demoapi.WebhookApplied)
		if color(t, s, "user_1") != "<none>" {
			t.Fatal("colour kept after user.deleted")
		}
		if err := s.SetColor(ctx, "user_1", demoapi.FavoriteColor{Color: "red", Hex: "#ff0000", UpdatedAt: 2}); !errors.Is(err, demoapi.ErrUserUnknown) {
			t.Fatalf("SetColor after delete: %v", err)
		}
	})
}

// TestStoreConcurrentDeliveries: the same delivery arriving many times at once
// is applied exactly once; colour writes racing a delete never outlive the user.
func TestStoreConcurrentDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ backend, _ string, s demoapi.Store) {
		const n = 16
		outcomes := make(chan demoapi.WebhookOutcome, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := s.ApplyWebhook(ctx, "msg_same", demoapi.UserChange{Upsert: user("user_1", "a@x", 10)})
				if err != nil {
					t.Error(err)
				}
				outcomes <- out
			}()
		}
		wg.Wait()
		close(outcomes)
		count := map[demoapi.WebhookOutcome]int{}
		for o := range outcomes {
			count[o]++
		}
		if count[demoapi.WebhookApplied] != 1 || count[demoapi.WebhookDuplicate] != n-1 {
			t.Fatalf("outcomes %v, want 1 applied and %d duplicates", count, n-1)
		}

		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				err := s.SetColor(ctx, "user_1", demoapi.FavoriteColor{Color: "red", Hex: "#ff0000", UpdatedAt: int64(i)})
				if err != nil && !errors.Is(err, demoapi.ErrUserUnknown) {
					t.Error(err)
				}
			}(i)
			if i == n/2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.ApplyWebhook(ctx, "msg_delete", demoapi.UserChange{Delete: "user_1"}); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
		if color(t, s, "user_1") != "<none>" {
			t.Fatal("a colour outlived user.deleted")
		}
	})
}

// TestHealthzFollowsTheStore: /healthz answers 200 while the store does, 503 after.
func TestHealthzFollowsTheStore(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	forEachBackend(t, func(t *testing.T, _ backend, _ string, s demoapi.Store) {
		srv, err := demoapi.Start(ctx, demoapi.Config{Store: s, WebhookSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("k")),
			Issuer: "https://clerk.example.test", JWTKeyPEM: keyPEM, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		health := func() int {
			resp, err := http.Get(srv.URL() + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := health(); code != 200 {
			t.Fatalf("healthz with a working store: %d", code)
		}
		s.Close()
		if code := health(); code != 503 {
			t.Fatalf("healthz with a closed store: %d", code)
		}
	})
}
