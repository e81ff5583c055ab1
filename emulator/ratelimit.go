package emulator

import (
	"sync"
	"time"
)

// Failed password or code attempts per account: after maxFailedAttempts within
// failureWindow every further attempt is refused with 429 and Retry-After until
// the oldest failure leaves the window. Kept in memory: a restart forgives.
const (
	maxFailedAttempts = 5
	failureWindow     = 10 * time.Minute
	maxTrackedKeys    = 10_000
)

type failureLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func newFailureLimiter() *failureLimiter {
	return &failureLimiter{failures: map[string][]time.Time{}}
}

// retryAfter returns how long key must wait, or 0 if it may try now.
func (l *failureLimiter) retryAfter(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.prune(key, now)
	if len(recent) < maxFailedAttempts {
		return 0
	}
	return recent[0].Add(failureWindow).Sub(now)
}

func (l *failureLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.failures[key]; !ok && len(l.failures) >= maxTrackedKeys {
		// Bounded memory beats perfect memory: forget an arbitrary half.
		for k := range l.failures {
			if len(l.failures) < maxTrackedKeys/2 {
				break
			}
			delete(l.failures, k)
		}
	}
	l.failures[key] = append(l.prune(key, now), now)
}

func (l *failureLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// prune drops failures older than the window; the caller holds mu.
func (l *failureLimiter) prune(key string, now time.Time) []time.Time {
	list := l.failures[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= failureWindow {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = list
	return list
}
