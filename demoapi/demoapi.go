// Package demoapi is the "remote protected API" the app calls by default: a
// small JSON API behind deskclerk/auth/verify's middleware, shaped like the
// protected routes in Clerk's guides, with its own database of users kept in
// step by Svix-signed Clerk webhooks (as in the Clerk + Express + MongoDB guide).
//
//	GET  /api/me              the caller from the token, and the API's record of them
//	GET  /api/favorite-color  {"color": …, "hex": …, "updated_at": …} (color null if never set)
//	PUT  /api/favorite-color  body {"color": "#rrggbb" | "<CSS colour name>"}
//	POST /webhooks/clerk      user.created, user.updated, user.deleted (svix-signed);
//	                          200 {"ok":true,"outcome":"applied"|"stale"|"ignored"|"duplicate"}
//	GET  /healthz             200 {"ok":true} while the store answers, else 503
//
// Errors are {"error":{"code","message"}}, the same shape the verifier's
// middleware uses for 401s. The data lives in a Store: bbolt by default
// (OpenBolt), PostgreSQL for several replicas (deskclerk/demoapi/pgstore).
package demoapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"deskclerk/auth/verify"
)

// WebhookPath is where the API receives Clerk webhooks.
const WebhookPath = "/webhooks/clerk"

// wailsOrigins are the webview origins of the desktop app (Linux/macOS, Windows).
var wailsOrigins = []string{"wails://wails", "http://wails.localhost"}

const (
	maxColorBody   = 4 << 10
	maxWebhookBody = 1 << 20
)

// Config configures Start.
type Config struct {
	Addr string // listener, default "127.0.0.1:0"
	// Store is where the API keeps its data; the caller closes it after the
	// server. If nil, Start opens the bbolt file DBFile in Dir and closes it on Close.
	Store         Store
	Dir           string // directory of demoapi.db (required without Store)
	WebhookSecret string // whsec_… shared with the webhook sender (required)
	// Issuer and JWKSURL identify the Clerk instance whose session tokens the
	// API accepts; JWTKeyPEM (the instance's public key) may replace JWKSURL.
	Issuer    string
	JWKSURL   string
	JWTKeyPEM []byte
	// AuthorizedParties are accepted azp values besides the Wails webview
	// origins; tokens without azp (native clients) are accepted.
	AuthorizedParties []string
	// WebhookTolerance bounds svix-timestamp skew (default DefaultWebhookTolerance).
	WebhookTolerance time.Duration
	Logger           *slog.Logger
	Now              func() time.Time
}

// Server is a running demo API.
type Server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	store    Store
	ownStore bool
	verifier *verify.Verifier
	stop     context.CancelFunc
	srv      *http.Server
	url      string

	closeOnce sync.Once
	closeErr  error
}

// Start opens the API's database and serves it on cfg.Addr. ctx bounds
// start-up only; Close stops the server.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Dir == "" && cfg.Store == nil {
		return nil, errors.New("demoapi: Config.Dir or Config.Store is required")
	}
	if _, err := webhookKey(cfg.WebhookSecret); err != nil {
		return nil, fmt.Errorf("demoapi: %w", err)
	}
	if cfg.WebhookTolerance <= 0 {
		cfg.WebhookTolerance = DefaultWebhookTolerance
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.store = cfg.Store
	if s.store == nil {
		st, err := OpenBolt(filepath.Join(cfg.Dir, DBFile))
		if err != nil {
			return nil, fmt.Errorf("demoapi: %w", err)
		}
		s.store, s.ownStore = st, true
	}
	var err error
	// The verifier refreshes keys in the background for the server's lifetime, not start-up's.
	life, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.verifier, err = verify.New(life, verify.Config{
		Issuer: cfg.Issuer, JWKSURL: cfg.JWKSURL, PEM: cfg.JWTKeyPEM, Now: cfg.Now, Logger: s.log,
		AuthorizedParties: append(append([]string{}, wailsOrigins...), cfg.AuthorizedParties...),
		AZP:               verify.AZPOptional,
	})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("demoapi: %w", err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("demoapi: listen %s: %w", cfg.Addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("demoapi: server stopped", "err", err)
		}
	}()
	return s, nil
}

// URL is the API's base URL, e.g. http://127.0.0.1:41235.
func (s *Server) URL() string { return s.url }

// WebhookURL is where Clerk (the emulator) delivers webhooks.
func (s *Server) WebhookURL() string { return s.url + WebhookPath }

// Close stops the server within a second (see Shutdown).
func (s *Server) Close() error {
	// An unused keep-alive connection would otherwise hold Shutdown for seconds.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown stops accepting connections, lets requests in flight finish until
// ctx ends (then closes what is left), and closes the database Start opened.
// It may be called more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.srv != nil {
			if err := s.srv.Shutdown(ctx); err != nil {
				s.log.Warn("demoapi: closing connections still open at shutdown", "err", err)
				s.srv.Close()
			}
		}
		if s.verifier != nil {
			s.verifier.Close()
		}
		if s.stop != nil {
			s.stop()
		}
		if s.ownStore {
			if err := s.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("demoapi: close database: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Handler is the API's routes (Start serves it; tests may mount it directly).
func (s *Server) Handler() http.Handler {
	protect := verify.Middleware(s.verifier, verify.WithLogger(s.log))
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", protect(http.HandlerFunc(s.me)))
	mux.Handle("GET /api/favorite-color", protect(http.HandlerFunc(s.getColor)))
	mux.Handle("PUT /api/favorite-color", protect(http.HandlerFunc(s.putColor)))
	mux.HandleFunc("POST "+WebhookPath, s.webhook)
	mux.HandleFunc("GET /healthz", s.healthz)
	for path, allow := range map[string]string{"/api/me": "GET", "/api/favorite-color": "GET, PUT", WebhookPath: "POST", "/healthz": "GET"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+allow)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	})
	return cors(mux)
}

// cors lets a web page call the API with a bearer token, like a real remote API.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, PUT, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// healthz is for load balancers and orchestrators: the process serves and its
// store answers within two seconds.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("demoapi: health check failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the store is not answering")
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// SessionInfo is what GET /api/me reports from the verified token.
type SessionInfo struct {
	UserID          string    `json:"user_id"`
	SessionID       string    `json:"session_id"`
	OrgID           string    `json:"org_id,omitempty"`
	OrgSlug         string    `json:"org_slug,omitempty"`
	OrgRole         string    `json:"org_role,omitempty"`
	AuthorizedParty string    `json:"azp,omitempty"`
	ExpiresAt       time.Time `json:"expires_at"`
}

// MeResponse is the body of GET /api/me. User is null until the user.created
// webhook has reached the API.
type MeResponse struct {
	Session SessionInfo `json:"session"`
	User    *User       `json:"user"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.ClaimsFromContext(r.Context())
	u, err := s.store.User(r.Context(), c.UserID)
	if err != nil {
		s.internal(w, "read user", err)
		return
	}
	writeJSON(w, http.StatusOK, MeResponse{
		Session: SessionInfo{UserID: c.UserID, SessionID: c.SessionID, OrgID: c.OrgID, OrgSlug: c.OrgSlug,
			OrgRole: c.OrgRole, AuthorizedParty: c.AuthorizedParty, ExpiresAt: c.Expiry},
		User: u,
	})
}

// ColorResponse is the body of GET and PUT /api/favorite-color.
type ColorResponse struct {
	Color     *string `json:"color"`
	Hex       *string `json:"hex"`
	UpdatedAt *int64  `json:"updated_at"`
}

func colorResponse(c *FavoriteColor) ColorResponse {
	if c == nil {
		return ColorResponse{}
	}
	return ColorResponse{Color: &c.Color, Hex: &c.Hex, UpdatedAt: &c.UpdatedAt}
}

func (s *Server) getColor(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.ClaimsFromContext(r.Context())
	fc, err := s.store.Color(r.Context(), c.UserID)
	if err != nil {
		s.internal(w, "read color", err)
		return
	}
	writeJSON(w, http.StatusOK, colorResponse(fc))
}

func (s *Server) putColor(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.ClaimsFromContext(r.Context())
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxColorBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body must be at most %d bytes", maxColorBody))
		return
	}
	var body struct {
		Color *string `json:"color"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_body", `the body must be a JSON object {"color": "#rrggbb" or a CSS colour name}`)
		return
	}
	if body.Color == nil {
		writeError(w, http.StatusBadRequest, "invalid_body", `the body must have a "color" field`)
		return
	}
	color, hex, err := NormalizeColor(*body.Color)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_color", err.Error())
		return
	}
	fc := FavoriteColor{Color: color, Hex: hex, UpdatedAt: s.now().UnixMilli()}
	if err := s.store.SetColor(r.Context(), c.UserID, fc); errors.Is(err, ErrUserUnknown) {
		writeError(w, http.StatusConflict, "user_unknown",
			"this API has no record of the user yet (the user.created webhook has not arrived); try again shortly")
		return
	} else if err != nil {
		s.internal(w, "save color", err)
		return
	}
	writeJSON(w, http.StatusOK, colorResponse(&fc))
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.log.Error("demoapi: "+what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}

// clerkEvent is the part of a Clerk webhook the API reads.
type clerkEvent struct {
	Type string `json:"type"`
	Data struct {
		ID                    string `json:"id"`
		FirstName             string `json:"first_name"`
		LastName              string `json:"last_name"`
		ImageURL              string `json:"image_url"`
		PrimaryEmailAddressID string `json:"primary_email_address_id"`
		EmailAddresses        []struct {
			ID           string `json:"id"`
			EmailAddress string `json:"email_address"`
		} `json:"email_addresses"`
		CreatedAt int64 `json:"created_at"`
		UpdatedAt int64 `json:"updated_at"`
	} `json:"data"`
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "webhook body too large")
		return
	}
	if err := VerifyWebhook(s.cfg.WebhookSecret, r.Header, body, s.now(), s.cfg.WebhookTolerance); err != nil {
		s.log.Warn("demoapi: webhook refused", "reason", err.Error(), "svix_id", r.Header.Get("svix-id"), "remote", r.RemoteAddr)
		writeError(w, http.StatusBadRequest, "invalid_signature", "webhook refused: "+err.Error())
		return
	}
	var ev clerkEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Data.ID == "" {
		writeError(w, http.StatusBadRequest, "invalid_body", "webhook body is not a Clerk event")
		return
	}
	var ch UserChange
	switch ev.Type {
	case "user.created", "user.updated":
		u := &User{ID: ev.Data.ID, FirstName: ev.Data.FirstName, LastName: ev.Data.LastName, ImageURL: ev.Data.ImageURL,
			CreatedAt: ev.Data.CreatedAt, UpdatedAt: ev.Data.UpdatedAt}
		for _, e := range ev.Data.EmailAddresses {
			if e.ID == ev.Data.PrimaryEmailAddressID || u.Email == "" {
				u.Email = e.EmailAddress
			}
		}
		ch.Upsert = u
	case "user.deleted":
		ch.Delete = ev.Data.ID
	}
	// The svix-id is recorded in the same transaction as the change: a
	// redelivery, to this replica or another, is acknowledged and changes nothing.
	out, err := s.store.ApplyWebhook(r.Context(), r.Header.Get("svix-id"), ch)
	if err != nil {
		s.internal(w, "apply webhook", err)
		return
	}
	s.log.Debug("demoapi: webhook", "type", ev.Type, "user", ev.Data.ID, "svix_id", r.Header.Get("svix-id"), "outcome", string(out))
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "outcome": out})
}
