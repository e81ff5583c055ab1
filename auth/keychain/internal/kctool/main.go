// Command kctool drives a keychain.Store from the command line, one process
// per call, for the multi-process tests (restart, crash mid-write, no Secret
// Service, hung Secret Service) and for end-to-end checks. It never prints the
// stored value: load reports its length and SHA-256.
//
//	kctool -instance HOST [flags] save            value from stdin (or -value-file)
//	kctool -instance HOST [flags] load
//	kctool -instance HOST [flags] delete
//	kctool -instance HOST [flags] health
//	kctool -instance HOST [flags] saveload        save, then load in the same process
//	kctool stall-secret-service                   own org.freedesktop.secrets on the session bus, never reply
//	kctool -instance HOST [flags] session         one Store, driven by lines on stdin:
//	                                              "save VALUE", "delete", "load", "health", "wait-settled"
//
// Each store command prints one JSON object (see result). -pause-after N makes
// the process print "paused after call N: …" right after its N-th keychain
// call returns and then wait (up to -pause-max) to be killed.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"deskclerk/auth/keychain"

	dbus "github.com/godbus/dbus/v5"
)

type result struct {
	Op        string          `json:"op"`
	Found     bool            `json:"found,omitempty"`
	Len       int             `json:"len,omitempty"`
	SHA256    string          `json:"sha256,omitempty"`
	Error     string          `json:"error,omitempty"`
	ErrorKind string          `json:"errorKind,omitempty"`
	Health    keychain.Health `json:"health"`
	// HealthErrorKind classifies Health.Err like ErrorKind.
	HealthErrorKind string `json:"healthErrorKind,omitempty"`
	Millis          int64  `json:"millis"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kctool", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.String("app", "deskclerk-test", "Options.App")
	instance := fs.String("instance", "", "Options.Instance (Frontend API host)")
	account := fs.String("account", "", "Options.Account (default __clerk_client_jwt)")
	timeout := fs.Duration("timeout", 0, "Options.Timeout (default 3s)")
	chunk := fs.Int("chunk", 0, "Options.ChunkSize (default 2000)")
	memory := fs.Bool("memory", false, "use the in-memory backend instead of the OS keychain")
	valueFile := fs.String("value-file", "", "save: read the value from this file instead of stdin")
	pauseAfter := fs.Int("pause-after", 0, "pause right after the N-th keychain call returns (0: never)")
	pauseMax := fs.Duration("pause-max", 2*time.Minute, "how long a pause lasts before the process gives up (exit 3)")
	verbose := fs.Bool("v", false, "log warnings to stderr")
	retry := fs.Duration("retry", 0, "Options.RetryInterval (default 2s)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "kctool: want exactly one command: save, load, delete, health, saveload, stall-secret-service")
		return 2
	}
	cmd := fs.Arg(0)
	if cmd == "stall-secret-service" {
		return stallSecretService(stdin, stdout, stderr, *pauseMax)
	}

	var value string
	if cmd == "save" || cmd == "saveload" {
		var b []byte
		var err error
		if *valueFile != "" {
			b, err = os.ReadFile(*valueFile)
		} else {
			b, err = io.ReadAll(stdin)
		}
		if err != nil {
			fmt.Fprintln(stderr, "kctool: read value:", err)
			return 2
		}
		value = string(b)
	}

	level := slog.LevelError + 1
	if *verbose {
		level = slog.LevelDebug
	}
	var backend keychain.Backend = keychain.SystemBackend()
	if *memory {
		backend = keychain.NewMemoryBackend()
	}
	if *pauseAfter > 0 {
		backend = &pausing{inner: backend, after: int64(*pauseAfter), max: *pauseMax, out: stdout}
	}
	opts := keychain.Options{
		App: *app, Instance: *instance, Account: *account, Timeout: *timeout, ChunkSize: *chunk, RetryInterval: *retry,
		Backend: backend,
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintln(stderr, "kctool:", err)
		return 2
	}

	ctx := context.Background()
	start := time.Now()
	store := keychain.Open(ctx, opts)
	defer store.Close()
	if cmd == "session" {
		return session(ctx, store, stdin, stdout)
	}
	var res result
	switch cmd {
	case "save":
		res = report("save", "", store.Save(ctx, value))
	case "load":
		v, err := store.Load(ctx)
		res = report("load", v, err)
	case "delete":
		res = report("delete", "", store.Delete(ctx))
	case "health":
		res = result{Op: "health"}
	case "saveload":
		if err := store.Save(ctx, value); err != nil {
			res = report("save", "", err)
			break
		}
		v, err := store.Load(ctx)
		res = report("saveload", v, err)
	default:
		fmt.Fprintf(stderr, "kctool: unknown command %q\n", cmd)
		return 2
	}
	res.Health = store.Health()
	if res.Health.Err != nil {
		res.HealthErrorKind = kind(res.Health.Err)
	}
	res.Millis = time.Since(start).Milliseconds()
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		return 1
	}
	if res.Error != "" && res.ErrorKind != "notfound" {
		return 1
	}
	return 0
}

// session drives one Store from stdin, one command per line, and prints one
// JSON result per command: a process that lives through a keychain outage.
func session(ctx context.Context, store *keychain.Store, stdin io.Reader, stdout io.Writer) int {
	enc := json.NewEncoder(stdout)
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64<<10), keychain.MaxValueSize+64)
	for sc.Scan() {
		op, arg, _ := strings.Cut(sc.Text(), " ")
		start := time.Now()
		var res result
		switch op {
		case "save":
			res = report("save", "", store.Save(ctx, arg))
		case "delete":
			res = report("delete", "", store.Delete(ctx))
		case "load":
			v, err := store.Load(ctx)
			res = report("load", v, err)
		case "health":
			res = result{Op: "health"}
		case "wait-settled": // until the Store no longer retries the keychain
			res = result{Op: op}
			for deadline := time.Now().Add(time.Minute); store.Health().Retrying; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					res.Error, res.ErrorKind = "still retrying after a minute", "timeout"
					break
				}
			}
		default:
			res = result{Op: op, Error: "unknown command", ErrorKind: "other"}
		}
		res.Health = store.Health()
		if res.Health.Err != nil {
			res.HealthErrorKind = kind(res.Health.Err)
		}
		res.Millis = time.Since(start).Milliseconds()
		if err := enc.Encode(res); err != nil {
			return 1
		}
	}
	return 0
}

func report(op, value string, err error) result {
	r := result{Op: op}
	if err != nil {
		r.Error = err.Error()
		r.ErrorKind = kind(err)
		return r
	}
	if value != "" {
		sum := sha256.Sum256([]byte(value))
		r.Found, r.Len, r.SHA256 = true, len(value), hex.EncodeToString(sum[:])
	}
	return r
}

func kind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{
		{keychain.ErrNotFound, "notfound"},
		{keychain.ErrTimeout, "timeout"},
		{keychain.ErrUnavailable, "unavailable"},
		{keychain.ErrCorrupt, "corrupt"},
		{keychain.ErrInvalidValue, "invalid"},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// pausing counts keychain calls and stops the process after one of them, so a
// test can kill it at that exact point of the write protocol.
type pausing struct {
	inner keychain.Backend
	after int64
	n     atomic.Int64
	max   time.Duration
	out   io.Writer
}

func (p *pausing) Name() string {
	if n, ok := p.inner.(interface{ Name() string }); ok {
		return n.Name()
	}
	return "custom keychain"
}

func (p *pausing) step(op, user string) {
	if n := p.n.Add(1); n == p.after {
		fmt.Fprintf(p.out, "paused after call %d: %s %s\n", n, op, user)
		time.Sleep(p.max)
		fmt.Fprintln(os.Stderr, "kctool: pause expired without being killed")
		os.Exit(3)
	}
}

func (p *pausing) Get(service, user string) (string, error) {
	v, err := p.inner.Get(service, user)
	p.step("get", user)
	return v, err
}

func (p *pausing) Set(service, user, value string) error {
	err := p.inner.Set(service, user, value)
	p.step("set", user)
	return err
}

func (p *pausing) Delete(service, user string) error {
	err := p.inner.Delete(service, user)
	p.step("delete", user)
	return err
}

// stallSecretService owns org.freedesktop.secrets on the session bus and
// never answers a method call: a Secret Service that hangs. It prints "ready"
// once it owns the name and "call <interface>.<member>" for every call it
// swallows, and exits when stdin closes or after max.
func stallSecretService(stdin io.Reader, stdout, stderr io.Writer, max time.Duration) int {
	calls := make(chan string, 64)
	conn, err := dbus.ConnectSessionBus(dbus.WithHandler(blackHole{calls}))
	if err != nil {
		fmt.Fprintln(stderr, "kctool: session bus:", err)
		return 1
	}
	defer conn.Close()
	reply, err := conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		fmt.Fprintln(stderr, "kctool: could not own org.freedesktop.secrets:", reply, err)
		return 1
	}
	fmt.Fprintln(stdout, "ready")
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(eof)
	}()
	deadline := time.After(max)
	for {
		select {
		case c := <-calls:
			fmt.Fprintln(stdout, "call", c)
		case <-eof:
			return 0
		case <-deadline:
			return 0
		}
	}
}

type blackHole struct{ calls chan<- string }

func (h blackHole) LookupObject(dbus.ObjectPath) (dbus.ServerObject, bool) { return h, true }
func (h blackHole) LookupInterface(iface string) (dbus.Interface, bool) {
	return blackHoleIface{h.calls, iface}, true
}

type blackHoleIface struct {
	calls chan<- string
	name  string
}

func (i blackHoleIface) LookupMethod(name string) (dbus.Method, bool) {
	return blackHoleMethod{i.calls, i.name + "." + name}, true
}

// blackHoleMethod accepts any arguments and never returns, so godbus never
// sends a reply (each incoming call runs on its own goroutine).
type blackHoleMethod struct {
	calls chan<- string
	name  string
}

func (m blackHoleMethod) DecodeArguments(*dbus.Conn, string, *dbus.Message, []any) ([]any, error) {
	return nil, nil
}

func (m blackHoleMethod) Call(...any) ([]any, error) {
	select {
	case m.calls <- m.name:
	default:
	}
	select {} // never reply; the process exits on its own (see stallSecretService)
}

func (blackHoleMethod) NumArguments() int     { return 0 }
func (blackHoleMethod) NumReturns() int       { return 0 }
func (blackHoleMethod) ArgumentValue(int) any { return nil }
func (blackHoleMethod) ReturnValue(int) any   { return nil }
