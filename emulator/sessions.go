package emulator

import (
	"net/http"
	"time"
)

const (
	sessionLifetime = 7 * 24 * time.Hour  // expire_at: Clerk's default maximum lifetime
	sessionAbandon  = 30 * 24 * time.Hour // abandon_at
	keepEndedOnes   = 8                   // ended sessions kept per client, for GET /sessions/{id}
)

// expireSessions marks sessions past their expiry; reports whether any changed.
func expireSessions(cl *clientRecord, now int64) bool {
	changed := false
	for i := range cl.Sessions {
		sess := &cl.Sessions[i]
		if (sess.Status == "active" || sess.Status == "pending") && now >= sess.ExpireAt {
			sess.Status, sess.UpdatedAt, changed = "expired", now, true
		}
	}
	if changed && cl.LastActiveSession != "" {
		if sess := cl.session(cl.LastActiveSession); sess == nil || sess.Status != "active" {
			cl.LastActiveSession = ""
		}
	}
	return changed
}

// startSession adds an active session for u to the client and rotates the client token.
func (s *Server) startSession(c *call, t *txn, cl *clientRecord, u *userRecord, strategy string) (*sessionRecord, error) {
	now := c.nowMS()
	sess := sessionRecord{
		ID: newID("sess"), UserID: u.ID, Status: "active", FirstFactorAt: now, LastActiveAt: now,
		ExpireAt: now + sessionLifetime.Milliseconds(), AbandonAt: now + sessionAbandon.Milliseconds(),
		CreatedAt: now, UpdatedAt: now,
	}
	if c.r != nil {
		sess.UserAgent = c.r.UserAgent()
	}
	cl.Sessions = append(pruneEnded(cl.Sessions), sess)
	cl.remember(u.ID)
	cl.LastActiveSession = sess.ID
	if strategy != "" {
		cl.LastAuthStrategy = strategy
	}
	u.LastSignInAt, u.LastActiveAt = now, now
	if err := t.saveUser(u); err != nil {
		return nil, err
	}
	if err := c.rotate(cl); err != nil {
		return nil, err
	}
	return &cl.Sessions[len(cl.Sessions)-1], nil
}

// pruneEnded keeps live sessions and the most recent ended ones.
func pruneEnded(list []sessionRecord) []sessionRecord {
	ended := 0
	for _, s := range list {
		if s.Status != "active" && s.Status != "pending" {
			ended++
		}
	}
	out := list[:0:0]
	for _, s := range list {
		if s.Status != "active" && s.Status != "pending" && ended > keepEndedOnes {
			ended--
			continue
		}
		out = append(out, s)
	}
	return out
}

// GET /v1/client
func (s *Server) getClient(c *call, t *txn) (any, error) {
	cl, err := c.loadClient(t)
	if err != nil {
		return nil, err
	}
	if cl != nil && expireSessions(cl, c.nowMS()) {
		if err := t.saveClient(cl); err != nil {
			return nil, err
		}
	}
	// A dead or missing token is not an error here: the answer is "no client",
	// and ClerkJS starts signed out (a 401 would make it reload this very route).
	return c.clientResponse(t, cl)
}

// POST|PUT /v1/client
func (s *Server) createClient(c *call, t *txn) (any, error) {
	cl, err := c.ensureClient(t)
	if err != nil {
		return nil, err
	}
	cl.UpdatedAt = c.nowMS()
	if err := t.saveClient(cl); err != nil {
		return nil, err
	}
	return c.clientResponse(t, cl)
}

// DELETE /v1/client ends every session and forgets the client (its token dies);
// DELETE /v1/client/sessions signs out of every session and keeps the client.
func (s *Server) endAllSessions(forget bool) txnHandler {
	return func(c *call, t *txn) (any, error) {
		cl, err := c.requireClient(t)
		if err != nil {
			return nil, err
		}
		now := c.nowMS()
		for _, sess := range cl.liveSessions() {
			sess.Status, sess.UpdatedAt = "ended", now
		}
		cl.LastActiveSession = ""
		cl.UpdatedAt = now
		if forget {
			cl.SignInID, cl.SignUpID = "", ""
			err = t.del(bucketClients, cl.ID)
		} else {
			err = t.saveClient(cl)
		}
		if err != nil {
			return nil, err
		}
		return c.clientResponse(t, cl)
	}
}

func (s *Server) findSession(c *call, t *txn) (*clientRecord, *sessionRecord, error) {
	cl, err := c.requireClient(t)
	if err != nil {
		return nil, nil, err
	}
	sess := cl.session(c.r.PathValue("id"))
	if sess == nil {
		return nil, nil, errNotFound("Session")
	}
	return cl, sess, nil
}

// sessionEnvelope renders sess in the {response, client} envelope.
func (c *call) sessionEnvelope(t *txn, sess *sessionRecord, cl *clientRecord) (any, error) {
	sj, err := c.render(t).session(sess)
	if err != nil {
		return nil, err
	}
	return c.envelope(t, sj, cl)
}

func live(sess *sessionRecord) bool { return sess.Status == "active" || sess.Status == "pending" }

// GET /v1/client/sessions/{id}
func (s *Server) getSession(c *call, t *txn) (any, error) {
	cl, sess, err := s.findSession(c, t)
	if err != nil {
		return nil, err
	}
	return c.sessionEnvelope(t, sess, cl)
}

// POST /v1/client/sessions/{id}/touch: make the session the active one,
// optionally switching the active organization.
func (s *Server) touchSession(c *call, t *txn) (any, error) {
	cl, sess, err := s.findSession(c, t)
	if err != nil {
		return nil, err
	}
	if !live(sess) {
		return nil, errSignedOut()
	}
	if c.has("active_organization_id") {
		orgID := c.param("active_organization_id")
		if orgID != "" {
			u, err := t.user(sess.UserID)
			if err != nil {
				return nil, err
			}
			if u == nil || u.membership(orgID) == nil {
				return nil, errNotFound("Organization")
			}
		}
		sess.ActiveOrgID = orgID
	}
	now := c.nowMS()
	sess.LastActiveAt, sess.UpdatedAt = now, now
	cl.LastActiveSession, cl.UpdatedAt = sess.ID, now
	if err := t.saveClient(cl); err != nil {
		return nil, err
	}
	return c.sessionEnvelope(t, sess, cl)
}

// POST /v1/client/sessions/{id}/tokens: a fresh session token, bare
// {object:"token", jwt} (ClerkJS reads json.jwt; a wrapped body breaks it).
func (s *Server) createToken(c *call, t *txn) (any, error) {
	_, sess, err := s.findSession(c, t)
	if err != nil {
		return nil, err
	}
	if !live(sess) {
		return nil, errSignedOut() // ClerkJS reloads the client and drops the session
	}
	u, err := t.user(sess.UserID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errSignedOut()
	}
	orgID := sess.ActiveOrgID
	if c.has("organization_id") {
		orgID = c.param("organization_id")
		if orgID != "" && u.membership(orgID) == nil {
			return nil, errNotFound("Organization")
		}
	}
	jwt, err := c.render(t).sessionToken(sess, u, orgID)
	if err != nil {
		return nil, err
	}
	return object{"object": "token", "jwt": jwt}, nil
}

// POST /v1/client/sessions/{id}/tokens/{template}: the emulator has no JWT templates.
func (s *Server) createTemplateToken(c *call) (any, error) {
	return nil, newAPIError(http.StatusNotFound, "resource_not_found", "not found",
		"JWT template "+c.r.PathValue("template")+" not found; the emulator has no JWT templates.", nil)
}

// POST /v1/client/sessions/{id}/end and /remove: the same but for the status
// (and a removed session's status changes even when it had already ended).
func (s *Server) endSession(status string) txnHandler {
	return func(c *call, t *txn) (any, error) {
		cl, sess, err := s.findSession(c, t)
		if err != nil {
			return nil, err
		}
		now := c.nowMS()
		if live(sess) || status == "removed" {
			sess.Status, sess.UpdatedAt = status, now
		}
		if cl.LastActiveSession == sess.ID {
			cl.LastActiveSession = ""
			if others := cl.liveSessions(); len(others) > 0 {
				cl.LastActiveSession = others[0].ID
			}
		}
		cl.UpdatedAt = now
		if err := t.saveClient(cl); err != nil {
			return nil, err
		}
		return c.sessionEnvelope(t, sess, cl)
	}
}
