package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"deskclerk/auth/config"
)

// processStart is taken as early as the Go program can, for start-up timings.
var processStart = time.Now()

// App is the thin surface bound to JavaScript: each method validates its input,
// calls into auth/, and returns plain data. No logic lives here.
type App struct {
	ctx    context.Context
	cfg    config.Config
	cfgErr error
	log    *slog.Logger
}

// NewApp returns the bound app. cfgErr, if any, is shown in the window.
func NewApp(cfg config.Config, cfgErr error, log *slog.Logger) *App {
	return &App{cfg: cfg, cfgErr: cfgErr, log: log}
}

func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	a.log.Info("starting", "version", a.cfg.Version, "channel", a.cfg.Channel, "emulator", a.cfg.UseEmulator())
}

func (a *App) domReady(context.Context) {}

func (a *App) shutdown(context.Context) { a.log.Info("stopped") }

// Status is what the window shows about the app itself.
type Status struct {
	Version  string   `json:"version"`
	Mode     string   `json:"mode"`     // "emulator" or "clerk"
	Instance string   `json:"instance"` // Clerk instance host, or "local emulator"
	Errors   []string `json:"errors"`   // problems the person must know about
}

// Status reports the app's mode and any start-up problem.
func (a *App) Status() Status {
	s := Status{Version: a.cfg.Version, Mode: "clerk", Instance: "Clerk", Errors: []string{}}
	if a.cfg.UseEmulator() {
		s.Mode, s.Instance = "emulator", "local emulator"
	}
	if a.cfgErr != nil {
		s.Errors = append(s.Errors, a.cfgErr.Error())
	}
	return s
}

// Ready is called by the page once its first screen has been painted. It records
// the start-up timing, and for tests and benchmarks writes it to
// $DESKCLERK_READY_FILE (one JSON line per call) and quits after $DESKCLERK_AUTOQUIT_MS.
func (a *App) Ready(screen string) {
	now := time.Now()
	a.log.Debug("first frame", "screen", screen, "since_main", now.Sub(processStart))
	if f := os.Getenv("DESKCLERK_READY_FILE"); f != "" {
		rec, _ := json.Marshal(map[string]any{
			"pid":           os.Getpid(),
			"screen":        screen,
			"mainUnixNano":  processStart.UnixNano(),
			"readyUnixNano": now.UnixNano(),
		})
		// One JSON line per screen: a single small O_APPEND write is never torn.
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			_, _ = fh.Write(append(rec, '\n'))
			fh.Close()
		}
	}
	if ms, err := strconv.Atoi(os.Getenv("DESKCLERK_AUTOQUIT_MS")); err == nil && ms >= 0 {
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() { runtime.Quit(a.ctx) })
	}
}
