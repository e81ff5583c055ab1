package emulator

import (
	"strings"
)

// meSession finds the session a /v1/me request acts for: _clerk_session_id,
// else the client's last active session.
func (s *Server) meSession(c *call, t *txn) (*clientRecord, *sessionRecord, *userRecord, error) {
	cl, err := c.requireClient(t)
	if err != nil {
		return nil, nil, nil, err
	}
	id := c.query.Get("_clerk_session_id")
	if id == "" {
		id = cl.LastActiveSession
	}
	sess := cl.session(id)
	if sess == nil || !live(sess) {
		return nil, nil, nil, errNoActiveSession()
	}
	u, err := t.user(sess.UserID)
	if err != nil {
		return nil, nil, nil, err
	}
	if u == nil {
		return nil, nil, nil, errNoActiveSession()
	}
	return cl, sess, u, nil
}

// userEnvelope renders u in the {response, client} envelope.
func (c *call) userEnvelope(t *txn, u *userRecord, cl *clientRecord) (any, error) {
	uj, err := c.render(t).user(u)
	if err != nil {
		return nil, err
	}
	return c.envelope(t, uj, cl)
}

// GET /v1/me
func (s *Server) getMe(c *call, t *txn) (any, error) {
	cl, _, u, err := s.meSession(c, t)
	if err != nil {
		return nil, err
	}
	return c.userEnvelope(t, u, cl)
}

// PATCH /v1/me: names and unsafe metadata (announced by user.updated).
func (s *Server) updateMe(c *call, t *txn) (any, error) {
	cl, _, u, err := s.meSession(c, t)
	if err != nil {
		return nil, err
	}
	if err := c.nameParams(&u.FirstName, &u.LastName); err != nil {
		return nil, err
	}
	if c.has("primary_email_address_id") {
		if err := setPrimaryEmail(u, c.param("primary_email_address_id")); err != nil {
			return nil, err
		}
	}
	if err := c.metadataParam(&u.UnsafeMetadata); err != nil {
		return nil, err
	}
	u.UpdatedAt = c.nowMS()
	if err := t.saveUser(u); err != nil {
		return nil, err
	}
	if err := s.emitUserEvent(c, t, "user.updated", u); err != nil {
		return nil, err
	}
	return c.userEnvelope(t, u, cl)
}

// DELETE /v1/me: deletes the account, ends its sessions on every client and
// announces user.deleted.
func (s *Server) deleteMe(c *call, t *txn) (any, error) {
	cl, _, u, err := s.meSession(c, t)
	if err != nil {
		return nil, err
	}
	now := c.nowMS()
	err = forUserSessions(t, cl, u.ID, func(x *clientRecord, sess *sessionRecord) bool {
		sess.Status, sess.UpdatedAt = "revoked", now
		if x.LastActiveSession == sess.ID {
			x.LastActiveSession = ""
		}
		x.UpdatedAt = now
		return true
	})
	if err != nil {
		return nil, err
	}
	if err := t.deleteUser(u); err != nil {
		return nil, err
	}
	if err := s.emitDeletedEvent(c, t, u.ID); err != nil {
		return nil, err
	}
	return c.envelope(t, object{"object": "user", "id": u.ID, "deleted": true}, cl)
}

// activeSession is one entry of GET /v1/me/sessions/active (the "Active
// devices" list of <UserProfile/>). Clerk fills city and country from the IP's
// location; on loopback there is none, so the emulator says where it is, and the
// list reads "127.0.0.1 (Local emulator)" rather than "127.0.0.1 ()".
func activeSession(sess *sessionRecord) object {
	name, version := browserOf(sess.UserAgent)
	return object{
		"object": "session", "id": sess.ID, "status": sess.Status,
		"expire_at": sess.ExpireAt, "abandon_at": sess.AbandonAt, "last_active_at": sess.LastActiveAt,
		"actor": nil,
		"latest_activity": object{
			"object": "session_activity", "id": "sess_activity_" + strings.TrimPrefix(sess.ID, "sess_"),
			"device_type": "Desktop", "is_mobile": false, "browser_name": name,
			"browser_version": version, "ip_address": "127.0.0.1", "city": "Local emulator", "country": "",
		},
	}
}

// browserOf names the client from its User-Agent: a browser's own token when the
// agent is a browser ("Mozilla/5.0 … Chrome/…"), else the leading product token,
// which is how a native app such as this one names itself ("DeskClerk/1.2 …").
func browserOf(ua string) (name, version string) {
	ua = strings.TrimSpace(ua)
	if strings.HasPrefix(ua, "Mozilla/") {
		for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"Chrome/", "Chrome"}, {"Firefox/", "Firefox"}, {"Safari/", "Safari"}} {
			if i := strings.Index(ua, b.token); i >= 0 {
				v, _, _ := strings.Cut(ua[i+len(b.token):], " ")
				return b.name, v
			}
		}
		return "Web browser", ""
	}
	product, _, _ := strings.Cut(ua, " ")
	name, version, _ = strings.Cut(product, "/")
	if name == "" || strings.HasPrefix(name, "Go-http-client") {
		return "Desk Clerk", ""
	}
	return name, version
}

// userSessions visits the live sessions of userID on every client.
func userSessions(t *txn, userID string, fn func(cl *clientRecord, sess *sessionRecord) bool) error {
	return t.forEachClient(func(cl *clientRecord) (bool, error) {
		changed := false
		for _, sess := range cl.liveSessions() {
			if sess.UserID == userID && fn(cl, sess) {
				changed = true
			}
		}
		return changed, nil
	})
}

// forUserSessions applies fn to the live sessions of userID on every client,
// starting with cl, the caller's client, whose copy the handler goes on to render.
func forUserSessions(t *txn, cl *clientRecord, userID string, fn func(*clientRecord, *sessionRecord) bool) error {
	for _, sess := range cl.liveSessions() {
		if sess.UserID == userID {
			fn(cl, sess)
		}
	}
	if err := t.saveClient(cl); err != nil {
		return err
	}
	return userSessions(t, userID, fn)
}

// GET /v1/me/sessions/active: a bare array.
func (s *Server) activeSessions(c *call, t *txn) (any, error) {
	_, _, u, err := s.meSession(c, t)
	if err != nil {
		return nil, err
	}
	out := []object{}
	err = userSessions(t, u.ID, func(_ *clientRecord, sess *sessionRecord) bool {
		out = append(out, activeSession(sess))
		return false // changes nothing, so nothing is saved
	})
	return out, err
}

// POST /v1/me/sessions/{id}/revoke: sign another device out.
func (s *Server) revokeSession(c *call, t *txn) (any, error) {
	cl, _, u, err := s.meSession(c, t)
	if err != nil {
		return nil, err
	}
	target := c.r.PathValue("id")
	now := c.nowMS()
	var found object
	revoke := func(x *clientRecord, sess *sessionRecord) bool {
		if sess.ID != target {
			return false
		}
		sess.Status, sess.UpdatedAt = "revoked", now
		if x.LastActiveSession == sess.ID {
			x.LastActiveSession = ""
		}
		found = activeSession(sess)
		return true
	}
	if err := forUserSessions(t, cl, u.ID, revoke); err != nil {
		return nil, err
	}
	if found == nil {
		return nil, errNotFound("Session")
	}
	return found, nil
}
