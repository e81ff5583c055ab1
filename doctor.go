package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"deskclerk/auth/instance"
	"deskclerk/auth/keychain"
	"deskclerk/auth/service"
	"deskclerk/internal/config"
	"deskclerk/internal/doctor"
)

// runDoctor is `deskclerk doctor [--json]`. It runs before the window and before
// the single-instance lock, so it works while the app runs and never hands over
// to it. It returns the exit status: 0 when no check failed.
func runDoctor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deskclerk doctor [--json]\n\nChecks the build, configuration, Clerk instance, clock, keychain, stored sign-in,\nprotected API, social sign-in and network path. Exits 1 when a check fails.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(os.Getenv, dotenvPath())
	if err != nil {
		fmt.Fprintln(stderr, "deskclerk doctor: configuration:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env, done := doctorEnv(ctx, cfg)
	defer done()
	rep := doctor.Run(ctx, env)
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return 2
	}
	return rep.ExitCode()
}

// doctorEnv resolves the instance the app would use, without the app.
func doctorEnv(ctx context.Context, cfg config.Config) (doctor.Env, func()) {
	quiet := slog.New(slog.DiscardHandler)
	env := baseDoctorEnv(cfg)
	env.APIURL = cfg.APIURL
	done := func() {}
	switch {
	case cfg.UseEmulator() && startLocal == nil:
		env.InstanceProblem = service.ErrNoLocal.Error()
	case cfg.UseEmulator():
		// A standalone emulator is only looked at; the built-in one is started here
		// as the app would, which fails while the app holds its state.
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		l, err := startLocal(sctx, cfg, quiet)
		cancel()
		if err != nil {
			env.InstanceProblem = "the built-in emulator could not start here (is the app running? it holds the emulator's state): " + err.Error()
			break
		}
		done = func() { _ = l.Close() }
		env.Instance = instance.Instance{FrontendAPI: l.FrontendAPIHost(), Issuer: l.Issuer(), JWKSURL: l.JWKSURL()}
		env.FrontendAPIURL = l.FrontendAPIURL()
		if env.APIURL == "" {
			env.APIURL = l.APIURL()
		}
	default:
		inst, err := instance.FromPublishableKey(cfg.PublishableKey)
		if err != nil {
			env.InstanceProblem = config.EnvPublishableKey + ": " + err.Error()
			break
		}
		env.Instance, env.FrontendAPIURL = inst, "https://"+inst.FrontendAPI
	}
	if env.Instance.FrontendAPI != "" {
		// Opening a Store only reads; the doctor never saves or deletes this entry.
		st := keychain.Open(ctx, keychain.Options{App: service.KeychainApp(cfg), Instance: env.Instance.FrontendAPI, Backend: env.Keychain, Logger: quiet})
		env.Stored = st
		if h := st.Health(); h.Backend == keychain.BackendMemoryOnly {
			// Open fell back to memory: "nothing stored" would be a wrong answer.
			env.Stored = unreadable{fmt.Errorf("the keychain did not answer: %s", h.LastError)}
		}
	}
	return env, done
}

// baseDoctorEnv is what the command and the Diagnostics view share.
func baseDoctorEnv(cfg config.Config) doctor.Env {
	return doctor.Env{
		Build:         buildInfo(cfg),
		Config:        cfg,
		Keychain:      keychain.SystemBackend(),
		OAuthPort:     cfg.OAuthPort,
		Redirect:      cfg.RedirectFor(cfg.PublishableKey),
		URLScheme:     cfg.URLScheme,
		SchemeHandler: schemeHandler,
		Getenv:        os.Getenv,
	}
}

func buildInfo(cfg config.Config) doctor.Build {
	b := doctor.Build{Version: cfg.Version, Channel: cfg.Channel, WebView: webviewVersion(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/wailsapp/wails/v2" {
				b.Wails = d.Version
			}
		}
	}
	return b
}

// unreadable is a stored sign-in that could not be read.
type unreadable struct{ err error }

func (u unreadable) Load(context.Context) (string, error) { return "", u.err }
