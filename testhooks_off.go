//go:build !testhooks

package main

import "time"

// testHooks does nothing outside builds made for tests (see testhooks.go).
func (a *App) testHooks(string, time.Time) {}
