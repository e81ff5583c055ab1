package main

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// schemeHandler asks the desktop which program opens <scheme>:// URLs (Linux:
// xdg-mime, as the README's check does). Nil on other systems: their
// registration comes with the installer and is not queried here.
var schemeHandler = func() func(string) (string, error) {
	if runtime.GOOS != "linux" {
		return nil
	}
	return func(scheme string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "xdg-mime", "query", "default", "x-scheme-handler/"+scheme).Output()
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(out)), nil
	}
}()
