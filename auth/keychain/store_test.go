package keychain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeKeychain is a memory backend that reports itself as a persistent
// keychain and lets a test intercept every call (to fail it, block it or
// count it). It is for unit tests only; the same behaviour is tested against a
// real Secret Service in real_test.go.
type fakeKeychain struct {
	*memoryBackend
	mu    sync.Mutex
	hook  func(op, user string) error // runs before each call
	calls []string                    // "op user"
}

func newFake() *fakeKeychain {
	return &fakeKeychain{memoryBackend: NewMemoryBackend().(*memoryBackend)}
}

func (*fakeKeychain) Name() string { return "fake keychain" }

func (f *fakeKeychain) before(op, user string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op+" "+user)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		return hook(op, user)
	}
	return nil
}

func (f *fakeKeychain) setHook(h func(op, user string) error) {
	f.mu.Lock()
	f.hook = h
	f.mu.Unlock()
}

func (f *fakeKeychain) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeKeychain) Get(service, user string) (string, error) {
	if err := f.before("get", user); err != nil {
		return "", err
	}
	return f.memoryBackend.Get(service, user)
}

func (f *fakeKeychain) Set(service, user, value string) error {
	if err := f.before("set", user); err != nil {
		return err
	}
	return f.memoryBackend.Set(service, user, value)
}

func (f *fakeKeychain) Delete(service, user string) error {
	if err := f.before("delete", user); err != nil {
		return err
	}
	return f.memoryBackend.Delete(service, user)
}

func testOptions(b Backend) Options {
	return Options{
		App: "deskclerk-test", Instance: "clerk.example.com", Backend: b,
		Timeout: 2 * time.Second, Logger: slog.New(slog.DiscardHandler),
	}
}

// token returns a printable pseudo-token of n bytes.
func token(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 42))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// within fails the test if f has not returned after d. It detects hangs; it
// is not a speed check (d is far above the timeouts under test).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v: it hangs", what, d)
	}
}

func mustLoad(t *testing.T, s *Store) string {
	t.Helper()
	v, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return v
}

func TestRoundTripSizes(t *testing.T) {
	inlineMax := DefaultChunkSize - len(manifestMagic+" inline\n") - gcEntryMax
	tests := []struct {
		name       string
		value      string
		wantChunks int // chunk entries besides the manifest; -1: don't check
	}{
		{"typical token", token(1, 900), 0},
		{"largest inline", token(2, inlineMax), 0},
		{"smallest chunked", token(3, inlineMax+1), 1},
		{"exactly one chunk size", token(4, DefaultChunkSize), 1},
		{"10 KB", token(5, 10240), 6},
		{"multibyte", strings.Repeat("jwt-é€😀", 700), -1},
		{"max size", token(6, MaxValueSize), 33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := newFake()
			opts := testOptions(kc)
			s := Open(context.Background(), opts)
			if err := s.Save(context.Background(), tt.value); err != nil {
				t.Fatal(err)
			}
			users := kc.users(opts.ServiceName())
			if !slices.Contains(users, DefaultAccount) {
				t.Fatalf("no manifest entry; entries %v", users)
			}
			if tt.wantChunks >= 0 && len(users)-1 != tt.wantChunks {
				t.Fatalf("%d chunk entries, want %d", len(users)-1, tt.wantChunks)
			}
			for _, u := range users {
				if v, _ := kc.memoryBackend.Get(opts.ServiceName(), u); len(v) > MaxChunkSize {
					t.Fatalf("entry %s holds %d bytes, more than Windows allows", u, len(v))
				}
			}
			// A new Store (the restart) reads it from the keychain, not from memory.
			if got := mustLoad(t, Open(context.Background(), opts)); got != tt.value {
				t.Fatalf("reloaded %d bytes, want the %d saved", len(got), len(tt.value))
			}
			if err := s.Delete(context.Background()); err != nil {
				t.Fatal(err)
			}
			if left := kc.users(opts.ServiceName()); len(left) != 0 {
				t.Fatalf("Delete left %v", left)
			}
			if _, err := Open(context.Background(), opts).Load(context.Background()); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after Delete, Load = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSaveRejectsBadValues(t *testing.T) {
	kc := newFake()
	s := Open(context.Background(), testOptions(kc))
	const good = "client-token-1"
	if err := s.Save(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"empty":    "",
		"not UTF8": "abc\xff\xfe",
		"too big":  strings.Repeat("a", MaxValueSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Save(context.Background(), v)
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("Save = %v, want ErrInvalidValue", err)
			}
			if got := mustLoad(t, s); got != good {
				t.Fatal("a rejected Save replaced the stored value")
			}
			if got := mustLoad(t, Open(context.Background(), testOptions(kc))); got != good {
				t.Fatal("a rejected Save changed the keychain")
			}
		})
	}
}

// TestCrashAtEveryCall stops the keychain after each call of a Save or
// Delete in turn — what killing the process at that point leaves behind —
// and checks that a restart reads the old or the new value, never a mix, and
// that the next Delete leaves no entry at all (no orphaned chunks).
func TestCrashAtEveryCall(t *testing.T) {
	small, big0, big1 := token(10, 500), token(11, 9000), token(12, 10240)
	tests := []struct {
		name     string
		old, new string // "" means absent / Delete
	}{
		{"absent to inline", "", small},
		{"absent to chunked", "", big1},
		{"inline to chunked", small, big1},
		{"chunked to chunked", big0, big1},
		{"chunked to inline", big0, small},
		{"chunked to deleted", big0, ""},
		{"inline to deleted", small, ""},
	}
	errCrashed := errors.New("process killed")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for k := 0; ; k++ {
				if k > 100 {
					t.Fatal("write never finished")
				}
				kc := newFake()
				opts := testOptions(kc)
				if tt.old != "" {
					if err := Open(context.Background(), opts).Save(context.Background(), tt.old); err != nil {
						t.Fatal(err)
					}
				}
				s := Open(context.Background(), opts)
				var calls atomic.Int64
				kc.setHook(func(string, string) error {
					if calls.Add(1) > int64(k) {
						return errCrashed
					}
					return nil
				})
				var err error
				if tt.new == "" {
					err = s.Delete(context.Background())
				} else {
					err = s.Save(context.Background(), tt.new)
				}
				kc.setHook(nil)
				finished := calls.Load() <= int64(k) // never crashed
				if finished && err != nil || err != nil && !errors.Is(err, errCrashed) {
					t.Fatalf("k=%d: unexpected error %v", k, err)
				}

				restarted := Open(context.Background(), opts)
				if h := restarted.Health(); h.Err != nil {
					t.Fatalf("k=%d: restart found a damaged state: %v", k, h.Err)
				}
				got, lerr := restarted.Load(context.Background())
				switch {
				case errors.Is(lerr, ErrNotFound) && (tt.old == "" || tt.new == ""):
					got = ""
				case lerr != nil:
					t.Fatalf("k=%d: restart cannot read the state: %v", k, lerr)
				}
				switch got {
				case tt.old:
					seen["old"] = true
				case tt.new:
					seen["new"] = true
				default:
					t.Fatalf("k=%d: restart read %d bytes, neither old (%d) nor new (%d)", k, len(got), len(tt.old), len(tt.new))
				}
				assertNoOrphans(t, kc, opts)

				// The next sign-out removes everything, leftovers included.
				if err := Open(context.Background(), opts).Delete(context.Background()); err != nil {
					t.Fatal(err)
				}
				if left := kc.users(opts.ServiceName()); len(left) != 0 {
					t.Fatalf("k=%d: Delete after the crash left %v", k, left)
				}
				if finished {
					if got != tt.new {
						t.Fatal("completed write did not persist the new value")
					}
					break
				}
			}
			if tt.old != tt.new && (!seen["old"] || !seen["new"]) {
				t.Fatalf("crash points never showed both states: %v", seen)
			}
		})
	}
}

// assertNoOrphans checks that every chunk entry in the keychain is named by
// the manifest (as current or as garbage to collect).
func assertNoOrphans(t *testing.T, kc *fakeKeychain, opts Options) {
	t.Helper()
	known := map[string]bool{}
	raw, err := kc.memoryBackend.Get(opts.ServiceName(), DefaultAccount)
	if err == nil {
		m, err := parseManifest(raw)
		if err != nil {
			t.Fatalf("manifest unreadable: %v", err)
		}
		for _, g := range append(m.gc, m.gen) {
			for i := 0; i < g.n; i++ {
				known[chunkUser(DefaultAccount, g.id, i)] = true
			}
		}
	}
	for _, u := range kc.users(opts.ServiceName()) {
		if u != DefaultAccount && !known[u] {
			t.Fatalf("orphaned chunk %s not named by the manifest", u)
		}
	}
}

// TestNewestSaveWins holds the first write inside the keychain while 99 more
// rotations arrive; the newest must end up stored, with the burst collapsed.
func TestNewestSaveWins(t *testing.T) {
	kc := newFake()
	opts := testOptions(kc)
	s := Open(context.Background(), opts)

	inSet := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	kc.setHook(func(op, user string) error {
		if op == "set" {
			once.Do(func() { close(inSet); <-release })
		}
		return nil
	})

	const n = 100
	values := make([]string, n)
	for i := range values {
		values[i] = fmt.Sprintf("client-token-%03d-%s", i, token(uint64(i), 40))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = s.Save(context.Background(), values[0]) }()
	<-inSet
	entered := make(chan uint64, n)
	s.enterHook = func(seq uint64) { entered <- seq }
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Save(context.Background(), values[i]) }()
		<-entered // call i has its number before call i+1 starts
	}
	if got := mustLoad(t, s); got != values[n-1] {
		t.Fatal("Load does not return the newest value while the write is pending")
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Save %d: %v", i, err)
		}
	}
	if got := mustLoad(t, Open(context.Background(), opts)); got != values[n-1] {
		t.Fatalf("keychain holds %.17q, want the newest %.17q", got, values[n-1])
	}
	if w := kc.count("set " + DefaultAccount); w != 2 {
		t.Fatalf("%d manifest writes for a burst of %d behind one slow write, want 2 (first, then newest)", w, n)
	}
}

// TestOlderWriteNeverWritten: two rotations wait while the keychain is busy;
// whichever gets to write first writes the newer value, so the older one never
// reaches the keychain at all.
func TestOlderWriteNeverWritten(t *testing.T) {
	kc := newFake()
	opts := testOptions(kc)
	s := Open(context.Background(), opts)
	var mu sync.Mutex
	var written []string
	kc.setHook(func(op, user string) error {
		if op == "set" && user == DefaultAccount {
			mu.Lock()
			defer mu.Unlock()
			written = append(written, "manifest")
		}
		return nil
	})

	s.ops <- struct{}{} // the keychain is busy with an earlier operation
	entered := make(chan uint64, 2)
	s.enterHook = func(seq uint64) { entered <- seq }
	errs := make(chan error, 2)
	go func() { errs <- s.Save(context.Background(), "older-token") }()
	<-entered
	go func() { errs <- s.Save(context.Background(), "newer-token") }()
	<-entered
	<-s.ops // let them race for the keychain
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := mustLoad(t, Open(context.Background(), opts)); got != "newer-token" {
		t.Fatalf("keychain holds %q, want %q", got, "newer-token")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(written) != 1 {
		t.Fatalf("%d manifest writes, want 1: the older value must be skipped, not written then overwritten", len(written))
	}
}

func TestSaveSameValueSkipsWrite(t *testing.T) {
	kc := newFake()
	s := Open(context.Background(), testOptions(kc))
	for range 5 {
		if err := s.Save(context.Background(), "same-token"); err != nil {
			t.Fatal(err)
		}
	}
	if w := kc.count("set"); w != 1 {
		t.Fatalf("%d writes for one distinct value, want 1", w)
	}
}

func TestSaveDeleteOrdering(t *testing.T) {
	kc := newFake()
	opts := testOptions(kc)
	s := Open(context.Background(), opts)
	ctx := context.Background()
	steps := []struct {
		op   string
		want string // "" = absent
	}{
		{"save a", "a-token"}, {"delete", ""}, {"delete", ""}, {"save b", "b-token"}, {"save a", "a-token"}, {"delete", ""},
	}
	for _, st := range steps {
		var err error
		if st.op == "delete" {
			err = s.Delete(ctx)
		} else {
			err = s.Save(ctx, st.want)
		}
		if err != nil {
			t.Fatalf("%s: %v", st.op, err)
		}
		got, err := Open(ctx, opts).Load(ctx)
		if st.want == "" && !errors.Is(err, ErrNotFound) || st.want != "" && got != st.want {
			t.Fatalf("after %s: Load = %q, %v", st.op, got, err)
		}
	}
}

// TestHungKeychain: a keychain that never answers costs a timeout, never a
// hang, and strands at most one goroutine.
func TestHungKeychain(t *testing.T) {
	kc := newFake()
	opts := testOptions(kc)
	opts.Timeout = 100 * time.Millisecond
	s := Open(context.Background(), opts)
	if err := s.Save(context.Background(), "token-before-hang"); err != nil {
		t.Fatal(err)
	}

	unblock := make(chan struct{})
	defer close(unblock)
	var entered atomic.Int64
	kc.setHook(func(string, string) error { entered.Add(1); <-unblock; return nil })

	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Save(context.Background(), fmt.Sprintf("token-%d", i)) }()
	}
	within(t, 30*time.Second, "Save on a hung keychain", wg.Wait)
	for i, err := range errs {
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("Save %d = %v, want ErrTimeout", i, err)
		}
	}
	if n := entered.Load(); n != 1 {
		t.Fatalf("%d calls entered the hung keychain, want 1", n)
	}
	h := s.Health()
	if h.Persistent || !errors.Is(h.Err, ErrTimeout) || !strings.Contains(h.LastError, "timed out") {
		t.Fatalf("health after timeouts = %+v", h)
	}
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatalf("Load from memory during the hang: %v", err)
	}
}

func TestHungKeychainRecovers(t *testing.T) {
	kc := newFake()
	opts := testOptions(kc)
	opts.Timeout = 100 * time.Millisecond
	s := Open(context.Background(), opts)
	unblock := make(chan struct{})
	kc.setHook(func(string, string) error { <-unblock; return nil })
	var err error
	within(t, 30*time.Second, "Save on a hung keychain", func() { err = s.Save(context.Background(), "token-1") })
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Save = %v, want ErrTimeout", err)
	}
	kc.setHook(nil)
	close(unblock) // the stranded call finishes late
	if err := s.Save(context.Background(), "token-2"); err != nil {
		t.Fatalf("Save after recovery: %v", err)
	}
	if h := s.Health(); !h.Persistent || h.LastError != "" {
		t.Fatalf("health after recovery = %+v", h)
	}
	if got := mustLoad(t, Open(context.Background(), testOptions(kc))); got != "token-2" {
		t.Fatalf("keychain holds %q after recovery", got)
	}
}

func TestOpenFallsBackToMemory(t *testing.T) {
	unblock := make(chan struct{})
	defer close(unblock)
	tests := []struct {
		name    string
		hook    func(op, user string) error
		wantErr error
	}{
		{"unavailable", func(string, string) error {
			return errors.New("The name org.freedesktop.secrets was not provided by any .service files")
		}, ErrUnavailable},
		{"never answers", func(string, string) error { <-unblock; return nil }, ErrTimeout},
		{"panics", func(string, string) error { panic("bad reply from keychain") }, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := newFake()
			kc.setHook(tt.hook)
			opts := testOptions(kc)
			opts.Timeout = 100 * time.Millisecond
			var s *Store
			within(t, 30*time.Second, "Open", func() { s = Open(context.Background(), opts) })
			h := s.Health()
			if h.Backend != BackendMemoryOnly || h.Persistent || !errors.Is(h.Err, tt.wantErr) || h.LastError == "" {
				t.Fatalf("health = %+v, want memory only with %v", h, tt.wantErr)
			}
			if !strings.Contains(h.Summary(), "will not stay signed in") {
				t.Fatalf("summary %q does not warn the user", h.Summary())
			}
			// This run still works, from memory.
			if _, err := s.Load(context.Background()); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Load = %v, want ErrNotFound", err)
			}
			for _, v := range []string{"token-1", token(7, 10240)} {
				if err := s.Save(context.Background(), v); err != nil {
					t.Fatal(err)
				}
				if got := mustLoad(t, s); got != v {
					t.Fatal("memory-only Load lost the value")
				}
			}
			if err := s.Delete(context.Background()); err != nil {
				t.Fatal(err)
			}
			kc.setHook(nil)
			if n := len(kc.users(opts.ServiceName())); n != 0 {
				t.Fatalf("memory-only Store wrote %d entries to the failed keychain", n)
			}
		})
	}
}

func TestOpenInvalidOptions(t *testing.T) {
	kc := newFake()
	opts := testOptions(kc)
	opts.Instance = "https://clerk.example.com/"
	s := Open(context.Background(), opts)
	h := s.Health()
	if h.Backend != BackendMemoryOnly || !errors.Is(h.Err, ErrInvalidOptions) {
		t.Fatalf("health = %+v", h)
	}
	if err := s.Save(context.Background(), "token"); err != nil || mustLoad(t, s) != "token" {
		t.Fatalf("memory-only Save/Load: %v", err)
	}
	if len(kc.calls) != 0 {
		t.Fatalf("invalid options still touched the keychain: %v", kc.calls)
	}
}

func TestDamagedEntries(t *testing.T) {
	big := token(20, 10240)
	tests := []struct {
		name   string
		damage func(kc *fakeKeychain, service string)
	}{
		{"foreign value", func(kc *fakeKeychain, svc string) { _ = kc.memoryBackend.Set(svc, DefaultAccount, "not ours") }},
		{"missing chunk", func(kc *fakeKeychain, svc string) {
			for _, u := range kc.users(svc) {
				if strings.HasSuffix(u, ".2") {
					_ = kc.memoryBackend.Delete(svc, u)
				}
			}
		}},
		{"altered chunk", func(kc *fakeKeychain, svc string) {
			for _, u := range kc.users(svc) {
				if strings.HasSuffix(u, ".0") {
					_ = kc.memoryBackend.Set(svc, u, token(21, DefaultChunkSize))
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := newFake()
			opts := testOptions(kc)
			if err := Open(context.Background(), opts).Save(context.Background(), big); err != nil {
				t.Fatal(err)
			}
			tt.damage(kc, opts.ServiceName())
			s := Open(context.Background(), opts)
			h := s.Health()
			if h.Backend != "fake keychain" || !h.Persistent || !errors.Is(h.Err, ErrCorrupt) {
				t.Fatalf("health = %+v, want the keychain kept with ErrCorrupt", h)
			}
			if _, err := s.Load(context.Background()); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Load of a damaged entry = %v, want ErrNotFound (sign in again)", err)
			}
			if err := s.Save(context.Background(), "fresh-token"); err != nil {
				t.Fatal(err)
			}
			if got := mustLoad(t, Open(context.Background(), opts)); got != "fresh-token" {
				t.Fatal("Save did not replace the damaged entry")
			}
		})
	}
}

func TestSecretNeverInErrorsOrLogs(t *testing.T) {
	secret := "eyJhbGciOiJSUzI1NiJ9." + token(30, 3000) + ".sig"
	kc := newFake()
	var logs bytes.Buffer
	opts := testOptions(kc)
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := Open(context.Background(), opts)
	kc.setHook(func(op, user string) error {
		if op == "set" {
			return fmt.Errorf("backend echoed the payload: %s", secret)
		}
		return nil
	})
	err := s.Save(context.Background(), secret)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Save = %v, want ErrUnavailable", err)
	}
	h := s.Health()
	for where, text := range map[string]string{"error": err.Error(), "health": h.LastError, "summary": h.Summary(), "logs": logs.String()} {
		if strings.Contains(text, secret) || strings.Contains(text, secret[:40]) {
			t.Fatalf("the value leaked into the %s", where)
		}
	}
	if h.Persistent {
		t.Fatal("health claims the failed value is persistent")
	}
	if logs.Len() == 0 {
		t.Fatal("a failed write was not logged")
	}
}

func TestHealthSummaries(t *testing.T) {
	tests := []struct {
		h    Health
		want string
	}{
		{Health{Backend: BackendSecretService, Persistent: true}, "Sign-in is kept in the Secret Service."},
		{Health{Backend: BackendMemoryOnly}, "You will not stay signed in"},
		{Health{Backend: BackendMemoryOnly, LastError: "no bus"}, "no working keychain (no bus)"},
		{Health{Backend: BackendWindowsCredMan, LastError: "timed out"}, "did not save your sign-in (timed out)"},
		{Health{Backend: BackendMacOSKeychain, Persistent: true, LastError: "timed out"}, "last operation failed"},
	}
	for _, tt := range tests {
		if got := tt.h.Summary(); !strings.Contains(got, tt.want) {
			t.Errorf("Summary(%+v) = %q, want it to contain %q", tt.h, got, tt.want)
		}
	}
}

func TestContextCancelled(t *testing.T) {
	kc := newFake()
	s := Open(context.Background(), testOptions(kc))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Save(ctx, "token"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Save with a cancelled context = %v", err)
	}
	if got := mustLoad(t, s); got != "token" {
		t.Fatal("cancelled Save lost the value from memory")
	}
	if err := s.Save(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, Open(context.Background(), testOptions(kc))); got != "token" {
		t.Fatal("retry after cancel did not persist")
	}
}

// waitSettled polls Health until the Store no longer retries the keychain.
func waitSettled(t *testing.T, s *Store) Health {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h := s.Health()
		if !h.Retrying {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Store still retries the keychain: %+v", h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A keychain that answers only after Open gave up: the Store works from memory
// meanwhile, keeps trying, and once the keychain answers applies the Saves and
// Deletes made in between (the newest state wins); with none, the keychain's
// state stands. Health shows a pending delete until it is done.
func TestLateKeychainGetsPendingChanges(t *testing.T) {
	tests := []struct {
		name        string
		do          func(t *testing.T, s *Store)
		wantPending string
		wantSummary string
		want        string // what a restart finds; "" = nothing
	}{
		{"sign-out while waiting", func(t *testing.T, s *Store) {
			if err := s.Save(context.Background(), "new-token"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, "delete", "Sign-out is not saved yet", ""},
		{"sign-in while waiting", func(t *testing.T, s *Store) {
			for _, v := range []string{"new-token-1", token(9, 5000)} {
				if err := s.Save(context.Background(), v); err != nil {
					t.Fatal(err)
				}
			}
		}, "save", "unless the fake keychain answers", token(9, 5000)},
		{"nothing while waiting", func(t *testing.T, s *Store) {}, "", "unless the fake keychain answers", "old-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := newFake()
			opts := testOptions(kc)
			opts.Timeout, opts.RetryInterval = 100*time.Millisecond, 20*time.Millisecond
			if err := Open(context.Background(), opts).Save(context.Background(), "old-token"); err != nil {
				t.Fatal(err)
			}
			unblock := make(chan struct{})
			kc.setHook(func(string, string) error { <-unblock; return nil })
			s := Open(context.Background(), opts)
			defer s.Close()
			if h := s.Health(); !h.Retrying || h.Backend != BackendMemoryOnly || !errors.Is(h.Err, ErrTimeout) {
				t.Fatalf("health %+v, want memory only, retrying after a timeout", h)
			}
			tt.do(t, s)
			h := s.Health()
			if h.Pending != tt.wantPending || !strings.Contains(h.Summary(), tt.wantSummary) {
				t.Fatalf("pending %q, summary %q; want %q, %q", h.Pending, h.Summary(), tt.wantPending, tt.wantSummary)
			}
			close(unblock) // the keychain answers
			h = waitSettled(t, s)
			if h.Backend != "fake keychain" || !h.Persistent || h.Pending != "" || h.LastError != "" {
				t.Fatalf("after the keychain answered: %+v", h)
			}
			if tt.want != "" && mustLoad(t, s) != tt.want {
				t.Fatal("this run's state is not the newest one")
			}
			got, err := Open(context.Background(), opts).Load(context.Background())
			if tt.want == "" {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("restart found %d bytes (%v): the sign-out did not reach the keychain", len(got), err)
				}
				if n := len(kc.users(opts.ServiceName())); n != 0 {
					t.Fatalf("%d entries left", n)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("restart: %d bytes, %v; want the newest state", len(got), err)
			}
		})
	}
}
