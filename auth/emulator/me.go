package emulator

import (
	"encoding/json"
	"unicode/utf8"
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

// GET /v1/me
func (s *Server) getMe(c *call) (any, error) {
	var out any
	err := s.store.view(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		uj, err := c.render(t).user(u)
		if err != nil {
			return err
		}
		out, err = c.envelope(t, uj, cl)
		return err
	})
	return out, err
}

// PATCH /v1/me: names and unsafe metadata (announced by user.updated).
func (s *Server) updateMe(c *call) (any, error) {
	var out any
	err := c.mutate(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			dst  *string
		}{{"first_name", &u.FirstName}, {"last_name", &u.LastName}} {
			if !c.has(f.name) {
				continue
			}
			v := c.param(f.name)
			if utf8.RuneCountInString(v) > maxNameLength {
				return errParamInvalid(f.name, f.name+" must be at most 256 characters.")
			}
			*f.dst = v
		}
		if c.has("unsafe_metadata") {
			var m map[string]any
			if err := json.Unmarshal([]byte(c.param("unsafe_metadata")), &m); err != nil {
				return errParamInvalid("unsafe_metadata", "unsafe_metadata must be a JSON object.")
			}
			u.UnsafeMetadata = m
		}
		u.UpdatedAt = c.nowMS()
		if err := t.saveUser(u); err != nil {
			return err
		}
		if err := s.emitUserEvent(c, t, "user.updated", u); err != nil {
			return err
		}
		uj, err := c.render(t).user(u)
		if err != nil {
			return err
		}
		out, err = c.envelope(t, uj, cl)
		return err
	})
	return out, err
}

// DELETE /v1/me: deletes the account, ends its sessions on every client and
// announces user.deleted.
func (s *Server) deleteMe(c *call) (any, error) {
	var out any
	err := c.mutate(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		now := c.nowMS()
		endUserSessions := func(x *clientRecord) bool {
			changed := false
			for _, sess := range x.liveSessions() {
				if sess.UserID == u.ID {
					sess.Status, sess.UpdatedAt, changed = "revoked", now, true
				}
			}
			if changed {
				if last := x.session(x.LastActiveSession); last == nil || !live(last) {
					x.LastActiveSession = ""
				}
				x.UpdatedAt = now
			}
			return changed
		}
		if err := t.forEachClient(func(x *clientRecord) (bool, error) {
			if x.ID == cl.ID {
				return false, nil // handled below on our copy
			}
			return endUserSessions(x), nil
		}); err != nil {
			return err
		}
		endUserSessions(cl)
		if err := t.saveClient(cl); err != nil {
			return err
		}
		if err := t.deleteUser(u); err != nil {
			return err
		}
		if err := s.emitDeletedEvent(c, t, u.ID); err != nil {
			return err
		}
		out, err = c.envelope(t, object{"object": "user", "id": u.ID, "deleted": true}, cl)
		return err
	})
	return out, err
}
