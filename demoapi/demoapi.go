// Package demoapi is the "remote protected API" the app calls by default: a
// small JSON API behind deskclerk/auth/verify's middleware, shaped like the
// protected routes in Clerk's guides, with its own database of users kept in
// step by Svix-signed Clerk webhooks (as in the Clerk + Express + MongoDB guide).
//
//	GET  /api/me              the caller from the token, and the API's record of them
//	GET  /api/favorite-color  {"color": …, "hex": …, "updated_at": …} (color null if never set)
//	PUT  /api/favorite-color  body {"color": "#rrggbb" | "<CSS colour name>"}
//	POST /webhooks/clerk      user.created, user.updated, user.deleted (svix-signed)
//
// Errors are {"error":{"code","message"}}, the same shape the verifier's
// middleware uses for 401s.
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
	Addr          string // listener, default "127.0.0.1:0"
	Dir           string // directory of demoapi.db (required)
	WebhookSecret string // whsec_… shared with the webhook sender (required)
	// Issuer and JWKSURL identify the Clerk instance whose session tokens the API accepts.
	Issuer  string
	JWKSURL string
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
	store    *store
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
	if cfg.Dir == "" {
		return nil, errors.New("demoapi: Config.Dir is required")
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
	st, err := openStore(filepath.Join(cfg.Dir, DBFile))
	if err != nil {
		return nil, fmt.Errorf("demoapi: %w", err)
	}
	s.store = st
	// The verifier refreshes keys in the background for the server's lifetime, not start-up's.
	life, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.verifier, err = verify.New(life, verify.Config{
		Issuer: cfg.Issuer, JWKSURL: cfg.JWKSURL, Now: cfg.Now, Logger: s.log,
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

// Close stops the server and closes its database. It may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.srv != nil {
			// Let requests in flight finish for a moment, then close what is left
			// (an unused keep-alive connection would otherwise hold Shutdown for seconds).
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := s.srv.Shutdown(ctx); err != nil {
				s.srv.Close()
			}
		}
		if s.verifier != nil {
			s.verifier.Close()
		}
		if s.stop != nil {
			s.stop()
		}
		if s.store != nil {
			if err := s.store.db.Close(); err != nil {
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
	for path, allow := range map[string]string{"/api/me": "GET", "/api/favorite-color": "GET, PUT", WebhookPath: "POST"} {
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
	u, err := s.store.user(c.UserID)
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
	fc, err := s.store.color(c.UserID)
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
	u, err := s.store.user(c.UserID)
	if err != nil {
		s.internal(w, "read user", err)
		return
	}
	if u == nil {
		writeError(w, http.StatusConflict, "user_unknown",
			"this API has no record of the user yet (the user.created webhook has not arrived); try again shortly")
		return
	}
	fc := FavoriteColor{Color: color, Hex: hex, UpdatedAt: s.now().UnixMilli()}
	if err := s.store.setColor(c.UserID, fc); err != nil {
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

// apply changes the store as ev says; on failure it has answered w and reports false.
func (s *Server) apply(w http.ResponseWriter, ev clerkEvent) bool {
	switch ev.Type {
	case "user.created", "user.updated":
		u := &User{ID: ev.Data.ID, FirstName: ev.Data.FirstName, LastName: ev.Data.LastName, ImageURL: ev.Data.ImageURL,
			CreatedAt: ev.Data.CreatedAt, UpdatedAt: ev.Data.UpdatedAt}
		for _, e := range ev.Data.EmailAddresses {
			if e.ID == ev.Data.PrimaryEmailAddressID || u.Email == "" {
				u.Email = e.EmailAddress
			}
		}
		if _, err := s.store.upsertUser(u); err != nil {
			s.internal(w, "store user", err)
			return false
		}
	case "user.deleted":
		if err := s.store.deleteUser(ev.Data.ID); err != nil {
			s.internal(w, "delete user", err)
			return false
		}
	default:
		s.log.Debug("demoapi: webhook ignored", "type", ev.Type)
	}
	return true
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
	id := r.Header.Get("svix-id")
	dup, err := s.store.seen(id, s.now(), 2*s.cfg.WebhookTolerance)
	if err != nil {
		s.internal(w, "record webhook id", err)
		return
	}
	if dup {
		// Acknowledged, so the sender stops retrying, but not applied again: a
		// replayed user.created must not bring back a user deleted since.
		s.log.Info("demoapi: webhook already applied; ignored", "svix_id", id, "type", ev.Type)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true, "duplicate": true})
		return
	}
	if !s.apply(w, ev) {
		if err := s.store.unsee(id); err != nil {
			s.log.Warn("demoapi: could not forget a failed webhook id; its retry will be ignored", "svix_id", id, "err", err)
		}
		return
	}
	s.log.Debug("demoapi: webhook applied", "type", ev.Type, "user", ev.Data.ID)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
