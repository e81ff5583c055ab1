package keychain

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"
)

// Benchmarks run each case against the in-memory backend (the baseline: the
// Store's own cost) and, inside run-with-keyring.sh, against the real Secret
// Service, so the ratio of the two shows what the keychain costs.
//
//	auth/keychain/testdata/run-with-keyring.sh go test -run '^$' -bench . -benchmem ./auth/keychain/

type benchBackend struct {
	name string
	new  func() Backend
}

func benchBackends(b *testing.B) []benchBackend {
	out := []benchBackend{{"memory", NewMemoryBackend}}
	realEnv.once.Do(func() { realEnv.problem = detectRealKeyring() })
	switch {
	case realEnv.problem == "":
		out = append(out, benchBackend{"secret-service", SystemBackend})
	case os.Getenv(envRequireReal) == "1":
		b.Fatalf("%s=1 but %s", envRequireReal, realEnv.problem)
	default:
		b.Logf("Secret Service cases skipped: %s", realEnv.problem)
	}
	return out
}

func benchOptions(b *testing.B, backend Backend) Options {
	opts := Options{
		App: "deskclerk-bench", Instance: fmt.Sprintf("bench-%d.test", time.Now().UnixNano()),
		Backend: backend, Timeout: 10 * time.Second, Logger: slog.New(slog.DiscardHandler),
	}
	b.Cleanup(func() { _ = Open(context.Background(), opts).Delete(context.Background()) })
	return opts
}

var benchSizes = []struct {
	name string
	size int
}{{"inline-900B", 900}, {"chunked-10KB", 10240}}

// BenchmarkSave alternates two values so that every Save writes.
func BenchmarkSave(b *testing.B) {
	ctx := context.Background()
	for _, be := range benchBackends(b) {
		for _, sz := range benchSizes {
			b.Run(be.name+"/"+sz.name, func(b *testing.B) {
				s := Open(ctx, benchOptions(b, be.new()))
				vals := [2]string{token(1, sz.size), token(2, sz.size)}
				b.SetBytes(int64(sz.size))
				for i := 0; b.Loop(); i++ {
					if err := s.Save(ctx, vals[i%2]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkLoadCold opens a new Store each time: the read a restart does.
func BenchmarkLoadCold(b *testing.B) {
	ctx := context.Background()
	for _, be := range benchBackends(b) {
		for _, sz := range benchSizes {
			b.Run(be.name+"/"+sz.name, func(b *testing.B) {
				opts := benchOptions(b, be.new())
				v := token(3, sz.size)
				if err := Open(ctx, opts).Save(ctx, v); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(sz.size))
				for b.Loop() {
					got, err := Open(ctx, opts).Load(ctx)
					if err != nil || len(got) != len(v) {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkLoadCached is what the gateway pays per request after Open.
func BenchmarkLoadCached(b *testing.B) {
	ctx := context.Background()
	for _, be := range benchBackends(b) {
		b.Run(be.name, func(b *testing.B) {
			s := Open(ctx, benchOptions(b, be.new()))
			if err := s.Save(ctx, token(4, 900)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Load(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
