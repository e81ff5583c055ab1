package clerkclock

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestObserveDate(t *testing.T) {
	base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return base.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name string
		obs  []string // Date headers, each seen 100 ms after sending at base
		want time.Duration
		tol  time.Duration
	}{
		{"no observation", nil, 0, 0},
		{"Clerk 5 minutes ahead", []string{date(5 * time.Minute)}, 5 * time.Minute, time.Second},
		{"Clerk 5 minutes behind", []string{date(-5 * time.Minute)}, -5 * time.Minute, time.Second},
		{"in step", []string{date(0)}, 0, time.Second},
		{"garbage is ignored", []string{"yesterday"}, 0, 0},
		{"a later, different offset wins", []string{date(time.Hour), date(-time.Minute)}, -time.Minute, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(func() time.Time { return base })
			for _, d := range tc.obs {
				c.ObserveDate(d, base, base.Add(100*time.Millisecond))
			}
			if got := c.Offset(); (got - tc.want).Abs() > tc.tol {
				t.Fatalf("offset %v, want %v ± %v", got, tc.want, tc.tol)
			}
			if got := c.Now(); (got.Sub(base) - tc.want).Abs() > tc.tol {
				t.Fatalf("Now %v, want base%+v", got, tc.want)
			}
		})
	}
}

func TestSmallChangesDoNotJitter(t *testing.T) {
	base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c := New(func() time.Time { return base })
	c.ObserveDate(base.Add(time.Minute).Format(http.TimeFormat), base, base)
	first := c.Offset()
	c.ObserveDate(base.Add(time.Minute).Format(http.TimeFormat), base.Add(-300*time.Millisecond), base.Add(200*time.Millisecond))
	if c.Offset() != first || !c.Known() {
		t.Fatalf("offset moved from %v to %v on a sub-second difference", first, c.Offset())
	}
}

func ExampleClock() {
	sys := func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }
	c := New(sys)
	// A Frontend API response says Clerk's clock reads 12:05:00.
	c.ObserveDate("Mon, 07 Dec 2026 12:05:00 GMT", sys(), sys())
	fmt.Println("Clerk is ahead by", c.Offset().Round(time.Minute)) // c.Now() is what the verifier uses
	// Output: Clerk is ahead by 5m0s
}
