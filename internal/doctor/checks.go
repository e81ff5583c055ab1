package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"

	"deskclerk/auth/apiclient"
	"deskclerk/auth/keychain"
	"deskclerk/auth/verify"
	"deskclerk/internal/config"
)

// run carries what one check learns to the next.
type run struct {
	env Env

	reachable bool
	dateSkew  *time.Duration // Clerk's Date header against ours, if it had one
	kids      []string

	stored       string // the stored client token, in memory only
	activeSessID string
}

func (r *run) build() Check {
	b := r.env.Build
	c := Check{ID: "build", Title: "Build", Status: StatusOK}
	c.Summary = fmt.Sprintf("Desk Clerk %s (%s)", b.Version, b.Channel)
	c.add("Wails", orUnknown(b.Wails))
	c.add("Webview", orUnknown(b.WebView))
	c.add("System", b.OS)
	return c
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (r *run) configuration() Check {
	cfg := r.env.Config
	c := Check{ID: "config", Title: "Configuration", Status: StatusOK}
	mode := "Clerk instance from the publishable key"
	if cfg.UseEmulator() {
		mode = "local emulator (no publishable key)"
	}
	c.Summary = mode
	for _, s := range cfg.Settings() {
		v := s.Value
		if v == "" {
			v = "(not set)"
		}
		c.add(s.Name, v+" ["+string(s.Source)+"]")
	}
	return c
}

func (r *run) instance(ctx context.Context) Check {
	c := Check{ID: "instance", Title: "Instance", Status: StatusOK}
	if r.env.InstanceProblem != "" {
		c.Status, c.Summary = StatusWarn, "not checked: "+r.env.InstanceProblem
		c.Fix = "Run the doctor with the app closed, or use Diagnostics in the app's status line."
		return c
	}
	inst := r.env.Instance
	c.add("Frontend API", inst.FrontendAPI)
	c.add("Issuer", inst.Issuer)
	if r.env.FrontendAPIURL != "https://"+inst.FrontendAPI {
		c.add("Reached at", r.env.FrontendAPIURL)
	}
	start := time.Now()
	resp, err := r.get(ctx, r.env.FrontendAPIURL+"/v1/environment?_is_native=1", "")
	rtt := time.Since(start)
	if err != nil {
		c.Status, c.Summary = StatusFail, "unreachable: "+err.Error()
		c.Fix = "Check the network connection and proxy settings; with the emulator, start it (or the app) first."
		return c
	}
	resp.Body.Close()
	r.reachable = true
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		// The server stamps Date somewhere within the round trip: compare with its middle.
		skew := d.Sub(start.Add(rtt / 2))
		r.dateSkew = &skew
	}
	c.add("Round trip", rtt.Round(time.Millisecond).String())
	if resp.StatusCode != http.StatusOK {
		c.Status, c.Summary = StatusFail, fmt.Sprintf("reachable, but GET /v1/environment answered %d", resp.StatusCode)
		c.Fix = "Check the publishable key: it names the instance."
		return c
	}
	c.Summary = fmt.Sprintf("reachable in %s", rtt.Round(time.Millisecond))
	return c
}

func (r *run) clock() Check {
	c := Check{ID: "clock", Title: "Clock", Status: StatusOK}
	if r.dateSkew == nil {
		c.Status, c.Summary = StatusSkip, "not checked: no answer from the instance"
		return c
	}
	skew := *r.dateSkew
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	// The Date header has whole seconds; anything under a second is noise.
	c.add("Offset", fmt.Sprintf("%+.1f s (%s)", skew.Seconds(), behindAhead(skew)))
	c.Summary = fmt.Sprintf("within %s of Clerk's", r.env.ClockWarn)
	if abs > r.env.ClockWarn {
		c.Status = StatusWarn
		c.Summary = fmt.Sprintf("this machine's clock is %.0f s off Clerk's (%s)", abs.Seconds(), behindAhead(skew))
		c.Fix = fmt.Sprintf("Turn on automatic time (NTP). Session tokens live 60 s and are checked with %s of leeway.", verify.DefaultLeeway)
	}
	return c
}

func behindAhead(skew time.Duration) string {
	switch {
	case skew > time.Second:
		return "this machine is behind"
	case skew < -time.Second:
		return "this machine is ahead"
	}
	return "in step, to the Date header's whole seconds"
}

func (r *run) jwks(ctx context.Context) Check {
	c := Check{ID: "jwks", Title: "JWKS", Status: StatusOK}
	if r.env.InstanceProblem != "" || r.env.Instance.JWKSURL == "" {
		c.Status, c.Summary = StatusSkip, "not checked: no instance"
		return c
	}
	c.add("URL", r.env.Instance.JWKSURL)
	resp, err := r.get(ctx, r.env.Instance.JWKSURL, "")
	if err != nil {
		c.Status, c.Summary = StatusFail, "unreachable: "+err.Error()
		c.Fix = "Session tokens cannot be verified without the instance's keys: check the network."
		return c
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
		} `json:"keys"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set) != nil || len(set.Keys) == 0 {
		c.Status, c.Summary = StatusFail, fmt.Sprintf("no usable key set (HTTP %d)", resp.StatusCode)
		c.Fix = "Check that the publishable key belongs to a live instance."
		return c
	}
	for _, k := range set.Keys {
		r.kids = append(r.kids, k.Kid)
	}
	c.add("Key ids", strings.Join(r.kids, ", "))
	age := "fetched just now"
	if a := resp.Header.Get("Age"); a != "" {
		age = a + " s old (from a cache on the way)"
	}
	c.add("Age", age)
	c.Summary = fmt.Sprintf("%d key(s)", len(set.Keys))
	if k := r.env.RunningKeys; k != nil {
		if len(k.KIDs) == 0 {
			c.Status, c.Summary = StatusWarn, "the app has not loaded the keys yet"
			c.Fix = "The app keeps retrying; session tokens cannot be verified until it has them."
			return c
		}
		c.add("Cached in the app", fmt.Sprintf("%s, fetched %s ago", strings.Join(k.KIDs, ", "), r.env.Now().Sub(k.FetchedAt).Round(time.Second)))
		for _, kid := range r.kids {
			if !contains(k.KIDs, kid) {
				c.Status, c.Summary = StatusWarn, "the app's cached keys lack "+kid
				c.Fix = "The app fetches a new key when a token names it; if API calls fail, restart the app."
			}
		}
	}
	return c
}

// testInstance names the doctor's own keychain entry, apart from any sign-in.
const testInstance = "doctor-check.invalid"

func (r *run) keychainCheck(ctx context.Context) Check {
	c := Check{ID: "keychain", Title: "Keychain", Status: StatusOK}
	if r.env.Running != nil {
		h := r.env.Running
		c.add("In use by the app", h.Backend)
		if !h.Persistent {
			c.add("Pending write", "yes: the newest sign-in is in memory only ("+orUnknown(h.LastError)+")")
		} else {
			c.add("Pending write", "none")
		}
	}
	opts := keychain.Options{App: "deskclerk", Instance: testInstance, Backend: r.env.Keychain, Timeout: 3 * time.Second}
	first := keychain.Open(ctx, opts)
	h := first.Health()
	c.add("Backend", h.Backend)
	c.add("Test entry", h.Service)
	if h.Backend == keychain.BackendMemoryOnly {
		c.Status = StatusFail
		c.Summary = "no working keychain: you will not stay signed in after a restart"
		if h.LastError != "" {
			c.add("Error", h.LastError)
		}
		c.Fix = "On Linux, run a Secret Service (GNOME Keyring or KWallet) and unlock it; then restart the app."
		return c
	}
	value := "doctor-" + randomHex(8)
	fail := func(step string, err error) Check {
		c.Status, c.Summary = StatusFail, step+" failed: "+err.Error()
		c.Fix = "Unlock the keychain (it may be asking for a password), or restart the Secret Service."
		return c
	}
	if err := first.Save(ctx, value); err != nil {
		return fail("write", err)
	}
	// A second Store reads from the keychain itself, as the app does after a restart.
	second := keychain.Open(ctx, opts)
	got, err := second.Load(ctx)
	if err != nil {
		_ = second.Delete(ctx)
		return fail("read back", err)
	}
	if got != value {
		_ = second.Delete(ctx)
		return fail("read back", errors.New("a different value came back"))
	}
	if err := second.Delete(ctx); err != nil {
		return fail("delete", err)
	}
	if _, err := keychain.Open(ctx, opts).Load(ctx); !errors.Is(err, keychain.ErrNotFound) {
		return fail("delete", fmt.Errorf("the test entry is still there (%v)", err))
	}
	c.add("Round trip", "write, read after reopening, delete: ok")
	c.add("Survives a restart", "yes")
	c.Summary = "working; sign-in survives a restart (" + h.Backend + ")"
	if r.env.Running != nil && !r.env.Running.Persistent {
		c.Status = StatusWarn
		c.Summary = "working now, but the app's last write failed"
		c.Fix = "The app retries on the next change; if it persists, sign out and in again."
	}
	return c
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clientJSON is the part of Clerk's Client the doctor shows.
type clientJSON struct {
	LastActiveSessionID string `json:"last_active_session_id"`
	Sessions            []struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		ExpireAt int64  `json:"expire_at"`
		User     struct {
			ID                    string `json:"id"`
			PrimaryEmailAddressID string `json:"primary_email_address_id"`
			EmailAddresses        []struct {
				ID           string `json:"id"`
				EmailAddress string `json:"email_address"`
			} `json:"email_addresses"`
		} `json:"user"`
	} `json:"sessions"`
}

// storedSignIn reads the stored client token and asks the Frontend API which
// accounts it holds with GET /v1/client, the read ClerkJS makes at every start.
// Clerk rotates the client token on sign-in, not on this read
// (clerk/clerk-docs: docs/guides/how-clerk-works/overview.mdx, "rotating_token …
// rotates on each sign-in"); should an answer carry a new token anyway, it is
// not stored — storing it behind the running app's back would race the app's own
// saves — and the check says so.
func (r *run) storedSignIn(ctx context.Context) Check {
	c := Check{ID: "signin", Title: "Stored sign-in", Status: StatusOK}
	if r.env.Stored == nil {
		c.Status, c.Summary = StatusSkip, "not checked: no keychain"
		return c
	}
	tok, err := r.env.Stored.Load(ctx)
	switch {
	case errors.Is(err, keychain.ErrNotFound):
		c.Status, c.Summary = StatusSkip, "none: nobody is signed in on this device"
		return c
	case err != nil:
		c.Status, c.Summary = StatusFail, "cannot read it: "+err.Error()
		c.Fix = "Unlock the keychain; the app cannot restore your sign-in until it can read it."
		return c
	}
	c.add("Present", "yes")
	if !r.reachable {
		c.Status, c.Summary = StatusSkip, "present; accounts not checked (instance unreachable)"
		return c
	}
	resp, err := r.get(ctx, r.env.FrontendAPIURL+"/v1/client?_is_native=1", tok)
	if err != nil {
		c.Status, c.Summary = StatusFail, "could not ask the instance: "+err.Error()
		return c
	}
	defer resp.Body.Close()
	if rotated(resp, tok) {
		c.add("Client token", "Clerk answered a read with a new token; the doctor did not keep it")
	}
	if resp.StatusCode == http.StatusUnauthorized {
		c.Status, c.Summary = StatusFail, "the instance no longer knows this device's sign-in"
		c.Fix = "Sign in again in the app."
		return c
	}
	var env struct {
		Response *clientJSON `json:"response"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&env) != nil {
		c.Status, c.Summary = StatusFail, fmt.Sprintf("GET /v1/client answered %d", resp.StatusCode)
		return c
	}
	if env.Response == nil || len(env.Response.Sessions) == 0 {
		c.Status, c.Summary = StatusSkip, "stored, but no account is signed in"
		return c
	}
	cl := env.Response
	now := r.env.Now()
	for _, s := range cl.Sessions {
		email := ""
		for _, e := range s.User.EmailAddresses {
			if e.ID == s.User.PrimaryEmailAddressID || email == "" {
				email = e.EmailAddress
			}
		}
		label := "Account"
		if s.ID == cl.LastActiveSessionID {
			label, r.activeSessID = "Active account", s.ID
		}
		exp := time.UnixMilli(s.ExpireAt)
		c.add(label, fmt.Sprintf("%s %s (session %s, %s, expires %s, %s)", s.User.ID, email, s.ID, s.Status,
			exp.UTC().Format(time.RFC3339), untilText(exp.Sub(now))))
	}
	if r.activeSessID == "" {
		r.activeSessID = cl.Sessions[0].ID
	}
	r.stored = tok
	c.Summary = fmt.Sprintf("%d account(s) signed in", len(cl.Sessions))
	return c
}

func rotated(resp *http.Response, sent string) bool {
	got := strings.TrimSpace(strings.TrimPrefix(resp.Header.Get("Authorization"), "Bearer "))
	return got != "" && got != sent
}

// protectedAPI calls /api/me as the active account: a fresh session token from
// POST /v1/client/sessions/{id}/tokens (what ClerkJS's getToken does every
// minute; it changes no client state), verified here before it is sent.
func (r *run) protectedAPI(ctx context.Context) Check {
	c := Check{ID: "api", Title: "Protected API", Status: StatusOK}
	if r.env.APIURL == "" {
		c.Status, c.Summary = StatusSkip, "none configured"
		return c
	}
	c.add("URL", r.env.APIURL)
	if r.stored == "" || r.activeSessID == "" {
		// Without a session, a 401 still proves it answers.
		resp, err := r.get(ctx, strings.TrimRight(r.env.APIURL, "/")+"/api/me", "")
		if err != nil {
			c.Status, c.Summary = StatusFail, "unreachable: "+err.Error()
			c.Fix = "Check " + config.EnvAPIURL + " and that the API server is running."
			return c
		}
		resp.Body.Close()
		c.Summary = fmt.Sprintf("reachable (HTTP %d without a session); /api/me not called: nobody signed in", resp.StatusCode)
		return c
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.env.FrontendAPIURL+"/v1/client/sessions/"+url.PathEscape(r.activeSessID)+"/tokens?_is_native=1", nil)
	if err != nil {
		c.Status, c.Summary = StatusFail, err.Error()
		return c
	}
	req.Header.Set("Authorization", r.stored)
	resp, err := r.env.HTTP.Do(req)
	if err != nil {
		c.Status, c.Summary = StatusFail, "could not get a session token: "+err.Error()
		return c
	}
	var tok struct {
		JWT string `json:"jwt"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.JWT == "" {
		c.Status, c.Summary = StatusFail, fmt.Sprintf("no session token for the active account (HTTP %d)", resp.StatusCode)
		c.Fix = "Sign in again in the app."
		return c
	}
	v, err := verify.New(ctx, verify.Config{Issuer: r.env.Instance.Issuer, JWKSURL: r.env.Instance.JWKSURL,
		AuthorizedParties: r.env.Config.AuthorizedParties, AZP: verify.AZPOptional})
	if err != nil {
		c.Status, c.Summary = StatusFail, "cannot verify session tokens: "+err.Error()
		return c
	}
	defer v.Close()
	api, err := apiclient.New(r.env.APIURL, v, apiclient.WithHTTPClient(r.env.HTTP))
	if err != nil {
		c.Status, c.Summary = StatusFail, err.Error()
		return c
	}
	res, err := api.Do(ctx, http.MethodGet, "/api/me", nil, tok.JWT)
	switch {
	case errors.Is(err, apiclient.ErrTokenRejected):
		c.Status, c.Summary = StatusFail, "the session token did not verify, so it was not sent: "+err.Error()
		c.Fix = "Check the clock, and that the API and the app use the same instance."
	case err != nil:
		c.Status, c.Summary = StatusFail, "unreachable: "+err.Error()
		c.Fix = "Check " + config.EnvAPIURL + " and that the API server is running."
	case res.Status != http.StatusOK:
		c.Status, c.Summary = StatusFail, fmt.Sprintf("/api/me answered %d as the active account", res.Status)
		c.Fix = "The API refused a valid session: check its issuer and authorized parties."
	default:
		c.Summary = "/api/me answered 200 as the active account"
	}
	return c
}

func (r *run) social() Check {
	if r.env.Redirect == config.RedirectScheme {
		return r.schemeCheck()
	}
	c := Check{ID: "social", Title: "Social sign-in", Status: StatusOK}
	port := r.env.OAuthPort
	where := "an ephemeral port"
	if port != 0 {
		where = "port " + strconv.Itoa(port)
	}
	c.add("Redirect mode", "loopback (RFC 8252): http://127.0.0.1 on "+where)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		c.Status = StatusWarn
		c.Summary = "cannot listen on 127.0.0.1 " + where + ": " + err.Error()
		c.Fix = "Another program (or a sign-in in progress) holds the port; free it or change DESKCLERK_OAUTH_PORT."
		return c
	}
	ln.Close()
	c.Summary = "the browser comes back to 127.0.0.1 on " + where
	return c
}

// schemeCheck: with the URL-scheme transport, the browser's redirect reaches the
// app only if this OS routes <scheme>:// URLs to it.
func (r *run) schemeCheck() Check {
	c := Check{ID: "social", Title: "Social sign-in", Status: StatusOK}
	redirect := r.env.URLScheme + "://oauth-callback"
	c.add("Redirect mode", "URL scheme: "+redirect+" (allowlist it in the Clerk Dashboard)")
	if r.env.SchemeHandler == nil {
		c.Summary = "the browser comes back through " + redirect + "; this OS's registration is not checked here"
		return c
	}
	h, err := r.env.SchemeHandler(r.env.URLScheme)
	switch {
	case err != nil:
		c.Status = StatusWarn
		c.Summary = "could not ask this OS which program opens " + r.env.URLScheme + ":// URLs: " + err.Error()
	case h == "":
		c.Status = StatusFail
		c.Summary = "no program is registered for " + r.env.URLScheme + ":// URLs: social sign-in cannot come back"
		c.Fix = "Install the package (it registers the scheme), or run `make register-scheme` for a development build."
	default:
		c.add("Registered handler", h)
		c.Summary = r.env.URLScheme + ":// URLs open " + h
	}
	return c
}

// network shows the proxy and CA settings that decide how the app reaches Clerk.
func (r *run) network() Check {
	c := Check{ID: "network", Title: "Network path", Status: StatusOK}
	get := r.env.Getenv
	pick := func(names ...string) string {
		for _, n := range names {
			if v := get(n); v != "" {
				return v
			}
		}
		return ""
	}
	pc := httpproxy.Config{
		HTTPProxy:  pick("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: pick("HTTPS_PROXY", "https_proxy"),
		NoProxy:    pick("NO_PROXY", "no_proxy"),
	}
	c.add("HTTPS_PROXY", orNone(redactURL(pc.HTTPSProxy)))
	c.add("HTTP_PROXY", orNone(redactURL(pc.HTTPProxy)))
	c.add("NO_PROXY", orNone(pc.NoProxy))
	proxyFor := pc.ProxyFunc()
	var via []string
	for _, target := range []struct{ name, raw string }{{"Frontend API", r.env.FrontendAPIURL}, {"API", r.env.APIURL}} {
		u, err := url.Parse(target.raw)
		if target.raw == "" || err != nil {
			continue
		}
		p, err := proxyFor(u)
		switch {
		case err != nil:
			c.Status = StatusFail
			c.Summary = "the proxy setting is invalid: " + err.Error()
			c.Fix = "Fix HTTPS_PROXY / HTTP_PROXY (a URL such as http://proxy:3128)."
		case p != nil:
			via = append(via, target.name+" via "+redactURL(p.String()))
		default:
			via = append(via, target.name+" direct")
		}
	}
	c.add("Route", strings.Join(via, "; "))
	for _, name := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
		v := get(name)
		if v == "" {
			c.add(name, "(not set)")
			continue
		}
		if _, err := os.Stat(strings.Split(v, string(os.PathListSeparator))[0]); err != nil {
			c.Status = StatusFail
			c.Summary = name + " names something that cannot be read"
			c.Fix = "Point " + name + " at your organisation's CA bundle, or unset it."
			c.add(name, v+" (cannot read: "+err.Error()+")")
			continue
		}
		c.add(name, v+" (custom CAs)")
	}
	if c.Summary == "" {
		keys := []string{}
		if pc.HTTPSProxy != "" || pc.HTTPProxy != "" {
			keys = append(keys, "proxy")
		}
		if get("SSL_CERT_FILE") != "" || get("SSL_CERT_DIR") != "" {
			keys = append(keys, "custom CAs")
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			c.Summary = "direct, system CAs"
		} else {
			c.Summary = strings.Join(keys, ", ") + " in effect"
		}
	}
	return c
}

func orNone(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}

// redactURL hides credentials in a proxy URL (http://user:secret@proxy).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.Scheme + "://***@" + strings.TrimPrefix(u.String(), u.Scheme+"://")
}

func (r *run) get(ctx context.Context, rawURL, clientToken string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if clientToken != "" {
		req.Header.Set("Authorization", clientToken)
	}
	resp, err := r.env.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err // the URL is shown separately; keep the reason short
		}
		return nil, err
	}
	return resp, nil
}

// untilText says how long until a session expires, in the largest sensible unit.
func untilText(d time.Duration) string {
	switch {
	case d <= 0:
		return "already expired"
	case d < time.Hour:
		return fmt.Sprintf("in %d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("in %d h", int(d.Hours()))
	}
	return fmt.Sprintf("in %d days", int((d+12*time.Hour)/(24*time.Hour)))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
