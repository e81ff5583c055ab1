package verify

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// maxJWKSBytes caps a key-set download; Clerk's is under 1 KiB.
const maxJWKSBytes = 256 << 10

// Backoff between fetches while no key set has ever been fetched.
const (
	firstRetryDelay = time.Second
	maxRetryDelay   = time.Minute
)

// keySet is one successfully fetched JWKS, reduced to what verification needs.
type keySet struct {
	byKID   map[string]*rsa.PublicKey
	fetched time.Time // when this set was fetched, for diagnostics
}

// jwksKeys keeps an instance's key set fresh. The division of work closes the
// traps of jwx v2's jwk.Cache (httprc v1.0.6):
//
//   - jwk.Cache makes the first fetch and owns the periodic refresh. Its
//     PostFetch hook turns each good set into a keySet; a failed or useless
//     fetch leaves the last good one in place.
//   - Its default HTTP client has no timeout and it reads bodies unbounded:
//     every request goes through fetcher, which has a timeout, a size cap,
//     and treats any status but 200 as an error.
//   - A failed first fetch is not retried by jwk.Cache until the next
//     scheduled refresh, and an unknown kid never triggers a fetch: both are
//     handled here, fetching directly with the same fetcher and jwk.Parse.
//     Not with Cache.Refresh: each Refresh call schedules one more periodic
//     refresh of its own, so forced refreshes would multiply the background
//     fetch rate without bound.
type jwksKeys struct {
	url        string
	fetcher    *fetcher
	cache      *jwk.Cache
	log        *slog.Logger
	minRefetch time.Duration
	maxBackoff time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	keys atomic.Pointer[keySet] // nil until the first good fetch

	mu         sync.Mutex
	inflight   chan struct{}    // closed when the running fetch ends
	lastForced time.Time        // start of the last kid-triggered fetch
	clock      func() time.Time // the real clock, but in tests
	lastErr    error            // of the last failed fetch, for ErrKeysUnavailable
	closed     bool
	primed     bool // jwk.Cache has made its first fetch; only the inflight owner touches it

	applyMu sync.Mutex
}

func newJWKSKeys(ctx context.Context, s settings) (*jwksKeys, error) {
	ctx, cancel := context.WithCancel(ctx)
	k := &jwksKeys{
		url:        s.JWKSURL,
		log:        s.Logger,
		minRefetch: s.MinRefetchInterval,
		clock:      s.refetchClock,
		maxBackoff: min(maxRetryDelay, s.RefreshInterval),
		ctx:        ctx,
		cancel:     cancel,
	}
	if k.clock == nil {
		k.clock = time.Now
	}
	k.fetcher = newFetcher(ctx, s.JWKSURL, s.HTTPClient)
	// The window is how often jwk.Cache looks for due refreshes; a refresh
	// runs at most one window after it is due.
	k.cache = jwk.NewCache(ctx,
		jwk.WithRefreshWindow(min(s.RefreshInterval, time.Minute)),
		jwk.WithErrSink(errSink(k.fetchFailed)))
	err := k.cache.Register(s.JWKSURL,
		jwk.WithHTTPClient(k.fetcher),
		jwk.WithRefreshInterval(s.RefreshInterval),
		jwk.WithPostFetcher(jwk.PostFetchFunc(func(_ string, set jwk.Set) (jwk.Set, error) {
			return set, k.apply(set)
		})))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("verify: register JWKS: %w", err)
	}
	k.wg.Add(1)
	go k.fetchUntilFirstSet()
	return k, nil
}

type errSink func(error)

func (f errSink) Error(err error) { f(err) }

func (k *jwksKeys) current(kid string) *rsa.PublicKey {
	if ks := k.keys.Load(); ks != nil {
		return ks.byKID[kid]
	}
	return nil
}

func (k *jwksKeys) lookup(ctx context.Context, kid string) (*rsa.PublicKey, *Error) {
	if key := k.current(kid); key != nil {
		return key, nil
	}
	// Unknown kid: maybe the keys rotated, or none were ever fetched.
	waitErr := k.refetch(ctx, true)
	if key := k.current(kid); key != nil {
		return key, nil
	}
	if k.keys.Load() == nil {
		k.mu.Lock()
		cause := k.lastErr
		k.mu.Unlock()
		if cause == nil {
			cause = waitErr
		}
		return nil, &Error{Reason: ErrKeysUnavailable, Detail: "no key set fetched yet", Err: cause}
	}
	if waitErr != nil {
		return nil, &Error{Reason: ErrUnknownKey, Detail: "gave up waiting for a key-set refetch", Err: waitErr}
	}
	return nil, fail(ErrUnknownKey, "kid not in the key set")
}

// refetch starts a fetch unless one is running (then it joins it) or, when
// rateLimited, one was started less than minRefetch ago (then it returns at
// once). It waits for the fetch or ctx; the fetch itself is bound to the
// verifier's lifetime, not to ctx, since other goroutines share it.
func (k *jwksKeys) refetch(ctx context.Context, rateLimited bool) error {
	k.mu.Lock()
	ch := k.inflight
	if ch == nil {
		now := k.clock()
		if k.closed || rateLimited && !k.lastForced.IsZero() && now.Sub(k.lastForced) < k.minRefetch {
			k.mu.Unlock()
			return nil
		}
		if rateLimited {
			k.lastForced = now
		}
		ch = make(chan struct{})
		k.inflight = ch
		k.wg.Add(1)
		go k.fetch(ch)
	}
	k.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *jwksKeys) fetch(done chan struct{}) {
	defer k.wg.Done()
	var err error
	if !k.primed {
		k.primed = true
		// The first fetch goes through jwk.Cache, which then keeps a refresh
		// scheduled every RefreshInterval, whether this fetch worked or not.
		_, err = k.cache.Get(k.ctx, k.url)
	} else {
		err = k.fetchDirect()
	}
	if err != nil {
		k.fetchFailed(err)
	}
	k.mu.Lock()
	k.inflight = nil
	k.mu.Unlock()
	close(done)
}

func (k *jwksKeys) fetchDirect() error {
	body, err := k.fetcher.fetch(k.ctx)
	if err != nil {
		return err
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return fmt.Errorf("parse JWKS from %s: %w", k.url, err)
	}
	return k.apply(set)
}

func (k *jwksKeys) fetchFailed(err error) {
	k.mu.Lock()
	k.lastErr = err
	k.mu.Unlock()
	if k.ctx.Err() == nil {
		k.log.Warn("JWKS fetch failed; keeping the last good key set", "url", k.url, "err", err)
	}
}

// fetchUntilFirstSet retries with backoff until a key set has been fetched;
// after that the jwk.Cache schedule keeps it fresh.
func (k *jwksKeys) fetchUntilFirstSet() {
	defer k.wg.Done()
	delay := min(firstRetryDelay, k.maxBackoff)
	for {
		_ = k.refetch(k.ctx, false)
		if k.keys.Load() != nil {
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-k.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, k.maxBackoff)
	}
}

// apply replaces the key set with set, unless set holds no usable key. Keys
// that did not change keep their pointer, which the token cache compares to
// tell whether a cached token's key is still published.
func (k *jwksKeys) apply(set jwk.Set) error {
	k.applyMu.Lock()
	defer k.applyMu.Unlock()
	old := k.keys.Load()
	next := &keySet{byKID: make(map[string]*rsa.PublicKey, set.Len()), fetched: time.Now()}
	dup := map[string]bool{}
	for i := 0; i < set.Len(); i++ {
		jk, _ := set.Key(i)
		key, kid, why := usableKey(jk)
		if why != "" {
			k.log.Debug("JWKS key skipped", "url", k.url, "index", i, "why", why)
			continue
		}
		if _, seen := next.byKID[kid]; seen || dup[kid] {
			// Two keys under one kid: trust neither.
			dup[kid] = true
			delete(next.byKID, kid)
			continue
		}
		if old != nil {
			if prev := old.byKID[kid]; prev != nil && prev.Equal(key) {
				key = prev
			}
		}
		next.byKID[kid] = key
	}
	if len(next.byKID) == 0 {
		return fmt.Errorf("JWKS from %s holds no usable RS256 signing key", k.url)
	}
	k.keys.Store(next)
	k.log.Debug("JWKS applied", "url", k.url, "keys", len(next.byKID))
	return nil
}

func usableKey(jk jwk.Key) (*rsa.PublicKey, string, string) {
	kid := jk.KeyID()
	switch {
	case kid == "":
		return nil, "", "no kid"
	case jk.KeyType() != jwa.RSA:
		return nil, "", "not RSA"
	case jk.KeyUsage() != "" && jk.KeyUsage() != "sig":
		return nil, "", "use is not sig"
	case jk.Algorithm().String() != "" && jk.Algorithm().String() != "RS256":
		return nil, "", "alg is not RS256"
	}
	var pub rsa.PublicKey
	if err := jk.Raw(&pub); err != nil {
		return nil, "", "not an RSA public key"
	}
	if err := checkRSAKey(&pub); err != nil {
		return nil, "", err.Error()
	}
	return &pub, kid, ""
}

func (k *jwksKeys) close() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.cancel()
	k.wg.Wait()
}

// fetcher downloads the JWKS for both jwk.Cache (as its HTTPClient) and the
// direct fetches.
type fetcher struct {
	ctx     context.Context
	url     string
	client  *http.Client
	timeout time.Duration
	count   atomic.Int64 // requests sent; read by tests
}

func newFetcher(ctx context.Context, url string, c *http.Client) *fetcher {
	f := &fetcher{ctx: ctx, url: url, client: c, timeout: c.Timeout}
	if f.timeout <= 0 {
		f.timeout = DefaultHTTPTimeout
	}
	return f
}

// Get implements jwk.HTTPClient for jwk.Cache.
func (f *fetcher) Get(u string) (*http.Response, error) {
	if u != f.url {
		return nil, errors.New("verify: JWKS fetch for an unregistered URL")
	}
	body, err := f.fetch(f.ctx)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}

func (f *fetcher) fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	f.count.Add(1)
	res, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10)) // lets the connection be reused
		return nil, fmt.Errorf("fetch JWKS from %s: HTTP %s", f.url, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS from %s: %w", f.url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("fetch JWKS from %s: body over %d bytes", f.url, maxJWKSBytes)
	}
	return body, nil
}
