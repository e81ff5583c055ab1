package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds request bodies; ClerkJS sends small urlencoded forms,
// except for a profile image (multipart), bounded by maxProfileImageBytes.
const maxBodyBytes = 64 << 10

// multipartFileField is where readForm puts a multipart body's file (its bytes;
// its file name under multipartFileField+".name").
const multipartFileField = "file"

// call is one FAPI request being served.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	query   url.Values
	form    url.Values // request body parameters
	formErr error      // body could not be parsed
	origin  string
	token   string // client token as sent (Authorization), "" if none
	now     time.Time
	traceID string

	newToken string // client token to return in the Authorization header
}

type bodyKey struct{}

type parsedBody struct {
	form url.Values
	err  error
}

// withMethodOverride reads the body once and applies `_method` (query first,
// then body) before routing: ClerkJS only sends GET and POST on the wire.
func withMethodOverride(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pb := parsedBody{form: url.Values{}}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			pb.form, pb.err = readForm(w, r)
		}
		if r.Method == http.MethodPost {
			m := r.URL.Query().Get("_method")
			if m == "" && pb.err == nil {
				m = pb.form.Get("_method")
			}
			switch m = strings.ToUpper(m); m {
			case http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete:
				r.Method = m
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, pb)))
	})
}

// readForm parses an urlencoded (ClerkJS) or JSON (other SDKs) body.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	limit := int64(maxBodyBytes)
	if r.URL.Path == "/v1/me/profile_image" {
		limit = maxProfileImageBytes + 64<<10
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return url.Values{}, fmt.Errorf("body larger than %d bytes", limit)
		}
		return url.Values{}, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return url.Values{}, nil
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data": // <UserProfile/>'s avatar upload (a File)
		return readMultipart(raw, params["boundary"])
	case "application/octet-stream": // ClerkJS's setProfileImage with a string: base64, maybe a data URL
		text := string(bytes.TrimSpace(raw))
		if i := strings.Index(text, ";base64,"); strings.HasPrefix(text, "data:") && i > 0 {
			text = text[i+len(";base64,"):]
		}
		data, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return url.Values{}, errors.New("invalid base64 image")
		}
		return url.Values{multipartFileField: {string(data)}}, nil
	case "", "application/x-www-form-urlencoded", "text/plain":
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return url.Values{}, errors.New("invalid urlencoded form")
		}
		return v, nil
	case "application/json":
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return url.Values{}, errors.New("invalid JSON object")
		}
		v := url.Values{}
		for k, val := range m {
			switch x := val.(type) {
			case nil:
			case string:
				v.Set(k, x)
			case bool:
				v.Set(k, strconv.FormatBool(x))
			case json.Number:
				v.Set(k, x.String())
			default: // objects such as unsafe_metadata travel as JSON text, as in forms
				b, _ := json.Marshal(x)
				v.Set(k, string(b))
			}
		}
		return v, nil
	default:
		return url.Values{}, fmt.Errorf("unsupported content type %q", ct)
	}
}

// readMultipart flattens a multipart form: fields as values, the one file's
// bytes under multipartFileField.
func readMultipart(raw []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return url.Values{}, errors.New("multipart body without a boundary")
	}
	v := url.Values{}
	mr := multipart.NewReader(bytes.NewReader(raw), boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return v, nil
		}
		if err != nil {
			return url.Values{}, errors.New("invalid multipart body")
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return url.Values{}, errors.New("invalid multipart body")
		}
		if part.FileName() != "" {
			v.Set(multipartFileField, string(data))
			v.Set(multipartFileField+".name", part.FileName())
			continue
		}
		v.Set(part.FormName(), string(data))
	}
}

// withoutTrailingSlash routes "/v1/me/email_addresses/" as "/v1/me/email_addresses":
// ClerkJS builds a new resource's path with a trailing slash (BaseResource
// pathRoot + "/"), and Clerk's Frontend API accepts both.
func withoutTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") && strings.HasPrefix(p, "/v1/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimSuffix(p, "/")
			r2.URL.RawPath = ""
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// withCORS lets a webview (or any page) call the emulator with the client
// token in Authorization and read the rotated token from the response.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if origin := r.Header.Get("Origin"); origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "Authorization, Retry-After, X-Clerk-Trace-Id")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
				allowed := "Authorization, Content-Type"
				if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
					allowed = req
				}
				h.Set("Access-Control-Allow-Headers", allowed)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

type handlerFunc func(c *call) (any, error)

// serve adapts a FAPI handler: it builds the call, runs the handler and writes
// the JSON body or Clerk's error envelope.
func (s *Server) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		pb, _ := r.Context().Value(bodyKey{}).(parsedBody)
		if pb.form == nil {
			pb.form = url.Values{}
		}
		c := &call{
			s: s, w: w, r: r, query: r.URL.Query(), form: pb.form, formErr: pb.err,
			origin: r.Header.Get("Origin"), token: strings.TrimSpace(r.Header.Get("Authorization")),
			now: s.now(), traceID: randomString(32, "0123456789abcdef"),
		}
		status := http.StatusOK
		var body any
		var err error
		if c.formErr != nil {
			err = errMalformedBody(c.formErr.Error())
		} else {
			body, err = h(c)
		}
		var ae *apiError
		if err != nil && !errors.As(err, &ae) {
			s.log.Error("emulator: request failed", "method", r.Method, "path", r.URL.Path, "err", err, "trace_id", c.traceID)
			ae = errInternal()
		}
		hdr := w.Header()
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("X-Clerk-Trace-Id", c.traceID)
		if c.newToken != "" {
			hdr.Set("Authorization", c.newToken)
		}
		if ae != nil {
			status = ae.status
			if ae.retryAfter > 0 {
				hdr.Set("Retry-After", strconv.Itoa(int(ae.retryAfter/time.Second)))
			}
			body = object{"errors": ae.errs, "clerk_trace_id": c.traceID}
		}
		writeJSON(w, status, body)
		s.log.Debug("emulator: fapi", "method", r.Method, "path", r.URL.Path, "status", status, "dur", time.Since(start).Round(time.Microsecond))
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	raw, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		raw = []byte(`{"errors":[{"code":"internal_clerk_error","message":"encode response","long_message":"The response could not be encoded.","meta":{}}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// param returns a body parameter, falling back to the query string.
func (c *call) param(name string) string {
	if v, ok := c.form[name]; ok && len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return strings.TrimSpace(c.query.Get(name))
}

// has reports whether a parameter was sent at all (even empty: `organization_id=`).
func (c *call) has(name string) bool {
	_, inForm := c.form[name]
	_, inQuery := c.query[name]
	return inForm || inQuery
}

func (c *call) required(name string) (string, error) {
	v := c.param(name)
	if v == "" {
		return "", errParamMissing(name)
	}
	return v, nil
}

func (c *call) boolParam(name string) bool {
	b, _ := strconv.ParseBool(c.param(name))
	return b
}

func (c *call) nowMS() int64 { return c.now.UnixMilli() }

func (c *call) render(t *txn) *render {
	return &render{s: c.s, t: t, origin: c.origin, now: c.now}
}

// loadClient returns the client the request's token names, or nil when there is
// no token or it is dead: bad signature, unknown or deleted client, or a
// rotating token that has since been replaced.
//
// A replaced token is dead at once, with no grace period, as in Clerk: the
// rotating_token is the anti-session-fixation token that "rotates on each
// sign-in" (clerk-docs docs/guides/how-clerk-works/overview.mdx), so a token
// from before a sign-in must not reach the signed-in client. Clerk's error
// catalogue (clerk-docs data/api_errors.json, generated from Clerk's API source)
// lists the mismatch, InvalidRotatingToken/cookie_invalid, as a Backend API
// error only: the Frontend API answers such a token as it answers no token at
// all. So GET /v1/client is 200 {"response": null}, routes that need a client
// are 401 signed_out (SignedOut, FAPI), and a sign-in or sign-up starts a new
// client. No SDK (clerk-js, clerk-expo, clerk-ios, clerk-android) has a way to
// recover a replaced token, and none expects one.
func (c *call) loadClient(t *txn) (*clientRecord, error) {
	if c.token == "" {
		return nil, nil
	}
	claims, err := c.s.keys.parseClientToken(c.token)
	if err != nil {
		return nil, nil
	}
	cl, err := t.client(claims.ClientID)
	if err != nil || cl == nil {
		return nil, err
	}
	if claims.RotatingToken != cl.RotatingToken {
		return nil, nil
	}
	expireSessions(cl, c.nowMS())
	return cl, nil
}

// requireClient is loadClient for routes that act on an existing client: a
// missing or dead token is a 401, which ClerkJS answers by reloading the client.
func (c *call) requireClient(t *txn) (*clientRecord, error) {
	cl, err := c.loadClient(t)
	if err != nil {
		return nil, err
	}
	if cl == nil {
		return nil, errSignedOut()
	}
	return cl, nil
}

// ensureClient is loadClient for routes that may start a client (the first
// sign-in or sign-up on a device): a new client's token goes back in Authorization.
func (c *call) ensureClient(t *txn) (*clientRecord, error) {
	cl, err := c.loadClient(t)
	if err != nil || cl != nil {
		return cl, err
	}
	now := c.nowMS()
	cl = &clientRecord{ID: newID("client"), RotatingToken: randomString(20, base62), Sessions: []sessionRecord{}, CreatedAt: now, UpdatedAt: now}
	if err := c.issueToken(cl); err != nil {
		return nil, err
	}
	return cl, nil
}

// attemptClient is ensureClient for starting a sign-in or sign-up, which a
// single-session instance refuses while a session is live on the client.
func (c *call) attemptClient(t *txn) (*clientRecord, error) {
	cl, err := c.ensureClient(t)
	if err != nil {
		return nil, err
	}
	if err := c.s.sessionAllowed(cl, ""); err != nil {
		return nil, err
	}
	return cl, nil
}

func (c *call) issueToken(cl *clientRecord) error {
	tok, err := c.s.keys.mintClientToken(cl, c.now)
	if err != nil {
		return err
	}
	c.newToken = tok
	return nil
}

// rotate replaces the client's rotating token and returns the new client token
// in Authorization. Clerk rotates on sign-in only ("When a user signs in, Clerk
// either creates a new client token or rotates the existing token's
// rotating_token value", how-clerk-works/overview.mdx), not on every request:
// between sign-ins the same token keeps working for as long as the client lives.
func (c *call) rotate(cl *clientRecord) error {
	cl.RotatingToken = randomString(20, base62)
	return c.issueToken(cl)
}

// envelope renders Clerk's {response, client} wrapper.
func (c *call) envelope(t *txn, response any, cl *clientRecord) (object, error) {
	cj, err := c.render(t).client(cl)
	if err != nil {
		return nil, err
	}
	var client any
	if cj != nil {
		client = cj
	}
	return object{"response": response, "client": client}, nil
}

// clientResponse renders the routes about the client itself: {response: client, client: null}.
func (c *call) clientResponse(t *txn, cl *clientRecord) (any, error) {
	cj, err := c.render(t).client(cl)
	if err != nil {
		return nil, err
	}
	var resp any
	if cj != nil {
		resp = cj
	}
	return object{"response": resp, "client": nil}, nil
}

// committedError marks a handler error whose state changes must still be
// saved (a failed attempt counts even though the request fails).
type committedError struct{ err error }

func (e *committedError) Error() string { return e.err.Error() }
func (e *committedError) Unwrap() error { return e.err }

func keepChanges(err error) error { return &committedError{err: err} }

// mutate runs fn in a write transaction. A plain error rolls back (and drops
// any client token minted for the discarded changes); an error wrapped with
// keepChanges commits and is then returned.
func (c *call) mutate(fn func(t *txn) error) error {
	var kept error
	err := c.s.store.update(func(t *txn) error {
		err := fn(t)
		var ce *committedError
		if errors.As(err, &ce) {
			kept = ce.err
			return nil
		}
		return err
	})
	if err != nil {
		c.newToken = ""
		return err
	}
	return kept
}

// txnHandler is a FAPI handler that does its work inside one store transaction.
type txnHandler func(c *call, t *txn) (any, error)

// writing serves h in a write transaction (see mutate for what a failure keeps).
func writing(h txnHandler) handlerFunc {
	return func(c *call) (any, error) {
		var out any
		err := c.mutate(func(t *txn) (err error) {
			out, err = h(c, t)
			return err
		})
		return out, err
	}
}

// reading serves h in a read-only transaction.
func reading(h txnHandler) handlerFunc {
	return func(c *call) (any, error) {
		var out any
		err := c.s.store.view(func(t *txn) (err error) {
			out, err = h(c, t)
			return err
		})
		return out, err
	}
}
