package keychain

// Tests against a real Secret Service (gnome-keyring on a private D-Bus
// session, set up by testdata/run-with-keyring.sh) and against private buses
// with no or a hung Secret Service, driving the Store from separate processes
// (internal/kctool) where a restart, a kill or a broken bus is the point.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	envRequireReal = "DESKCLERK_REAL_KEYRING"    // "1": the real-keychain tests must run
	envSandbox     = "DESKCLERK_KEYRING_SANDBOX" // set by run-with-keyring.sh
	runHint        = "run: auth/keychain/testdata/run-with-keyring.sh go test ./auth/keychain/..."
	testApp        = "deskclerk-test" // kctool's default -app
)

func TestMain(m *testing.M) {
	code := m.Run()
	if kctoolBin.dir != "" {
		_ = os.RemoveAll(kctoolBin.dir)
	}
	os.Exit(code)
}

// missing skips the test, or fails it when DESKCLERK_REAL_KEYRING=1 says the
// environment must be there.
func missing(tb testing.TB, problem string) {
	tb.Helper()
	if os.Getenv(envRequireReal) == "1" {
		tb.Fatalf("%s=1 but %s (%s)", envRequireReal, problem, runHint)
	}
	tb.Skipf("skipping: %s (%s)", problem, runHint)
}

var realEnv struct {
	once    sync.Once
	problem string
}

// requireRealKeyring makes sure a throw-away, unlocked Secret Service is on
// the session bus; the tests never touch a real user's keyring.
func requireRealKeyring(tb testing.TB) {
	tb.Helper()
	realEnv.once.Do(func() { realEnv.problem = detectRealKeyring() })
	if realEnv.problem != "" {
		missing(tb, realEnv.problem)
	}
}

func detectRealKeyring() string {
	sb := os.Getenv(envSandbox)
	switch {
	case sb == "":
		return envSandbox + " is not set, so this is not a throw-away keyring"
	case !isDir(sb):
		return envSandbox + " is not a directory"
	case !strings.HasPrefix(os.Getenv("XDG_DATA_HOME"), sb):
		return "XDG_DATA_HOME is outside " + envSandbox
	case os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "":
		return "no D-Bus session bus"
	case os.Getenv("DISPLAY") != "":
		return "DISPLAY is set, so a locked keyring could open a prompt"
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		return "secret-tool not found (apt-get install libsecret-tools)"
	}
	done := make(chan error, 1)
	go func() {
		_, err := SystemBackend().Get("deskclerk-keychain-test-probe", newGenID())
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotFound) {
			return fmt.Sprintf("the Secret Service does not work: %v", err)
		}
	case <-time.After(10 * time.Second):
		return "the Secret Service did not answer within 10s"
	}
	return ""
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

var instanceChars = regexp.MustCompile(`[^a-z0-9]+`)

// realOptions returns options for a service name no other test uses, and
// deletes whatever the test left under it.
func realOptions(t *testing.T) Options {
	t.Helper()
	name := instanceChars.ReplaceAllString(strings.ToLower(t.Name()), "-")
	opts := Options{
		App:      testApp,
		Instance: fmt.Sprintf("%s-%d.test", strings.Trim(name, "-"), time.Now().UnixNano()),
		Timeout:  10 * time.Second, // generous for a loaded CI box; the hang tests use short ones
		Logger:   slog.New(slog.DiscardHandler),
	}
	t.Cleanup(func() { _ = Open(context.Background(), opts).Delete(context.Background()) })
	return opts
}

// --- kctool, the helper process ---

var kctoolBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func kctool(t *testing.T) string {
	t.Helper()
	kctoolBin.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			kctoolBin.err = fmt.Errorf("go not on PATH: %w", err)
			return
		}
		if kctoolBin.dir, err = os.MkdirTemp("", "kctool-"); err != nil {
			kctoolBin.err = err
			return
		}
		kctoolBin.path = filepath.Join(kctoolBin.dir, "kctool")
		out, err := exec.Command(goBin, "build", "-o", kctoolBin.path, "deskclerk/auth/keychain/internal/kctool").CombinedOutput()
		if err != nil {
			kctoolBin.err = fmt.Errorf("build kctool: %v\n%s", err, out)
		}
	})
	if kctoolBin.err != nil {
		t.Fatal(kctoolBin.err)
	}
	return kctoolBin.path
}

// kcResult mirrors kctool's JSON output.
type kcResult struct {
	Op              string `json:"op"`
	Found           bool   `json:"found"`
	Len             int    `json:"len"`
	SHA256          string `json:"sha256"`
	Error           string `json:"error"`
	ErrorKind       string `json:"errorKind"`
	Health          Health `json:"health"`
	HealthErrorKind string `json:"healthErrorKind"`
	Millis          int64  `json:"millis"`
}

func sum(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

// withEnv returns the environment with the given KEY=value entries replaced.
func withEnv(kv ...string) []string {
	env := os.Environ()
	for _, e := range kv {
		k, _, _ := strings.Cut(e, "=")
		env = slicesDeleteKey(env, k)
		env = append(env, e)
	}
	return env
}

func slicesDeleteKey(env []string, key string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, key+"=") {
			out = append(out, e)
		}
	}
	return out
}

// runKctool runs one kctool command (value on stdin) and returns its result.
// A minute is far beyond any timeout the tests configure: hitting it means a
// hang, which fails the test.
func runKctool(t *testing.T, env []string, stdin string, args ...string) kcResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kctool(t), args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kctool %v hung (killed after 1 minute); stderr: %s", args, stderr.String())
	}
	var res kcResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("kctool %v: %v; output %q; stderr %s", args, err, stdout.String(), stderr.String())
	}
	return res
}

// secretToolUsers lists the username attributes of the items under service,
// as libsecret sees them. The items' secrets (secret-tool's stdout) are
// discarded unread.
func secretToolUsers(t *testing.T, service string) []string {
	t.Helper()
	cmd := exec.Command("secret-tool", "search", "--all", "service", service)
	var attrs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &attrs
	if err := cmd.Run(); err != nil {
		t.Fatalf("secret-tool search: %v: %s", err, attrs.String())
	}
	var users []string
	services := 0
	for line := range strings.Lines(attrs.String()) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "attribute.username = "); ok {
			users = append(users, v)
		}
		if v, ok := strings.CutPrefix(line, "attribute.service = "); ok {
			if v != service {
				t.Fatalf("secret-tool found an item of service %q when searching %q", v, service)
			}
			services++
		}
	}
	if services != len(users) {
		t.Fatalf("secret-tool: %d items with a service attribute, %d with a username", services, len(users))
	}
	return users
}

// assertRealNoOrphans: every chunk item in the Secret Service is named by the
// manifest, as current or as garbage still to collect.
func assertRealNoOrphans(t *testing.T, opts Options) {
	t.Helper()
	svc := opts.ServiceName()
	known := map[string]bool{DefaultAccount: true}
	if raw, err := SystemBackend().Get(svc, DefaultAccount); err == nil {
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
	for _, u := range secretToolUsers(t, svc) {
		if !known[u] {
			t.Fatalf("orphaned chunk %s is not named by the manifest", u)
		}
	}
}

// --- the tests ---

// TestRealRestart: a value saved by one process is loaded by the next.
func TestRealRestart(t *testing.T) {
	requireRealKeyring(t)
	for _, size := range []int{900, 10240} {
		t.Run(fmt.Sprintf("%d bytes", size), func(t *testing.T) {
			opts := realOptions(t)
			inst := []string{"-instance", opts.Instance}
			v := "eyJhbGciOiJSUzI1NiJ9." + token(uint64(size), size-26) + ".sig"
			env := os.Environ()

			if res := runKctool(t, env, v, append(inst, "save")...); res.Error != "" || !res.Health.Persistent {
				t.Fatalf("save: %+v", res)
			}
			res := runKctool(t, env, "", append(inst, "load")...)
			if !res.Found || res.SHA256 != sum(v) || res.Len != len(v) {
				t.Fatalf("second process loaded %+v, want %d bytes with sha256 %s", res, len(v), sum(v))
			}
			if res.Health.Backend != BackendSecretService || !res.Health.Persistent || res.Health.LastError != "" {
				t.Fatalf("second process health: %+v", res.Health)
			}
			if got := mustLoad(t, Open(context.Background(), opts)); got != v {
				t.Fatal("this process reads a different value")
			}
			if res := runKctool(t, env, "", append(inst, "delete")...); res.Error != "" {
				t.Fatalf("delete: %+v", res)
			}
			if res := runKctool(t, env, "", append(inst, "load")...); res.ErrorKind != "notfound" {
				t.Fatalf("load after delete: %+v", res)
			}
		})
	}
}

// TestRealChunks: a 10 KB value round-trips in chunks; secret-tool shows the
// entries under the expected attributes, and none after Delete; nothing of
// the value is on disk in plain text.
func TestRealChunks(t *testing.T) {
	requireRealKeyring(t)
	opts := realOptions(t)
	ctx := context.Background()
	s := Open(ctx, opts)
	if h := s.Health(); h.Backend != BackendSecretService || !h.Persistent || h.LastError != "" {
		t.Fatalf("health: %+v", h)
	}
	v := token(40, 10240)
	if err := s.Save(ctx, v); err != nil {
		t.Fatal(err)
	}

	users := secretToolUsers(t, opts.ServiceName())
	raw, err := SystemBackend().Get(opts.ServiceName(), DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(raw)
	if err != nil || m.kind != kindChunks || m.gen.n != 6 || m.size != len(v) || len(m.gc) != 0 {
		t.Fatalf("manifest %+v, %v; want 6 chunks of a %d-byte value and no garbage", m, err, len(v))
	}
	want := []string{DefaultAccount}
	for i := 0; i < m.gen.n; i++ {
		want = append(want, chunkUser(DefaultAccount, m.gen.id, i))
	}
	if !sameSet(users, want) {
		t.Fatalf("secret-tool shows %v, want %v", users, want)
	}
	if got := mustLoad(t, Open(ctx, opts)); got != v {
		t.Fatal("a fresh Store read a different value")
	}
	assertNotOnDiskInPlainText(t, v)

	// A smaller value replaces it and the old chunks go.
	if err := s.Save(ctx, "short-token-value"); err != nil {
		t.Fatal(err)
	}
	if users := secretToolUsers(t, opts.ServiceName()); !sameSet(users, []string{DefaultAccount}) {
		t.Fatalf("after replacing with a short value secret-tool shows %v", users)
	}

	if err := s.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if users := secretToolUsers(t, opts.ServiceName()); len(users) != 0 {
		t.Fatalf("after Delete secret-tool still shows %v", users)
	}
	if _, err := Open(ctx, opts).Load(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete = %v", err)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		if m[x]--; m[x] < 0 {
			return false
		}
	}
	return true
}

// assertNotOnDiskInPlainText scans the sandbox (the keyring file and the
// daemons' logs) for pieces of v.
func assertNotOnDiskInPlainText(t *testing.T, v string) {
	t.Helper()
	sb := os.Getenv(envSandbox)
	keyringFile := filepath.Join(os.Getenv("XDG_DATA_HOME"), "keyrings", "login.keyring")
	fi, err := os.Stat(keyringFile)
	if err != nil || fi.Size() < int64(len(v)) {
		t.Fatalf("keyring file %s should hold the (encrypted) value: %v, size %v", keyringFile, err, fi)
	}
	scanned := 0
	err = filepath.WalkDir(sb, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil // sockets, vanished files
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		scanned++
		for i := 0; i+32 <= len(v); i += 500 {
			if bytes.Contains(data, []byte(v[i:i+32])) {
				t.Errorf("%s contains the value in plain text", p)
				return nil
			}
		}
		return nil
	})
	if err != nil || scanned == 0 {
		t.Fatalf("scan of %s: %v (%d files)", sb, err, scanned)
	}
}

// TestRealKillMidWrite kills a writer process after each of its keychain
// calls in turn: the next process reads the old or the new value, no chunk
// is left unaccounted for, and the next Delete removes every item.
func TestRealKillMidWrite(t *testing.T) {
	requireRealKeyring(t)
	small, big0, big1 := token(50, 700), token(51, 7000), token(52, 10240)
	tests := []struct {
		name     string
		old, new string // "" means absent / delete
	}{
		{"absent to chunked", "", big1},
		{"inline to chunked", small, big1},
		{"chunked to chunked", big0, big1},
		{"chunked to inline", big0, small},
		{"chunked to deleted", big0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := realOptions(t)
			ctx := context.Background()
			args := []string{"-instance", opts.Instance, "-timeout", "30s"}
			cmdName := "save"
			if tt.new == "" {
				cmdName = "delete"
			}
			seen := map[string]int{}
			for k := 1; ; k++ {
				if k > 100 {
					t.Fatal("the writer never finished")
				}
				// Reset: the previous round's leftovers must all be deletable.
				if err := Open(ctx, opts).Delete(ctx); err != nil {
					t.Fatal(err)
				}
				if left := secretToolUsers(t, opts.ServiceName()); len(left) != 0 {
					t.Fatalf("k=%d: Delete after a killed writer left %v", k, left)
				}
				if tt.old != "" {
					if err := Open(ctx, opts).Save(ctx, tt.old); err != nil {
						t.Fatal(err)
					}
				}

				finished := killAfterCall(t, k, tt.new, append(args, "-pause-after", fmt.Sprint(k), cmdName)...)

				restarted := Open(ctx, opts)
				if h := restarted.Health(); h.Err != nil || h.Backend != BackendSecretService {
					t.Fatalf("k=%d: after the kill, health %+v", k, h)
				}
				got, err := restarted.Load(ctx)
				if err != nil && !errors.Is(err, ErrNotFound) {
					t.Fatal(err)
				}
				switch got {
				case tt.old:
					seen["old"]++
				case tt.new:
					seen["new"]++
				default:
					t.Fatalf("k=%d: read %d bytes, neither the old (%d) nor the new (%d) value", k, len(got), len(tt.old), len(tt.new))
				}
				assertRealNoOrphans(t, opts)
				if finished {
					if got != tt.new {
						t.Fatal("the writer finished but the new state is not there")
					}
					t.Logf("%d kill points: %v", k-1, seen)
					break
				}
			}
			if seen["old"] == 0 || seen["new"] == 0 {
				t.Fatalf("kill points never showed both states: %v", seen)
			}
		})
	}
}

// killAfterCall runs kctool with -pause-after; when it reports the pause, the
// process is killed (SIGKILL). It reports whether the process instead
// finished its command.
func killAfterCall(t *testing.T, k int, stdin string, args ...string) (finished bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kctool(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.HasPrefix(line, "paused after call") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return false
	}
	_ = cmd.Wait()
	var res kcResult
	if err := json.Unmarshal([]byte(line), &res); err != nil || res.Error != "" {
		t.Fatalf("k=%d: writer failed: %q %v; stderr %s", k, line, err, stderr.String())
	}
	return true
}

// countingBackend counts manifest writes.
type countingBackend struct {
	Backend
	manifestSets atomic.Int64
}

func (c *countingBackend) Name() string { return backendName(c.Backend) }

func (c *countingBackend) Set(service, user, value string) error {
	if user == DefaultAccount {
		c.manifestSets.Add(1)
	}
	return c.Backend.Set(service, user, value)
}

// TestRealConcurrentRotations: 100 racing Saves (some chunked) end with the
// newest value in the real keychain, as another process sees it.
func TestRealConcurrentRotations(t *testing.T) {
	requireRealKeyring(t)
	opts := realOptions(t)
	kc := &countingBackend{Backend: SystemBackend()}
	opts.Backend = kc
	s := Open(context.Background(), opts)

	const n = 100
	values := make([]string, n)
	for i := range values {
		size := 600
		if i%7 == 3 || i == n-1 {
			size = 5000 // chunked
		}
		values[i] = fmt.Sprintf("rotation-%03d-", i) + token(uint64(100+i), size)
	}
	entered := make(chan uint64, n)
	s.enterHook = func(seq uint64) { entered <- seq }
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Save(context.Background(), values[i]) }()
		<-entered // call i is numbered before call i+1 starts; the writes still race
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Save %d: %v", i, err)
		}
	}
	if got := mustLoad(t, Open(context.Background(), Options{App: opts.App, Instance: opts.Instance, Logger: opts.Logger})); got != values[n-1] {
		t.Fatalf("keychain holds %.16q…, want the newest %.16q…", got, values[n-1])
	}
	res := runKctool(t, os.Environ(), "", "-instance", opts.Instance, "load")
	if res.SHA256 != sum(values[n-1]) {
		t.Fatalf("another process loaded %+v, want the newest value", res)
	}
	assertRealNoOrphans(t, opts)
	t.Logf("%d rotations took %d manifest writes", n, kc.manifestSets.Load())
}

// --- no Secret Service, hung Secret Service (private buses) ---

// startPrivateBus starts a session bus on which nothing can be activated
// (testdata/bus-without-secrets.conf) and returns its address.
func startPrivateBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		missing(t, "dbus-daemon not found (apt-get install dbus)")
	}
	cmd := exec.Command(daemon, "--config-file=testdata/bus-without-secrets.conf", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if !strings.HasPrefix(a, "unix:") {
			t.Fatalf("dbus-daemon printed %q; stderr %s", a, stderr.String())
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon did not start; stderr %s", stderr.String())
	}
	return ""
}

// TestNoSecretService: with no Secret Service on the bus, or no bus, Open
// fails fast (an error, not a timeout), the state lives in memory for this
// process only, and Health says so.
func TestNoSecretService(t *testing.T) {
	tests := []struct {
		name     string
		addr     func(t *testing.T) string
		errWants string
	}{
		{"bus without secrets", startPrivateBus, "org.freedesktop.secrets"},
		{"no bus", func(t *testing.T) string { return "unix:path=" + filepath.Join(t.TempDir(), "no-bus") }, "no-bus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := withEnv("DBUS_SESSION_BUS_ADDRESS="+tt.addr(t), "DISPLAY=")
			inst := []string{"-instance", "clerk.example.com", "-timeout", "5s"}
			v := token(60, 3000)
			res := runKctool(t, env, v, append(inst, "saveload")...)
			h := res.Health
			if h.Backend != BackendMemoryOnly || h.Persistent || res.HealthErrorKind != "unavailable" || !strings.Contains(h.LastError, tt.errWants) {
				t.Fatalf("health %+v (%s), want memory only with an unavailable error mentioning %q", h, res.HealthErrorKind, tt.errWants)
			}
			if !res.Found || res.SHA256 != sum(v) {
				t.Fatalf("memory-only save+load in one process: %+v", res)
			}
			// Memory only means memory only: the next process has nothing.
			if res := runKctool(t, env, "", append(inst, "load")...); res.ErrorKind != "notfound" || res.Health.Backend != BackendMemoryOnly {
				t.Fatalf("next process: %+v", res)
			}
			t.Logf("failed over in %d ms: %s", res.Millis, h.LastError)
		})
	}
}

// stallServer is a Secret Service that accepts calls and never replies
// (kctool stall-secret-service) on the bus of env.
type stallServer struct {
	stop     func() // closes its stdin: it exits, and the bus fails the calls it held
	waitLine func(prefix string) string
}

func startStall(t *testing.T, env []string) stallServer {
	t.Helper()
	stall := exec.Command(kctool(t), "-pause-max", "2m", "stall-secret-service")
	stall.Env = env
	stdin, err := stall.StdinPipe() // closing it stops the stall server
	if err != nil {
		t.Fatal(err)
	}
	out, err := stall.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stallErr bytes.Buffer
	stall.Stderr = &stallErr
	if err := stall.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = stdin.Close(); _ = stall.Wait() }) }
	t.Cleanup(func() { _ = stall.Process.Kill(); stop() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(prefix string) string {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stall server exited; stderr %s", stallErr.String())
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-deadline:
				t.Fatalf("stall server never printed %q", prefix)
			}
		}
	}
	waitLine("ready")
	return stallServer{stop: stop, waitLine: waitLine}
}

// TestHungSecretService: a Secret Service that accepts calls and never
// replies costs a timeout error and memory-only health, not a hang.
func TestHungSecretService(t *testing.T) {
	addr := startPrivateBus(t)
	env := withEnv("DBUS_SESSION_BUS_ADDRESS="+addr, "DISPLAY=")
	stall := startStall(t, env)

	v := token(61, 800)
	res := runKctool(t, env, v, "-instance", "clerk.example.com", "-timeout", "500ms", "saveload")
	h := res.Health
	if res.HealthErrorKind != "timeout" || h.Backend != BackendMemoryOnly || h.Persistent || !strings.Contains(h.LastError, "timed out") {
		t.Fatalf("health %+v (%s), want memory only after a timeout", h, res.HealthErrorKind)
	}
	if !res.Found || res.SHA256 != sum(v) {
		t.Fatalf("memory-only save+load: %+v", res)
	}
	t.Logf("stall server swallowed %q; Open gave up after %d ms in total", stall.waitLine("call "), res.Millis)
}

// startKeyring runs a real gnome-keyring (Secret Service) on the bus at addr,
// keeping its keyring under dataDir and unlocking it with password, and waits
// until it serves an unlocked login collection. The returned func stops it.
func startKeyring(t *testing.T, addr, dataDir, password string) func() {
	t.Helper()
	daemon, err := exec.LookPath("gnome-keyring-daemon")
	if err != nil {
		missing(t, "gnome-keyring-daemon not found (apt-get install gnome-keyring)")
	}
	runDir := t.TempDir() // a fresh control socket for each daemon
	if err := os.Chmod(runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := withEnv("DBUS_SESSION_BUS_ADDRESS="+addr, "XDG_DATA_HOME="+dataDir, "XDG_RUNTIME_DIR="+runDir, "DISPLAY=", "WAYLAND_DISPLAY=")
	cmd := exec.Command(daemon, "--foreground", "--unlock", "--components=secrets")
	cmd.Env, cmd.Stdin = env, strings.NewReader(password)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }) }
	t.Cleanup(func() { _ = cmd.Process.Kill(); stop() })
	ask := func(args ...string) string {
		c := exec.Command("dbus-send", append([]string{"--session", "--print-reply"}, args...)...)
		c.Env = env
		out, _ := c.Output()
		return string(out)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// Our daemon owns the name, and its login collection is unlocked.
		if strings.Contains(ask("--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"), "boolean true") &&
			strings.Contains(ask("--dest=org.freedesktop.secrets", "/org/freedesktop/secrets/collection/login",
				"org.freedesktop.DBus.Properties.Get", "string:org.freedesktop.Secret.Collection", "string:Locked"), "boolean false") {
			return stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring did not serve an unlocked login collection: %s", logs.String())
		}
	}
}

// kcSession is a long-lived kctool process driving one Store (kctool session).
type kcSession struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

func startSession(t *testing.T, env []string, args ...string) *kcSession {
	t.Helper()
	cmd := exec.Command(kctool(t), append(args, "session")...)
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = in.Close()
		timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
		_ = cmd.Wait()
		timer.Stop()
		if t.Failed() {
			t.Logf("kctool session stderr: %s", stderr.String())
		}
	})
	return &kcSession{t: t, in: in, out: bufio.NewScanner(out)}
}

// do sends one command and returns its result; kctool's own deadlines (a
// minute at most) bound the wait.
func (k *kcSession) do(line string) kcResult {
	k.t.Helper()
	if _, err := io.WriteString(k.in, line+"\n"); err != nil {
		k.t.Fatal(err)
	}
	if !k.out.Scan() {
		k.t.Fatalf("kctool session ended before answering %q", strings.Fields(line)[0])
	}
	var res kcResult
	if err := json.Unmarshal(k.out.Bytes(), &res); err != nil {
		k.t.Fatal(err)
	}
	return res
}

// TestLateSecretService: the Secret Service does not answer when the app
// starts (a hung one holds the name), so the Store works from memory; the
// person signs in and out meanwhile. Then a real gnome-keyring takes over the
// bus: the Store moves onto it and the sign-out reaches it, so the sign-in
// stored by an earlier run is gone and the next launch starts signed out.
// Until then Health reports the pending delete.
func TestLateSecretService(t *testing.T) {
	addr := startPrivateBus(t)
	env := withEnv("DBUS_SESSION_BUS_ADDRESS="+addr, "DISPLAY=")
	data := t.TempDir()
	const password = "late-keyring-test"
	inst := []string{"-instance", "clerk.example.com", "-timeout", "500ms"}

	// An earlier run stored a sign-in.
	stopKeyring := startKeyring(t, addr, data, password)
	old := token(62, 3000)
	if res := runKctool(t, env, old, append(inst, "save")...); res.Error != "" {
		t.Fatalf("earlier run's save: %+v", res)
	}
	stopKeyring()

	// This run starts while the Secret Service does not answer.
	stall := startStall(t, env)
	sess := startSession(t, env, append(inst, "-retry", "100ms")...)
	if h := sess.do("health").Health; h.Backend != BackendMemoryOnly || !h.Retrying || h.Keychain != BackendSecretService {
		t.Fatalf("start-up health %+v, want memory only and retrying the Secret Service", h)
	}
	if res := sess.do("save " + token(63, 900)); res.Error != "" {
		t.Fatalf("sign-in while waiting: %+v", res)
	}
	res := sess.do("delete")
	if res.Error != "" || res.Health.Pending != "delete" || !strings.Contains(res.Health.Summary(), "Sign-out is not saved yet") {
		t.Fatalf("sign-out while waiting: %+v; summary %q", res, res.Health.Summary())
	}

	// The Secret Service comes back: the hung one goes, a real one takes the name.
	stall.stop()
	startKeyring(t, addr, data, password)
	res = sess.do("wait-settled")
	if h := res.Health; res.Error != "" || h.Backend != BackendSecretService || !h.Persistent || h.Pending != "" || h.LastError != "" {
		t.Fatalf("after the Secret Service answered: %+v", res)
	}
	if res := runKctool(t, env, "", append(inst, "load")...); res.ErrorKind != "notfound" {
		t.Fatalf("next launch: %+v, want signed out (the earlier run's sign-in deleted)", res)
	}
}
