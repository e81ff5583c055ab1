package emulator

import (
	"net/http"
	"time"
)

// A clock offset runs the emulator's clock ahead of (or behind) this machine's,
// so a test can see what a desktop with a wrong clock meets at a real Clerk
// instance: tokens whose iat, nbf and exp are minutes away from the desktop's
// time, and Date headers on every response (RFC 9110 §6.6.1, which Clerk's
// Frontend API, like any origin server, sends from its own clock).

func withOffset(now func() time.Time, d time.Duration) func() time.Time {
	if d == 0 {
		return now
	}
	return func() time.Time { return now().Add(d) }
}

// withDate stamps each response with the emulator's own time; net/http would
// otherwise write this machine's.
func (s *Server) withDate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		next.ServeHTTP(w, r)
	})
}
