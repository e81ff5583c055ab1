package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"deskclerk/emulator"
)

// helperEnv makes the test binary act as cmd/emulator (see TestMain), so the
// tests can run, signal and SIGKILL the real command in a child process.
const helperEnv = "DESKCLERK_EMULATOR_HELPER_ARGS"

func TestMain(m *testing.M) {
	if raw, ok := os.LookupEnv(helperEnv); ok {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "bad", helperEnv, err)
			os.Exit(2)
		}
		main2(args)
		return
	}
	os.Exit(m.Run())
}

// main2 is main with explicit arguments.
func main2(args []string) {
	os.Args = append([]string{"emulator"}, args...)
	main()
}

type child struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	info   ReadyInfo
	done   chan error
}

// startChild runs the command in a child process and waits for its ready file.
func startChild(t *testing.T, dir string, extra ...string) *child {
	t.Helper()
	ready := filepath.Join(dir, "ready.json")
	args := append([]string{"-dir", dir, "-ready-file", ready}, extra...)
	cmd := exec.Command(os.Args[0])
	rawArgs, _ := json.Marshal(args)
	cmd.Env = append(os.Environ(), helperEnv+"="+string(rawArgs))
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = &lockedWriter{w: c.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		raw, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(raw, &c.info) == nil {
			return c
		}
		select {
		case err := <-c.done:
			t.Fatalf("emulator exited before it was ready: %v\n%s", err, c.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator not ready after 30 s:\n%s", c.stderr)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (c *child) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.done:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("emulator did not exit")
		return nil
	}
}

// post sends a native FAPI form request; it returns the status, the body and any new client token.
func post(client *http.Client, base, token, path string, form url.Values) (int, map[string]any, string, error) {
	req, _ := http.NewRequest("POST", base+path+"?_is_native=1", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if t := resp.Header.Get("Authorization"); t != "" {
		token = t
	}
	return resp.StatusCode, m, token, nil
}

func respID(m map[string]any, key string) string {
	r, _ := m["response"].(map[string]any)
	s, _ := r[key].(string)
	return s
}

// signUp creates an account through FAPI (the +clerk_test code path) and
// reports whether the emulator acknowledged it.
func signUp(client *http.Client, base, email, password string) (bool, error) {
	code, m, tok, err := post(client, base, "", "/v1/client/sign_ups", url.Values{"email_address": {email}, "password": {password}})
	if err != nil || code != 200 {
		return false, err
	}
	id := respID(m, "id")
	if code, _, tok, err = post(client, base, tok, "/v1/client/sign_ups/"+id+"/prepare_verification", url.Values{"strategy": {"email_code"}}); err != nil || code != 200 {
		return false, err
	}
	code, m, _, err = post(client, base, tok, "/v1/client/sign_ups/"+id+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {"424242"}})
	if err != nil || code != 200 {
		return false, err
	}
	return respID(m, "status") == "complete", nil
}

func TestDatabaseSurvivesSIGKILLDuringWrites(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir)
	base := c.info.FrontendAPIURL
	client := &http.Client{Timeout: 5 * time.Second}

	var mu sync.Mutex
	var acked []string
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10_000 && !stop.Load(); i++ {
				email := fmt.Sprintf("w%d.n%d+clerk_test@example.com", w, i)
				ok, err := signUp(client, base, email, "password-"+email)
				if err != nil {
					return // the process is gone
				}
				if ok {
					mu.Lock()
					acked = append(acked, email)
					mu.Unlock()
				}
			}
		}(w)
	}
	// Let writes pile up (40 accounts, about 160 commits), then kill the process
	// in the middle of them: four writers keep requests in flight all the time.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := c.wait(t)
	stop.Store(true)
	wg.Wait()
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}
	if len(acked) < 12 {
		t.Fatalf("only %d sign-ups before the deadline:\n%s", len(acked), c.stderr)
	}

	// The file is consistent...
	for _, name := range []string{emulator.DBFile, "demoapi.db"} {
		db, err := bolt.Open(filepath.Join(dir, name), 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
		if err != nil {
			t.Fatalf("reopen %s: %v", name, err)
		}
		var problems []error
		err = db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() { // drain: Check's goroutine holds the transaction
				problems = append(problems, err)
			}
			return nil
		})
		if err == nil && len(problems) > 0 {
			err = problems[0]
		}
		db.Close()
		if err != nil {
			t.Fatalf("%s is corrupt after SIGKILL: %v", name, err)
		}
	}
	// ...and every acknowledged sign-up is in it: each account signs in after a restart.
	// (Client Trust off: the password alone shows the account is intact.)
	s, err := emulator.Start(context.Background(), emulator.Options{Dir: dir, Logger: discardLogger(), NoClientTrust: true})
	if err != nil {
		t.Fatalf("restart after SIGKILL: %v", err)
	}
	defer s.Close()
	for _, email := range acked {
		code, m, tok, err := post(client, s.FrontendAPIURL(), "", "/v1/client/sign_ins", url.Values{"identifier": {email}})
		if err != nil || code != 200 {
			t.Fatalf("%s lost after SIGKILL: %d %v %v", email, code, m, err)
		}
		code, m, _, err = post(client, s.FrontendAPIURL(), tok, "/v1/client/sign_ins/"+respID(m, "id")+"/attempt_first_factor",
			url.Values{"strategy": {"password"}, "password": {"password-" + email}})
		if err != nil || code != 200 || respID(m, "status") != "complete" {
			t.Fatalf("%s cannot sign in after SIGKILL: %d %v %v", email, code, m, err)
		}
	}
	t.Logf("%d acknowledged sign-ups survived SIGKILL", len(acked))
}

func TestSIGTERMStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir, "-log-level", "warn")
	if len(c.info.DemoUsers) != 2 || c.info.PublishableKey == "" || !strings.Contains(c.info.PublicKeyPEM, "PUBLIC KEY") {
		t.Fatalf("ready file: %+v", c.info)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ready.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ready file mode: %v %v", fi, err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "ready.json")); !os.IsNotExist(err) {
		t.Error("ready file left behind")
	}
	// -print-users works once the emulator has stopped.
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-dir", dir, "-print-users"}, &out, &errb); code != 0 {
		t.Fatalf("-print-users: %d %s", code, errb.String())
	}
	for _, u := range c.info.DemoUsers {
		if !strings.Contains(out.String(), u.Email+"\t"+u.Password) {
			t.Errorf("-print-users output lacks %s:\n%s", u.Email, out.String())
		}
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"-dir", dir, "extra"}, 2, "unexpected arguments"},
		{[]string{"-dir", dir, "-log-level", "loud"}, 2, "log level"},
		{[]string{"-dir", dir, "-addr", "0.0.0.0:0"}, 1, "loopback only"},
		{[]string{"-dir", dir, "-authorized-party", " "}, 2, "empty origin"},
		{[]string{"-dir", filepath.Join(dir, "none"), "-print-users"}, 1, "no database"},
		{[]string{"-dir", dir, "-production", "-allow-redirect", "http://127.0.0.1:1/cb"}, 1, "https:// or a custom scheme"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}

// -production: a production instance's pk_live_ key in the ready file.
func TestProductionFlag(t *testing.T) {
	c := startChild(t, t.TempDir(), "-log-level", "warn", "-production")
	if !strings.HasPrefix(c.info.PublishableKey, "pk_live_") {
		t.Fatalf("publishable key %q", c.info.PublishableKey)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.stderr)
	}
}
