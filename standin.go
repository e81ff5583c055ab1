//go:build !release

package main

import (
	"context"
	"fmt"
	"log/slog"

	"deskclerk/auth/service"
	"deskclerk/emulator"
	"deskclerk/internal/config"
	"deskclerk/internal/paths"
)

// startLocal runs the local Clerk emulator for a development build without a
// publishable key: a standalone one when DESKCLERK_EMULATOR_URL is set, else one
// in-process with its state under the user's config folder. Release builds
// (the release tag) leave it out, and the emulator, demo API and bbolt with it.
var startLocal service.LocalStarter = func(ctx context.Context, cfg config.Config, log *slog.Logger) (service.Local, error) {
	if cfg.EmulatorURL != "" {
		return emulator.Remote{URL: cfg.EmulatorURL, Production: cfg.EmulatorProd}, nil
	}
	dir := cfg.EmulatorDir
	if dir == "" {
		var err error
		if dir, err = paths.EmulatorDir(); err != nil {
			return nil, fmt.Errorf("emulator state directory: %w", err)
		}
	}
	return emulator.Start(ctx, emulator.Options{
		Dir: dir, Logger: log.With("component", "emulator"), AuthorizedParties: cfg.AuthorizedParties,
		// In production mode the emulator's allowlist holds what the README tells an
		// instance owner to allowlist: the app's scheme URL.
		Production: cfg.EmulatorProd, RedirectAllowlist: []string{cfg.URLScheme + "://oauth-callback"},
		MultiSession: cfg.EmulatorMultiSession, NoClientTrust: cfg.EmulatorNoTrust,
	})
}

// localHost is the local emulator's Frontend API host (fixed), under which its
// sign-in is kept in the keychain: read at process start (service.OpenEarly).
const localHost = emulator.FrontendAPIHost
