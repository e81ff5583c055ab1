package pgstore_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"deskclerk/demoapi/pgstore"
	"deskclerk/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestMigrateConcurrently: replicas starting together on an empty database
// apply each migration once, and all of them end up with the latest schema.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	const replicas = 4
	applied := make([][]int, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			applied[i], errs[i] = pgstore.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	total := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != pgstore.LatestVersion() {
		t.Fatalf("%d migrations applied in all, want %d (each once): %v", total, pgstore.LatestVersion(), applied)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var rows, max int
	if err := pool.QueryRow(ctx, "SELECT count(*), max(version) FROM schema_migrations").Scan(&rows, &max); err != nil {
		t.Fatal(err)
	}
	if rows != pgstore.LatestVersion() || max != pgstore.LatestVersion() {
		t.Fatalf("schema_migrations: %d rows, max %d", rows, max)
	}
	// Again: nothing to do.
	if again, err := pgstore.Migrate(ctx, pool); err != nil || len(again) != 0 {
		t.Fatalf("second Migrate: %v, %v", again, err)
	}
	// A database migrated by a newer server is refused, not used.
	if _, err := pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, url, nil); err == nil || !strings.Contains(err.Error(), "newer than this server") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
}

func TestOpenErrorsKeepThePasswordOut(t *testing.T) {
	ctx := context.Background()
	for name, url := range map[string]string{
		"unparsable":  "postgres://user:hunter2-secret@host:notaport/db",
		"unreachable": "postgres://user:hunter2-secret@127.0.0.1:1/db?connect_timeout=2",
	} {
		s, err := pgstore.Open(ctx, url, nil)
		if err == nil {
			s.Close()
			t.Fatalf("%s: opened", name)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the password is in the error: %v", name, err)
		}
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"postgres://u@h/db": true, "postgresql:///db?host=/tmp": true, "/var/lib/demoapi": false, "": false, "mysql://x": false,
	} {
		if got := pgstore.IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v", in, got)
		}
	}
}
