package emulator

import (
	"net/http"
	"time"
)

// offsetClock shifts now by offset: an emulator whose clock disagrees with the
// machine's, as a real one may (Options.ClockOffset).
func offsetClock(now func() time.Time, offset time.Duration) func() time.Time {
	if offset == 0 {
		return now
	}
	return func() time.Time { return now().Add(offset) }
}

// withDate sets the Date header from the emulator's own clock, as an HTTP server
// does from its clock (RFC 9110 §6.6.1); clients estimate clock skew from it.
// Without it net/http would stamp the machine's clock and hide an offset.
func withDate(now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", now().UTC().Format(http.TimeFormat))
		next.ServeHTTP(w, r)
	})
}
