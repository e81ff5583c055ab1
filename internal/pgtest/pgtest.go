// Package pgtest gives tests a real PostgreSQL: a private cluster from
// Debian's postgresql package (binaries under /usr/lib/postgresql/<version>/bin),
// created in a temporary directory, listening only on a Unix socket there, no
// system service. When the tests run as root the server runs as nobody
// (PostgreSQL refuses root). It dies with the test process.
//
// Each test gets a fresh database (NewDatabase); one cluster serves a whole
// test binary (call Main from TestMain). DESKCLERK_TEST_POSTGRES names an
// existing server to use instead (a postgres:// URL of a role that may create
// databases).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"

	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names an existing server to use instead of a private cluster.
const EnvURL = "DESKCLERK_TEST_POSTGRES"

var (
	once    sync.Once
	cluster *Cluster
	initErr error
	dbSeq   atomic.Int64
)

// Main runs the tests and then stops the cluster if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.Stop()
	}
	return code
}

// Cluster is a running private PostgreSQL.
type Cluster struct {
	Dir     string // data directory and socket directory
	BaseURL string // postgres://… of the superuser, database "postgres"
	cmd     *exec.Cmd
	exited  chan struct{}
}

// NewDatabase creates an empty database for t on the shared cluster (started
// on first use) and returns its URL. It is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		once.Do(func() { cluster, initErr = Start(false) })
		if initErr != nil {
			t.Fatalf("pgtest: %v", initErr)
		}
		base = cluster.BaseURL
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL, err := CreateDatabase(ctx, base, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return dbURL
}

// CreateDatabase creates database name (a plain identifier) on the server at
// base and returns its URL.
func CreateDatabase(ctx context.Context, base, name string) (string, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// BinDir finds the newest /usr/lib/postgresql/<version>/bin with initdb and postgres.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server under /usr/lib/postgresql/*/bin: install Debian's postgresql package (scripts/deps.sh test does)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// Start creates and starts a private cluster in a new temporary directory.
// Tests need no durability (no fsync: fast on a busy disk); benchmarks that
// compare with an fsyncing store ask for it.
func Start(durable bool) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	// A short path: the socket's path must fit in sun_path (107 bytes).
	dir, err := os.MkdirTemp("", "pgtest")
	if err != nil {
		return nil, err
	}
	attr, err := serverProcAttr(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = attr(false)
	initdb.Dir = dir
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "max_connections=200"}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = attr(true)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{Dir: dir, cmd: cmd, exited: make(chan struct{}),
		BaseURL: "postgres:///postgres?host=" + url.QueryEscape(dir) + "&user=postgres&sslmode=disable"}
	go func() { _ = cmd.Wait(); close(c.exited) }()
	if err := c.waitReady(30 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		c.Stop()
		return nil, fmt.Errorf("%w\npostgres.log:\n%s", err, log)
	}
	return c, nil
}

// waitReady polls until the server accepts a connection, it exits, or the deadline passes.
func (c *Cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.BaseURL)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-c.exited:
			return errors.New("postgres exited during start-up")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %v", limit, err)
		}
	}
}

// Stop shuts the server down (fast mode) and removes its directory.
func (c *Cluster) Stop() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	os.RemoveAll(c.Dir)
}
