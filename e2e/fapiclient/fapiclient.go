// Package fapiclient is a minimal native Frontend API client for benchmarks and
// tests: it signs in with a password the way ClerkJS does in native mode
// (_is_native=1, the client token as Authorization) and mints session tokens.
package fapiclient

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one Frontend API as one native client.
type Client struct {
	Base  string // e.g. http://127.0.0.1:41234
	Token string // the client token, updated from every response
	HTTP  *http.Client
	// Code reads the code emailed to an address, for Client Trust's step on a new
	// client (the emulator's LastEmailCode). Nil: such a sign-in fails.
	Code func(email string) (string, bool)
}

func (c *Client) do(method, path string, form url.Values, out any) error {
	u := c.Base + path
	if strings.Contains(u, "?") {
		u += "&_is_native=1"
	} else {
		u += "?_is_native=1"
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", c.Token)
	}
	h := c.HTTP
	if h == nil {
		h = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := h.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if t := resp.Header.Get("Authorization"); t != "" {
		c.Token = strings.TrimPrefix(t, "Bearer ")
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// SignIn signs in with email and password and returns the new session's id.
func (c *Client) SignIn(email, password string) (string, error) {
	var r struct {
		Response struct {
			ID               string `json:"id"`
			Status           string `json:"status"`
			CreatedSessionID string `json:"created_session_id"`
		} `json:"response"`
	}
	if err := c.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {email}}, &r); err != nil {
		return "", err
	}
	id := r.Response.ID
	if err := c.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {password}}, &r); err != nil {
		return "", err
	}
	if r.Response.Status == "needs_client_trust" && c.Code != nil {
		if err := c.do("POST", "/v1/client/sign_ins/"+id+"/prepare_second_factor", url.Values{"strategy": {"email_code"}}, &r); err != nil {
			return "", err
		}
		code, ok := c.Code(email)
		if !ok {
			return "", fmt.Errorf("no code was emailed to %s", email)
		}
		if err := c.do("POST", "/v1/client/sign_ins/"+id+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {code}}, &r); err != nil {
			return "", err
		}
	}
	if r.Response.Status != "complete" || r.Response.CreatedSessionID == "" {
		return "", fmt.Errorf("sign-in ended %q", r.Response.Status)
	}
	return r.Response.CreatedSessionID, nil
}

// SessionToken mints a session JWT for session sid.
func (c *Client) SessionToken(sid string) (string, error) {
	var r struct {
		JWT string `json:"jwt"`
	}
	if err := c.do("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{"organization_id": {""}}, &r); err != nil {
		return "", err
	}
	return r.JWT, nil
}
