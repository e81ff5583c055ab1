package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deskclerk/auth/internal/testjwt"
)

// waitForKeys waits until the verifier's first fetch has produced a key set.
func waitForKeys(t *testing.T, v *Verifier) {
	t.Helper()
	eventually(t, "the first key set", func() bool { return v.keys.(*jwksKeys).keys.Load() != nil })
}

func TestJWKSRotationNewKidAfterOneRefetch(t *testing.T) {
	a, b, _ := keys()
	srv := newJWKSServer(t, a)
	v := mustNew(t, jwksConfig(srv.url())) // MinRefetchInterval 1h: exactly one kid-triggered fetch allowed
	waitForKeys(t, v)
	tokA := a.MustSign(claims(nil), kidA, "RS256")
	tokB := b.MustSign(claims(nil), kidB, "RS256")
	if _, err := v.Verify(context.Background(), tokA); err != nil {
		t.Fatal(err)
	}
	before := srv.hits.Load()

	srv.setKeys(b) // rotate: B published, A withdrawn
	if _, err := v.Verify(context.Background(), tokB); err != nil {
		t.Fatalf("new kid after rotation: %v", err)
	}
	if got := srv.hits.Load() - before; got != 1 {
		t.Fatalf("rotation took %d fetches, want 1", got)
	}
	// A was cached, but its key is gone from the refetched set.
	_, err := v.Verify(context.Background(), tokA)
	checkErr(t, tokA, err, ErrUnknownKey)
	if got := srv.hits.Load() - before; got != 1 {
		t.Fatalf("rate limit let %d fetches through, want 1", got)
	}
}

func TestJWKSRemovedKidRefusedAfterPeriodicRefresh(t *testing.T) {
	t.Parallel() // waits on real timers
	a, b, _ := keys()
	srv := newJWKSServer(t, a, b)
	cfg := jwksConfig(srv.url())
	cfg.RefreshInterval = time.Second
	v := mustNew(t, cfg)
	waitForKeys(t, v)
	tokA := a.MustSign(claims(nil), kidA, "RS256")
	if _, err := v.Verify(context.Background(), tokA); err != nil {
		t.Fatal(err)
	}
	srv.setKeys(b)
	var err error
	eventually(t, "the periodic refresh to drop kid A", func() bool {
		_, err = v.Verify(context.Background(), tokA)
		return err != nil
	})
	checkErr(t, tokA, err, ErrUnknownKey)
	if _, err := v.Verify(context.Background(), b.MustSign(claims(nil), kidB, "RS256")); err != nil {
		t.Fatalf("kid B: %v", err)
	}
}

func TestJWKSDownAtStart(t *testing.T) {
	t.Parallel() // waits on real timers
	a, _, _ := keys()
	tok := a.MustSign(claims(nil), kidA, "RS256")

	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		v := mustNew(t, jwksConfig(freePortURL(t)))
		_, err := v.Verify(context.Background(), tok)
		checkErr(t, tok, err, ErrKeysUnavailable)
		if !strings.Contains(err.Error(), "fetch JWKS") {
			t.Fatalf("cause missing from %q", err)
		}
	})

	for _, mode := range []string{"500", "drop", "garbage", "nokeys"} {
		t.Run(mode+" then up", func(t *testing.T) {
			t.Parallel()
			srv := newJWKSServer(t, a)
			srv.setMode(mode)
			v := mustNew(t, jwksConfig(srv.url())) // kid-triggered refetch limited to 1/h: recovery is the retry loop's
			_, err := v.Verify(context.Background(), tok)
			checkErr(t, tok, err, ErrKeysUnavailable)
			srv.setMode("ok")
			eventually(t, "the background retry to fetch the keys", func() bool {
				_, err = v.Verify(context.Background(), tok)
				return err == nil
			})
		})
	}
}

func TestJWKSFailuresKeepLastGoodKeys(t *testing.T) {
	a, b, _ := keys()
	tokA := a.MustSign(claims(nil), kidA, "RS256")
	tokB := b.MustSign(claims(nil), kidB, "RS256")
	for _, mode := range []string{"500", "garbage", "nokeys", "slow", "drop", "huge", "redirect"} {
		t.Run(mode, func(t *testing.T) {
			srv := newJWKSServer(t, a)
			cfg, clock := withTestClock(jwksConfig(srv.url()))
			cfg.CacheSize = -1 // every Verify goes to the key set
			cfg.MinRefetchInterval = time.Millisecond
			v := mustNew(t, cfg)
			waitForKeys(t, v)
			srv.setKeys(a, b) // B is published, but the endpoint is about to break
			srv.setMode(mode)
			for i := 0; i < 3; i++ {
				before := srv.hits.Load()
				_, err := v.Verify(context.Background(), tokB)
				checkErr(t, tokB, err, ErrUnknownKey)
				if srv.hits.Load() == before {
					t.Fatalf("unknown kid did not refetch")
				}
				if _, err := v.Verify(context.Background(), tokA); err != nil {
					t.Fatalf("last good key stopped working: %v", err)
				}
				clock.Advance(2 * time.Millisecond) // past MinRefetchInterval
			}
			srv.setMode("ok")
			clock.Advance(2 * time.Millisecond)
			if _, err := v.Verify(context.Background(), tokB); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}
}

func TestJWKSKnownKidDoesNotWaitForSlowFetch(t *testing.T) {
	t.Parallel() // waits on real timers
	a, _, _ := keys()
	srv := newJWKSServer(t, a)
	cfg := jwksConfig(srv.url())
	cfg.HTTPClient = &http.Client{Timeout: time.Second}
	cfg.CacheSize = -1
	v := mustNew(t, cfg)
	waitForKeys(t, v)
	srv.setMode("slow")
	before := srv.hits.Load()
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), a.MustSign(claims(nil), "ins_unknown", "RS256"))
		done <- err
	}()
	eventually(t, "the slow refetch to start", func() bool { return srv.hits.Load() > before })
	// The refetch is still hanging in the server; a known kid is served meanwhile.
	if _, err := v.Verify(context.Background(), a.MustSign(claims(nil), kidA, "RS256")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("unknown-kid Verify returned before its fetch ended: %v", err)
	default:
	}
	// A caller's context bounds its own wait, not the shared fetch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(ctx, a.MustSign(claims(nil), "ins_other", "RS256"))
	checkErr(t, "", err, ErrUnknownKey)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want the caller's cancellation as cause, got %v", err)
	}
	srv.setMode("ok")
	if err := <-done; !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
}

// unknownKidTokens returns n tokens with distinct unknown kids. Only the
// header differs, so one signature serves for all: the kid lookup fails first.
func unknownKidTokens(t *testing.T, n int, prefix string) []string {
	a, _, _ := keys()
	parts := strings.Split(a.MustSign(claims(nil), kidA, "RS256"), ".")
	out := make([]string, n)
	for i := range out {
		h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": prefix + strconv.Itoa(i)})
		out[i] = base64.RawURLEncoding.EncodeToString(h) + "." + parts[1] + "." + parts[2]
	}
	return out
}

func storm(t *testing.T, v *Verifier, tokens []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens))
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, ErrUnknownKey) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("want ErrUnknownKey for every unknown kid, got %v", err)
	}
}

func TestJWKSUnknownKidStormFetchesOncePerInterval(t *testing.T) {
	a, _, _ := keys()
	srv := newJWKSServer(t, a)
	cfg, clock := withTestClock(jwksConfig(srv.url()))
	cfg.MinRefetchInterval = 500 * time.Millisecond
	v := mustNew(t, cfg)
	waitForKeys(t, v)
	f := v.keys.(*jwksKeys).fetcher

	before := f.count.Load()
	storm(t, v, unknownKidTokens(t, 1000, "ins_storm1_"))
	if got := f.count.Load() - before; got > 1 {
		t.Fatalf("1000 unknown kids caused %d fetches, want at most 1", got)
	}
	storm(t, v, unknownKidTokens(t, 1000, "ins_storm2_"))
	if got := f.count.Load() - before; got > 1 {
		t.Fatalf("a second storm inside the interval fetched again (%d fetches)", got)
	}
	clock.Advance(cfg.MinRefetchInterval)
	before = f.count.Load()
	storm(t, v, unknownKidTokens(t, 1000, "ins_storm3_"))
	if got := f.count.Load() - before; got != 1 {
		t.Fatalf("after the interval a storm caused %d fetches, want 1", got)
	}
	if srv.hits.Load() != f.count.Load() {
		t.Fatalf("server saw %d requests, fetcher sent %d", srv.hits.Load(), f.count.Load())
	}
}

func TestJWKSIgnoresKeyURLHeaders(t *testing.T) {
	a, _, attacker := keys()
	evilKey := &testjwt.Key{KID: "ins_attacker", Private: attacker.Private}
	evil := newJWKSServer(t, evilKey)
	srv := newJWKSServer(t, a)
	v := mustNew(t, jwksConfig(srv.url()))
	waitForKeys(t, v)
	for _, hdr := range []string{"jku", "x5u"} {
		h := clerkHeader("ins_attacker")
		h[hdr] = evil.url()
		tok, err := evilKey.SignHeader(h, claims(nil))
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tok)
		checkErr(t, tok, err, ErrUnknownKey)
	}
	if evil.hits.Load() != 0 {
		t.Fatalf("the verifier fetched a URL named by a token (%d requests)", evil.hits.Load())
	}
}

func TestJWKSPeriodicRefreshDoesNotMultiply(t *testing.T) {
	t.Parallel() // waits on real timers
	a, _, _ := keys()
	srv := newJWKSServer(t, a)
	cfg, clock := withTestClock(jwksConfig(srv.url()))
	cfg.RefreshInterval = time.Second
	cfg.MinRefetchInterval = time.Millisecond
	v := mustNew(t, cfg)
	waitForKeys(t, v)
	// Five kid-triggered fetches. Had they gone through jwk.Cache.Refresh,
	// each would have added a periodic refresh of its own.
	for i := range 5 {
		storm(t, v, unknownKidTokens(t, 1, "ins_force"+strconv.Itoa(i)+"_"))
		clock.Advance(3 * time.Millisecond)
	}
	before := srv.hits.Load()
	time.Sleep(3500 * time.Millisecond)
	got := srv.hits.Load() - before
	// One schedule at 1 s (window 1 s): 1–4 fetches in 3.5 s. Six schedules: about 20.
	if got < 1 || got > 5 {
		t.Fatalf("%d periodic fetches in 3.5 s at a 1 s interval", got)
	}
}

func TestJWKSCloseStopsFetching(t *testing.T) {
	t.Parallel() // waits on real timers
	a, _, _ := keys()
	srv := newJWKSServer(t, a)
	cfg := jwksConfig(srv.url())
	cfg.RefreshInterval = time.Second
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitForKeys(t, v)
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	_ = v.Close() // idempotent
	before := srv.hits.Load()
	time.Sleep(2500 * time.Millisecond)
	if got := srv.hits.Load() - before; got != 0 {
		t.Fatalf("%d fetches after Close", got)
	}
	// Keys already fetched keep working.
	if _, err := v.Verify(context.Background(), a.MustSign(claims(nil), kidA, "RS256")); err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), a.MustSign(claims(nil), "ins_new", "RS256"))
	checkErr(t, "", err, ErrUnknownKey)
	if srv.hits.Load() != before {
		t.Fatal("a closed verifier fetched")
	}
}

func TestJWKSKeyFiltering(t *testing.T) {
	a, b, _ := keys()
	weak := testjwt.MustKeyBits("ins_weak", 1024)
	jwk := func(k *testjwt.Key, changes map[string]any) map[string]any {
		j := k.JWK()
		for n, v := range changes {
			if v == nil {
				delete(j, n)
			} else {
				j[n] = v
			}
		}
		return j
	}
	body, _ := json.Marshal(map[string]any{"keys": []any{
		jwk(a, nil),
		jwk(b, map[string]any{"kid": "ins_enc", "use": "enc"}),
		jwk(b, map[string]any{"kid": "ins_rs512", "alg": "RS512"}),
		jwk(b, map[string]any{"kid": nil}),
		jwk(weak, nil),
		jwk(a, map[string]any{"kid": "ins_dup"}),
		jwk(b, map[string]any{"kid": "ins_dup"}),
		jwk(b, map[string]any{"kid": "ins_noalg", "alg": nil, "use": nil}),
		map[string]any{"kty": "EC", "kid": "ins_ec", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRjo4iNaw1xo8S6lBPAjcqnmqP8qNAPCiBr3ixM"},
	}})
	srv := newJWKSServer(t)
	srv.mu.Lock()
	srv.body = body
	srv.mu.Unlock()
	v := mustNew(t, jwksConfig(srv.url()))
	waitForKeys(t, v)
	got := v.keys.(*jwksKeys).keys.Load().byKID
	if len(got) != 2 || got[kidA] == nil || got["ins_noalg"] == nil {
		kids := []string{}
		for k := range got {
			kids = append(kids, k)
		}
		t.Fatalf("usable kids %v, want %s and ins_noalg", kids, kidA)
	}
	for _, kid := range []string{"ins_enc", "ins_rs512", "ins_weak", "ins_dup", "ins_ec"} {
		signer := b
		if kid == "ins_weak" {
			signer = weak
		}
		tok := signer.MustSign(claims(nil), kid, "RS256")
		_, err := v.Verify(context.Background(), tok)
		checkErr(t, tok, err, ErrUnknownKey)
	}
}

func TestJWKSUnchangedKeyKeepsCacheEntries(t *testing.T) {
	a, b, _ := keys()
	srv := newJWKSServer(t, a)
	cfg, clock := withTestClock(jwksConfig(srv.url()))
	cfg.MinRefetchInterval = time.Millisecond
	v := mustNew(t, cfg)
	waitForKeys(t, v)
	tokA := a.MustSign(claims(nil), kidA, "RS256")
	if _, err := v.Verify(context.Background(), tokA); err != nil {
		t.Fatal(err)
	}
	k := v.keys.(*jwksKeys)
	ptr := k.current(kidA)
	srv.setKeys(a, b)
	if _, err := v.Verify(context.Background(), b.MustSign(claims(nil), kidB, "RS256")); err != nil {
		t.Fatal(err)
	}
	if k.current(kidA) != ptr {
		t.Fatal("an unchanged key got a new identity on refetch, invalidating cached tokens")
	}
	// A kid republished with different key material must not keep old cache entries.
	srv.setKeys(&testjwt.Key{KID: kidA, Private: b.Private})
	clock.Advance(2 * time.Millisecond)
	storm(t, v, unknownKidTokens(t, 1, "ins_trigger"))
	_, err := v.Verify(context.Background(), tokA)
	checkErr(t, tokA, err, ErrSignature)
}
