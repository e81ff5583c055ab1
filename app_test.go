package main

import (
	"context"
	"log/slog"
	goruntime "runtime"
	"testing"

	"deskclerk/internal/config"
)

type ctxKey struct{}

// Wails calls startup on one goroutine while the single-instance callback and the
// social sign-in hooks read the runtime context on others; under go test -race
// this fails if the hand-over is not synchronised.
func TestRuntimeContextHandOver(t *testing.T) {
	a := NewApp(config.Config{}, nil, slog.New(slog.DiscardHandler))
	ctx := context.WithValue(context.Background(), ctxKey{}, "wails")
	seen := make(chan context.Context)
	go func() {
		for {
			if c := a.ctx(); c != nil {
				seen <- c
				return
			}
			goruntime.Gosched()
		}
	}()
	a.startup(ctx)
	if got := <-seen; got.Value(ctxKey{}) != "wails" {
		t.Fatalf("another goroutine saw %v", got)
	}
	a.shutdown(ctx)
}
