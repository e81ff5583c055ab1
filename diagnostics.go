package main

import (
	"context"
	"strings"
	"time"

	"deskclerk/internal/doctor"
)

// Diagnostics runs the same checks as `deskclerk doctor` from inside the app, with
// the running app's own stored sign-in (read, never written) and keychain health.
func (a *App) Diagnostics() doctor.Report {
	ctx, cancel := context.WithTimeout(a.ctx(), 30*time.Second)
	defer cancel()
	env := baseDoctorEnv(a.cfg)
	svc := a.service()
	if svc == nil {
		env.InstanceProblem = "the app did not start: " + strings.Join(a.errs, "; ")
		return doctor.Run(ctx, env)
	}
	env.Config = svc.Config
	env.Instance = svc.Instance
	env.FrontendAPIURL = "https://" + svc.Instance.FrontendAPI
	if svc.Local != nil {
		env.FrontendAPIURL = svc.Local.FrontendAPIURL()
	}
	env.APIURL = svc.Config.APIURL
	env.Stored = svc.Store
	h := svc.Store.Health()
	env.Running = &h
	ki := svc.Verifier.KeyInfo()
	env.RunningKeys = &ki
	return doctor.Run(ctx, env)
}
