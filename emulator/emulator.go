// Package emulator is a local stand-in for the part of Clerk Desk Clerk uses:
// the Frontend API routes ClerkJS 6 calls in native mode, an OAuth provider
// consent page for social sign-in, the instance JWKS and RS256 session tokens
// with Clerk's v2 claims, Svix-signed user webhooks, and a demo protected API
// (package demoapi) on a second loopback listener.
//
// It is faithful enough that the real ClerkJS, @clerk/backend's verifyToken,
// clerk-sdk-go's jwt.Verify and deskclerk/auth/verify accept it. State (users,
// clients, sessions, the signing key, the API's data) lives in bbolt files in
// Options.Dir, so a relaunched app is still signed in.
//
// Wire conventions (see the research notes, §5): `_method` overrides the wire
// method; the client token travels in Authorization and a new or rotated one
// comes back in the Authorization response header; bodies are urlencoded;
// responses are {response, client} except /v1/environment and
// /sessions/{id}/tokens; timestamps are Unix milliseconds; errors use Clerk's
// {errors:[{code, message, long_message, meta}], clerk_trace_id} envelope.
package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"deskclerk/auth/instance"
	"deskclerk/demoapi"
)

// FrontendAPIHost is the emulator's fixed Frontend API host name: the issuer is
// https://clerk.deskclerk.localhost whatever port the emulator listens on,
// because clerk-sdk-go only accepts issuers starting with "https://clerk.".
const FrontendAPIHost = "clerk.deskclerk.localhost"

// DBFile is the emulator's database file name inside Options.Dir.
const DBFile = "emulator.db"

// Options configures Start.
type Options struct {
	// Dir holds the databases (emulator.db, demoapi.db). "" means a temporary
	// directory removed by Close.
	Dir string
	// Addr is the Frontend API listener, default "127.0.0.1:0". Only loopback
	// addresses are accepted.
	Addr string
	// APIAddr is the demo API listener, default "127.0.0.1:0".
	APIAddr string
	// AuthorizedParties are extra origins (azp) the demo API accepts besides
	// the Wails webview origins; tokens minted without Origin are always accepted.
	AuthorizedParties []string
	// Logger receives the emulator's log, including the "emails" it sends
	// (verification codes). Default slog.Default().
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Production makes the emulator a production instance, as strict as Clerk's:
	// pk_live_ keys, instance_environment_type "production", and social sign-in /
	// connect-account redirect URLs (redirect_url, action_complete_redirect_url)
	// checked against RedirectAllowlist, the nonce sent only to allowlisted URLs.
	Production bool
	// RedirectAllowlist is the production instance's allowlist for native redirect
	// URLs (Clerk Dashboard → Native applications; BAPI POST /redirect_urls: "the full
	// URL … prefixed with https:// or a custom scheme"). Ignored in development mode,
	// where Clerk accepts any redirect URL.
	RedirectAllowlist []string
	// MultiSession makes the instance a multi-session one: several accounts signed
	// in on one client, one of them active (GET /v1/environment reports
	// auth_config.single_session_mode: false). Default: single-session, as Clerk's default.
	MultiSession bool
	// ClockOffset shifts the emulator's clock (and its Date header) against this
	// machine's, to stand in for a skewed clock. See clock.go.
	ClockOffset time.Duration
	// ProxyURL puts the instance behind a Clerk proxy at this https URL: its
	// session tokens then carry it as iss, as Clerk's do (clerk-sdk-go jwt/jwt.go
	// isValidIssuer: iss == ProxyURL for proxied instances). The emulator itself
	// still listens on loopback.
	ProxyURL string
	// CookieExpiresWithin, when set, makes each client's cookie_expires_at that
	// far from its last use (e.g. 7 days, as under a browser's tracking
	// prevention), so ClerkJS touches the client on setActive and signOut.
	CookieExpiresWithin time.Duration
	// APIKeys advertises user API keys in the environment, as an instance with
	// them enabled does: <UserProfile/> then offers an API keys page, whose calls
	// go outside /v1 (clerk/javascript packages/clerk-js/src/core/modules/apiKeys).
	// The emulator serves none of them.
	APIKeys bool
	// NoClientTrust turns Client Trust off (it is on by default, as for new
	// Clerk applications): password sign-ins on a new client then complete
	// without an emailed code.
	NoClientTrust bool
}

// DemoUser is a seeded account. Passwords are generated at first start and
// kept in the database; they are never logged.
type DemoUser struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// Server is a running emulator.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	dir    string
	tmpDir bool

	store   *store
	keys    *keys
	limiter *failureLimiter
	issuer  string

	production    bool
	allowlist     []allowedRedirect
	noClientTrust bool
	cookieWithin  time.Duration
	apiKeys       bool

	frontendURL   string
	fapi          *http.Server
	api           *demoapi.Server
	webhookSecret string

	multiSession bool

	wake       chan struct{}
	stopSender context.CancelFunc
	senderDone chan struct{}

	mailMu sync.Mutex
	mail   map[string]string // lower-cased address -> last code sent

	closeOnce sync.Once
	closeErr  error
}

// Start opens (or creates) the state in opts.Dir, starts the Frontend API and
// the demo API on loopback and returns once both accept connections. ctx
// bounds start-up only; Close stops everything.
func Start(ctx context.Context, opts Options) (s *Server, err error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.APIAddr == "" {
		opts.APIAddr = "127.0.0.1:0"
	}
	for _, a := range []string{opts.Addr, opts.APIAddr} {
		if err := checkLoopback(a); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	s = &Server{
		log: opts.Logger, now: opts.Now, dir: opts.Dir, limiter: newFailureLimiter(),
		issuer: "https://" + FrontendAPIHost, wake: make(chan struct{}, 1), mail: map[string]string{},
		noClientTrust: opts.NoClientTrust, cookieWithin: opts.CookieExpiresWithin, apiKeys: opts.APIKeys,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if opts.ProxyURL != "" {
		s.issuer = strings.TrimRight(opts.ProxyURL, "/")
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.Production {
		s.production = true
		for _, raw := range opts.RedirectAllowlist {
			a, err := parseAllowedRedirect(raw)
			if err != nil {
				return nil, fmt.Errorf("emulator: redirect allowlist: %w", err)
			}
			s.allowlist = append(s.allowlist, a)
		}
	}
	s.now = offsetClock(s.now, opts.ClockOffset)
	s.multiSession = opts.MultiSession
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "deskclerk-emulator-"); err != nil {
			return s, fmt.Errorf("emulator: temp dir: %w", err)
		}
		s.tmpDir = true
	}
	if err = os.MkdirAll(s.dir, 0o700); err != nil {
		return s, fmt.Errorf("emulator: state dir: %w", err)
	}
	if s.store, err = openStore(filepath.Join(s.dir, DBFile)); err != nil {
		return s, fmt.Errorf("emulator: %w", err)
	}
	if s.keys, err = loadOrCreateKeys(s.store); err != nil {
		return s, fmt.Errorf("emulator: %w", err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return s, fmt.Errorf("emulator: listen %s: %w", opts.Addr, err)
	}
	s.frontendURL = "http://" + ln.Addr().String()
	if err = s.seed(); err != nil { // after Listen: seeded records carry URLs on this origin
		ln.Close()
		return s, fmt.Errorf("emulator: seed: %w", err)
	}
	fapi := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.fapi = fapi
	go func() {
		if err := fapi.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator: frontend API stopped", "err", err)
		}
	}()

	s.api, err = demoapi.Start(ctx, demoapi.Config{
		Addr: opts.APIAddr, Dir: s.dir, WebhookSecret: s.webhookSecret,
		Issuer: s.issuer, JWKSURL: s.JWKSURL(), AuthorizedParties: opts.AuthorizedParties,
		Logger: s.log, Now: s.now,
	})
	if err != nil {
		return s, fmt.Errorf("emulator: %w", err)
	}

	senderCtx, cancel := context.WithCancel(context.Background())
	s.stopSender, s.senderDone = cancel, make(chan struct{})
	go func() {
		defer close(s.senderDone)
		s.runSender(senderCtx, s.api.WebhookURL())
	}()
	s.wakeSender() // deliver anything left over from the last run

	emails := make([]string, 0, 2)
	for _, u := range s.DemoUsers() {
		emails = append(emails, u.Email)
	}
	s.log.Info("emulator: local Clerk emulator running",
		"frontend_api", s.frontendURL, "issuer", s.issuer, "demo_api", s.api.URL(), "dir", s.dir,
		"demo_users", strings.Join(emails, ","),
		"demo_credentials", "run `go run ./cmd/emulator -print-users -dir "+s.dir+"` (with the emulator stopped)")
	return s, nil
}

// shutdown lets requests in flight finish for a moment, then closes whatever
// is left (keep-alive connections a client opened but never used would
// otherwise hold Shutdown for seconds).
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: the emulator listens on loopback only", addr)
	}
	return nil
}

// Close stops both listeners and the webhook sender and closes the database;
// a temporary Dir is removed.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.fapi != nil {
			shutdown(s.fapi)
		}
		if s.stopSender != nil {
			s.stopSender()
			<-s.senderDone
		}
		if s.api != nil {
			if err := s.api.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.store != nil {
			if err := s.store.close(); err != nil {
				errs = append(errs, fmt.Errorf("close database: %w", err))
			}
		}
		if s.tmpDir {
			if err := os.RemoveAll(s.dir); err != nil {
				errs = append(errs, err)
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// FrontendAPIURL is the base ClerkJS (as proxyUrl) or a gateway talks to; the
// FAPI routes are under /v1/.
func (s *Server) FrontendAPIURL() string { return s.frontendURL }

// Issuer is the iss of every session token: https://clerk.deskclerk.localhost.
func (s *Server) Issuer() string { return s.issuer }

// JWKSURL is where the signing key is published (served over http on loopback).
func (s *Server) JWKSURL() string { return s.frontendURL + "/.well-known/jwks.json" }

// PublishableKey is the key naming the emulator's Frontend API host: pk_live_ in
// production mode, pk_test_ otherwise.
func (s *Server) PublishableKey() string {
	return instance.PublishableKeyFor(FrontendAPIHost, s.production)
}

// Production reports whether the emulator runs as a production instance.
func (s *Server) Production() bool { return s.production }

// FrontendAPIHost is the instance's Frontend API host name (FrontendAPIHost).
func (s *Server) FrontendAPIHost() string { return FrontendAPIHost }

// APIURL is the demo protected API's base URL.
func (s *Server) APIURL() string { return s.api.URL() }

// Dir is the state directory.
func (s *Server) Dir() string { return s.dir }

// PublicKeyPEM is the signing key in the PEM form Clerk's dashboard shows as
// "JWKS Public Key" (CLERK_JWT_KEY), for networkless verification.
func (s *Server) PublicKeyPEM() string {
	p, err := s.keys.publicKeyPEM()
	if err != nil {
		s.log.Error("emulator: encode public key", "err", err)
	}
	return p
}

// DemoUsers lists the seeded accounts that still exist, with their passwords.
func (s *Server) DemoUsers() []DemoUser {
	var out []DemoUser
	err := s.store.view(func(t *txn) error {
		var err error
		out, err = demoUsers(t, true)
		return err
	})
	if err != nil {
		s.log.Error("emulator: read demo users", "err", err)
	}
	return out
}

// ReadDemoUsers reads the seeded accounts from the database in dir without
// starting the emulator (for `emulator -print-users`). It fails while an
// emulator holds the database open.
func ReadDemoUsers(dir string) ([]DemoUser, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("emulator: no database in %s (start the emulator once to create the demo users): %w", dir, err)
	}
	st, err := openStore(path)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	defer st.close()
	var out []DemoUser
	err = st.view(func(t *txn) error {
		var err error
		out, err = demoUsers(t, true)
		return err
	})
	return out, err
}

// LastEmailCode returns the last verification code "emailed" to address (a
// test hook; the same codes are written to the log).
func (s *Server) LastEmailCode(address string) (string, bool) {
	s.mailMu.Lock()
	defer s.mailMu.Unlock()
	code, ok := s.mail[strings.ToLower(address)]
	return code, ok
}

// sendEmailCode is the emulator's mail delivery: the log is the mailbox.
func (s *Server) sendEmailCode(address, code string) {
	s.mailMu.Lock()
	s.mail[strings.ToLower(address)] = code
	s.dropInMailbox(address, code)
	s.mailMu.Unlock()
	if isTestAddress(address) {
		s.log.Info("emulator: email not sent to a +clerk_test address; use the test code 424242", "to", address)
		return
	}
	// The code is in the message, not an attribute: a redacting handler would
	// (rightly) hide an attribute named "verification_code", and this log line is the mailbox.
	s.log.Info(fmt.Sprintf("emulator: email to %s: your verification code is %s", address, code), "to", address)
}

func demoUsers(t *txn, onlyExisting bool) ([]DemoUser, error) {
	raw := t.meta("demo_users")
	if raw == nil {
		return nil, nil
	}
	var all []DemoUser
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("decode demo users: %w", err)
	}
	if !onlyExisting {
		return all, nil
	}
	out := all[:0]
	for _, d := range all {
		if u, err := t.userByEmail(d.Email); err != nil {
			return nil, err
		} else if u != nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// routes is the Frontend API's HTTP surface.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f handlerFunc) { mux.Handle(pattern, s.serve(f)) }
	r := func(pattern string, f txnHandler) { h(pattern, reading(f)) } // read-only routes
	w := func(pattern string, f txnHandler) { h(pattern, writing(f)) } // routes that change state
	h("GET /v1/environment", s.getEnvironment)
	h("PATCH /v1/environment", s.getEnvironment) // standard-browser dev instances PATCH it
	w("GET /v1/client", s.getClient)             // writes: sessions past their expiry are marked
	w("POST /v1/client", s.createClient)
	w("PUT /v1/client", s.createClient)
	w("DELETE /v1/client", s.endAllSessions(true))
	w("POST /v1/client/sign_ins", s.createSignIn)
	w("GET /v1/client/sign_ins/{id}", s.getSignIn) // writes: redeems rotating_token_nonce
	w("POST /v1/client/sign_ins/{id}/prepare_first_factor", s.prepareFirstFactor)
	w("POST /v1/client/sign_ins/{id}/attempt_first_factor", s.attemptFirstFactor)
	w("POST /v1/client/sign_ins/{id}/prepare_second_factor", s.prepareSecondFactor)
	w("POST /v1/client/sign_ins/{id}/attempt_second_factor", s.attemptSecondFactor)
	w("POST /v1/client/sign_ups", s.createSignUp)
	w("GET /v1/client/sign_ups/{id}", s.getSignUp) // writes: redeems rotating_token_nonce
	w("PATCH /v1/client/sign_ups/{id}", s.updateSignUp)
	w("POST /v1/client/sign_ups/{id}/prepare_verification", s.prepareVerification)
	w("POST /v1/client/sign_ups/{id}/attempt_verification", s.attemptVerification)
	w("DELETE /v1/client/sessions", s.endAllSessions(false))
	r("GET /v1/client/sessions/{id}", s.getSession)
	w("POST /v1/client/sessions/{id}/touch", s.touchSession)
	r("POST /v1/client/sessions/{id}/tokens", s.createToken)
	h("POST /v1/client/sessions/{id}/tokens/{template}", s.createTemplateToken)
	w("POST /v1/client/sessions/{id}/end", s.endSession("ended"))
	w("POST /v1/client/sessions/{id}/remove", s.endSession("removed"))
	r("GET /v1/me", s.getMe)
	w("PATCH /v1/me", s.updateMe)
	w("DELETE /v1/me", s.deleteMe)
	r("GET /v1/me/sessions/active", s.activeSessions)
	w("POST /v1/me/sessions/{id}/revoke", s.revokeSession)
	h("POST /v1/me/email_addresses", s.createEmailAddress)
	h("GET /v1/me/email_addresses/{id}", s.getEmailAddress)
	h("DELETE /v1/me/email_addresses/{id}", s.deleteEmailAddress)
	h("POST /v1/me/email_addresses/{id}/prepare_verification", s.prepareEmailVerification)
	h("POST /v1/me/email_addresses/{id}/attempt_verification", s.attemptEmailVerification)
	h("POST /v1/me/change_password", s.changePassword)
	h("POST /v1/me/profile_image", s.uploadProfileImage)
	h("DELETE /v1/me/profile_image", s.deleteProfileImage)
	h("POST /v1/me/external_accounts", s.createExternalAccount)
	h("DELETE /v1/me/external_accounts/{id}", s.deleteExternalAccount)
	mux.HandleFunc("GET /.well-known/jwks.json", s.getJWKS)
	mux.HandleFunc("GET /v1/jwks", s.getJWKS)
	mux.HandleFunc("GET /v1/client/touch", s.touchClient)
	mux.HandleFunc("GET /v1/oauth_callback", s.oauthCallback)
	mux.HandleFunc("POST /v1/oauth_callback", s.oauthCallback)
	mux.HandleFunc("GET /oauth/{provider}/authorize", s.consentGet)
	mux.HandleFunc("POST /oauth/{provider}/authorize", s.consentPost)
	mux.HandleFunc("GET /emulator/avatar.svg", avatar)
	mux.HandleFunc("GET /emulator/images/{id}", s.serveImage)
	h("/", func(*call) (any, error) { return nil, errRouteNotFound() })
	return withDate(s.now, withCORS(withMethodOverride(withoutTrailingSlash(mux))))
}

func (s *Server) getEnvironment(*call) (any, error) { return s.environmentJSON(), nil }

func (s *Server) getJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, s.keys.jwks())
}

// seed creates, on first start, the webhook secret, the demo organization and
// the demo users (with fresh random passwords), announcing each user with a
// user.created webhook.
func (s *Server) seed() error {
	c := &call{s: s, now: s.now()}
	return s.store.update(func(t *txn) error {
		if secret := t.meta("webhook_secret"); secret != nil {
			s.webhookSecret = string(secret)
			return s.reannounceImages(c, t)
		}
		if err := t.setMeta("image_origin", []byte(s.frontendURL)); err != nil {
			return err
		}
		secret, err := newWebhookSecret()
		if err != nil {
			return err
		}
		if err := t.setMeta("webhook_secret", []byte(secret)); err != nil {
			return err
		}
		s.webhookSecret = secret
		now := c.nowMS()
		org := orgRecord{ID: newID("org"), Name: "Analytical Engines", Slug: "analytical-engines", CreatedAt: now, UpdatedAt: now}
		if err := t.putJSON(bucketOrgs, org.ID, org); err != nil {
			return err
		}
		seeds := []struct {
			email, first, last, role string
		}{
			{"ada@example.com", "Ada", "Lovelace", "admin"},
			{"grace@example.com", "Grace", "Hopper", "member"},
		}
		var demo []DemoUser
		for _, sd := range seeds {
			password := newDemoPassword()
			hash, err := hashPassword(password)
			if err != nil {
				return err
			}
			email := emailRecord{ID: newID("idn"), Address: sd.email, Verified: true, Strategy: "admin", CreatedAt: now, UpdatedAt: now}
			u := &userRecord{
				ID: newID("user"), FirstName: sd.first, LastName: sd.last, PasswordHash: hash, PasswordUpdatedAt: now,
				Emails: []emailRecord{email}, PrimaryEmailID: email.ID,
				Memberships: []membershipRecord{{ID: newID("orgmem"), OrgID: org.ID, Role: sd.role, CreatedAt: now}},
				CreatedAt:   now, UpdatedAt: now,
			}
			if err := t.saveUser(u); err != nil {
				return err
			}
			if err := s.emitUserEvent(c, t, "user.created", u); err != nil {
				return err
			}
			demo = append(demo, DemoUser{Email: sd.email, Password: password, FirstName: sd.first, LastName: sd.last})
		}
		raw, err := json.Marshal(demo)
		if err != nil {
			return err
		}
		return t.setMeta("demo_users", raw)
	})
}

// reannounceImages tells the demo API (user.updated) about every user when this
// start serves images from another origin than the last one: the emulator's port
// changes between runs, so the image_url the API copied would point at a port
// nobody listens on. (Clerk's image URLs are stable; this is the stand-in's own
// problem, so the fix lives here too.)
func (s *Server) reannounceImages(c *call, t *txn) error {
	if string(t.meta("image_origin")) == s.frontendURL {
		return nil
	}
	users, err := t.allUsers()
	if err != nil {
		return err
	}
	for _, u := range users {
		u.UpdatedAt = c.nowMS() // the user's image_url did change
		if err := t.saveUser(u); err != nil {
			return err
		}
		if err := s.emitUserEvent(c, t, "user.updated", u); err != nil {
			return err
		}
	}
	return t.setMeta("image_origin", []byte(s.frontendURL))
}

var _ io.Closer = (*Server)(nil)
