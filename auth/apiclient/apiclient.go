// Package apiclient calls the protected API on the signed-in person's behalf. It
// sends a session token only after verifying it, only as Authorization: Bearer,
// and only to the configured API origin: callers give a path, never a URL.
package apiclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"deskclerk/auth/verify"
)

// Verifier checks a session token. *verify.Verifier implements it.
type Verifier interface {
	Verify(ctx context.Context, token string) (*verify.Claims, error)
}

// Limits on what goes out and comes back.
const (
	maxRequestBody  = 1 << 20
	maxResponseBody = 4 << 20
	maxPathLen      = 2048
)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrTokenRejected: the session token failed verification and was not sent.
	ErrTokenRejected = errors.New("session token rejected")
	// ErrBadRequest: the path, method or body was refused before anything was sent.
	ErrBadRequest = errors.New("request refused")
	// ErrUnreachable: the API did not answer (network down, timeout).
	ErrUnreachable = errors.New("API unreachable")
)

// Client calls one API origin.
type Client struct {
	base *url.URL
	v    Verifier
	http *http.Client
	log  *slog.Logger

	mu   sync.Mutex
	last Reachability
}

// Reachability is the outcome of the last call that reached the network.
type Reachability struct {
	Checked   bool      `json:"checked"`
	Reachable bool      `json:"reachable"`
	Status    int       `json:"status,omitempty"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

// Reachability reports how the last call went.
func (c *Client) Reachability() Reachability {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func (c *Client) record(status int, err error) {
	r := Reachability{Checked: true, Reachable: err == nil, Status: status, At: time.Now()}
	if err != nil {
		r.Error = err.Error()
	}
	c.mu.Lock()
	c.last = r
	c.mu.Unlock()
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client (15 s timeout, no redirects).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// New returns a client for the API at base (an absolute http(s) URL).
func New(base string, v Verifier, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("api client: base %q: want an absolute http(s) URL without credentials, query or fragment", base)
	}
	if v == nil {
		return nil, errors.New("api client: a verifier is required")
	}
	c := &Client{base: u, v: v, log: slog.New(slog.DiscardHandler)}
	c.http = &http.Client{
		Timeout: 15 * time.Second,
		// A redirect would carry the bearer to wherever the API points: never follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Origin is the API's scheme://host[:port], for display.
func (c *Client) Origin() string { return c.base.Scheme + "://" + c.base.Host }

// Response is the API's answer.
type Response struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

// Do verifies token, then sends method path with body to the API. A non-2xx answer
// is a Response, not an error; errors mean nothing usable came back. A 401 from the
// API tells the caller to fetch a fresh token and try once more.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, token string) (*Response, error) {
	method = strings.ToUpper(method)
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, fmt.Errorf("api %s: %w: method not allowed", method, ErrBadRequest)
	}
	target, err := c.resolve(path)
	if err != nil {
		return nil, fmt.Errorf("api %s: %w", method, err)
	}
	if len(body) > maxRequestBody {
		return nil, fmt.Errorf("api %s %s: %w: body over %d bytes", method, target.Path, ErrBadRequest, maxRequestBody)
	}
	claims, err := c.v.Verify(ctx, token)
	if err != nil {
		// The verifier's errors never contain the token.
		return nil, fmt.Errorf("api %s %s: %w: %w", method, target.Path, ErrTokenRejected, err)
	}

	var rdr io.Reader
	if body != nil {
		rdr = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), rdr)
	if err != nil {
		return nil, fmt.Errorf("api %s %s: %w", method, target.Path, ErrBadRequest)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		err = fmt.Errorf("api %s %s: %w: %s", method, target.Path, ErrUnreachable, transportReason(err))
		c.record(0, err)
		return nil, err
	}
	c.record(resp.StatusCode, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, fmt.Errorf("api %s %s: %w: reading the answer: %s", method, target.Path, ErrUnreachable, transportReason(err))
	}
	if len(b) > maxResponseBody {
		return nil, fmt.Errorf("api %s %s: answer over %d bytes", method, target.Path, maxResponseBody)
	}
	c.log.Debug("api call", "method", method, "path", target.Path, "status", resp.StatusCode, "user", claims.UserID, "took", time.Since(start))
	return &Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(b)}, nil
}

// resolve joins a path (with optional query) to the base, refusing anything that
// could point elsewhere: absolute or scheme-relative URLs, dot segments, escapes.
func (c *Client) resolve(p string) (*url.URL, error) {
	if len(p) == 0 || len(p) > maxPathLen || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\#") {
		return nil, fmt.Errorf("%w: path %q must start with a single / and stay on the API", ErrBadRequest, clip(p))
	}
	for _, r := range p {
		if r < 0x21 || r == 0x7f {
			return nil, fmt.Errorf("%w: path contains control or space characters", ErrBadRequest)
		}
	}
	rel, err := url.Parse(p)
	if err != nil || rel.Scheme != "" || rel.Host != "" || rel.User != nil {
		return nil, fmt.Errorf("%w: path %q is not a plain path", ErrBadRequest, clip(p))
	}
	for _, seg := range strings.Split(rel.Path, "/") {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("%w: path %q has dot segments", ErrBadRequest, clip(p))
		}
	}
	u := *c.base
	u.Path = c.base.Path + rel.Path
	u.RawQuery = rel.RawQuery
	return &u, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// transportReason describes a transport error without the URL's query string.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
