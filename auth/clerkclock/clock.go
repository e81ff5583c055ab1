// Package clerkclock estimates Clerk's time from this machine. A desktop clock
// that is wrong by more than a few seconds would otherwise make every session
// token look not-yet-valid or expired: Clerk sets nbf only 10 s before iat
// (clerk-docs session-tokens.mdx), and the verifier allows 5 s of leeway.
//
// The estimate comes from the Date header of Frontend API responses (RFC 9110
// §6.6.1: the origin server's clock when it produced the response), taken at
// the midpoint of the request's round trip.
package clerkclock

import (
	"net/http"
	"sync"
	"time"
)

// LargeOffset is the offset from which the app warns that this machine's clock
// is wrong: sign-in still works, but other services may not.
const LargeOffset = time.Minute

// resolution is the Date header's: whole seconds, truncated.
const resolution = time.Second

// Clock is Clerk's time as estimated on this machine. The zero value is not
// usable; call New.
type Clock struct {
	sys func() time.Time

	mu     sync.Mutex
	offset time.Duration // Clerk minus this machine
	known  bool
}

// New returns a clock with no offset until the first observation. sys is this
// machine's clock (nil: time.Now).
func New(sys func() time.Time) *Clock {
	if sys == nil {
		sys = time.Now
	}
	return &Clock{sys: sys}
}

// Now is Clerk's time: this machine's time corrected by the estimated offset.
func (c *Clock) Now() time.Time { return c.sys().Add(c.Offset()) }

// Offset is Clerk's time minus this machine's (positive: Clerk is ahead), and
// whether any observation has been made.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Known reports whether the offset comes from an observation.
func (c *Clock) Known() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.known
}

// ObserveDate takes a response's Date header, with this machine's times when the
// request was sent and the response headers arrived. Unparseable dates are
// ignored. Changes smaller than the header's resolution are ignored too, so the
// estimate does not jitter with network delays.
func (c *Clock) ObserveDate(date string, sent, received time.Time) {
	if date == "" || received.Before(sent) {
		return
	}
	server, err := http.ParseTime(date)
	if err != nil {
		return
	}
	// The server's clock read somewhere in [server, server+1s) while the request
	// was in flight; take the middle of both intervals.
	local := sent.Add(received.Sub(sent) / 2)
	est := server.Add(resolution / 2).Sub(local)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && (est-c.offset).Abs() < resolution {
		return
	}
	c.offset, c.known = est.Round(time.Millisecond), true
}
