//go:build testhooks

package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// testHooks exist only in builds made for tests and benchmarks (the testhooks
// tag: make build-test, the test packages), never in make build or a release:
// each painted screen is appended to $DESKCLERK_READY_FILE as one JSON line, and
// the app quits $DESKCLERK_AUTOQUIT_MS after a screen is painted.
func (a *App) testHooks(screen string, now time.Time) {
	if f := os.Getenv("DESKCLERK_READY_FILE"); f != "" {
		rec, _ := json.Marshal(map[string]any{
			"pid":           os.Getpid(),
			"screen":        screen,
			"mainUnixNano":  processStart.UnixNano(),
			"readyUnixNano": now.UnixNano(),
		})
		// A single small O_APPEND write is never torn.
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			_, _ = fh.Write(append(rec, '\n'))
			fh.Close()
		}
	}
	if ms, err := strconv.Atoi(os.Getenv("DESKCLERK_AUTOQUIT_MS")); err == nil && ms >= 0 {
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
			if ctx := a.ctx(); ctx != nil {
				runtime.Quit(ctx)
			}
		})
	}
}
