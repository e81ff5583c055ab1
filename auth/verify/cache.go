package verify

import (
	"crypto/rsa"
	"sync"
	"time"
)

// tokenCache remembers verified tokens so a token presented again costs a map
// lookup instead of an RSA verification. It is bounded; when full, an insert
// drops expired entries among a few it looks at, or else one arbitrary entry
// (Go's map iteration starts at a random place), so eviction is O(1).
type tokenCache struct {
	mu  sync.RWMutex
	m   map[string]*cacheEntry
	max int
}

type cacheEntry struct {
	claims     Claims // a copy: callers get their own copies of it
	kid        string
	key        *rsa.PublicKey // must still be the published key for kid on a hit
	validUntil time.Time      // exp + leeway
}

// evictScan is how many entries a full cache looks at for expired ones.
const evictScan = 16

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: make(map[string]*cacheEntry, max), max: max}
}

func (c *tokenCache) get(token string) *cacheEntry {
	c.mu.RLock()
	e := c.m[token]
	c.mu.RUnlock()
	return e
}

// remove deletes token if it still maps to e.
func (c *tokenCache) remove(token string, e *cacheEntry) {
	c.mu.Lock()
	if c.m[token] == e {
		delete(c.m, token)
	}
	c.mu.Unlock()
}

func (c *tokenCache) put(token string, e *cacheEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[token]; !ok && len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[token] = e
}

func (c *tokenCache) evict(now time.Time) {
	var victim string
	freed, seen := false, 0
	for k, e := range c.m {
		if seen == 0 {
			victim = k
		}
		if !now.Before(e.validUntil) {
			delete(c.m, k)
			freed = true
		}
		if seen++; seen == evictScan {
			break
		}
	}
	if !freed {
		delete(c.m, victim)
	}
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
