package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

// What <UserProfile/> does to the signed-in user, as Clerk's Frontend API serves
// it (clerk/openapi-specs fapi/2026-05-12.yml: /v1/me/email_addresses…,
// /v1/me/change_password, /v1/me/profile_image). Each answer is wrapped in the
// client envelope, so ClerkJS refreshes the user from the piggybacked client.

// maxProfileImageBytes bounds an uploaded avatar (Clerk accepts up to 10 MB; a
// local stand-in keeps them small, in its database).
const maxProfileImageBytes = 2 << 20

// meMutation runs fn on the signed-in user inside one write transaction and
// answers with what fn returns, wrapped in the client envelope. The user is
// saved (and announced by user.updated) when fn reports a change.
func (s *Server) meMutation(c *call, fn func(t *txn, u *userRecord) (resp any, changed bool, err error)) (any, error) {
	var out any
	err := c.mutate(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		resp, changed, err := fn(t, u)
		if err != nil {
			return err
		}
		if changed {
			u.UpdatedAt = c.nowMS()
			if err := t.saveUser(u); err != nil {
				return err
			}
			if err := s.emitUserEvent(c, t, "user.updated", u); err != nil {
				return err
			}
		}
		if resp == nil {
			if resp, err = c.render(t).user(u); err != nil {
				return err
			}
		}
		out, err = c.envelope(t, resp, cl)
		return err
	})
	return out, err
}

func (u *userRecord) emailByID(id string) *emailRecord {
	for i := range u.Emails {
		if u.Emails[i].ID == id {
			return &u.Emails[i]
		}
	}
	return nil
}

// POST /v1/me/email_addresses: a new, unverified address.
func (s *Server) createEmailAddress(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		address, err := c.required("email_address")
		if err != nil {
			return nil, false, err
		}
		address = strings.TrimSpace(address)
		if !validEmail(address) {
			return nil, false, errParamInvalid("email_address", "email_address must be a valid email address.")
		}
		if owner, err := t.userByEmail(address); err != nil {
			return nil, false, err
		} else if owner != nil {
			return nil, false, errIdentifierExists("email_address")
		}
		now := c.nowMS()
		u.Emails = append(u.Emails, emailRecord{ID: newID("idn"), Address: address, CreatedAt: now, UpdatedAt: now})
		e := &u.Emails[len(u.Emails)-1]
		return c.render(t).emailAddress(u, e), true, nil
	})
}

// findEmail is the user's address named by the path, or Clerk's 404.
func findEmail(c *call, u *userRecord) (*emailRecord, error) {
	e := u.emailByID(c.r.PathValue("id"))
	if e == nil {
		return nil, errNotFound("Email address")
	}
	return e, nil
}

// POST /v1/me/email_addresses/{id}/prepare_verification (strategy=email_code).
func (s *Server) prepareEmailVerification(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		e, err := findEmail(c, u)
		if err != nil {
			return nil, false, err
		}
		strategy, err := c.required("strategy")
		if err != nil {
			return nil, false, err
		}
		if strategy != "email_code" {
			return nil, false, errStrategyInvalid(strategy)
		}
		if e.Verified {
			return nil, false, newAPIError(http.StatusBadRequest, "verification_already_verified", "Already verified",
				"This email address has already been verified.", nil)
		}
		if retry := s.limiter.retryAfter("email:"+e.ID, c.now); retry > 0 {
			return nil, false, errTooManyRequests(retry)
		}
		e.Verification = s.newCodeVerification(c, t, e.Address)
		return c.render(t).emailAddress(u, e), true, nil
	})
}

// POST /v1/me/email_addresses/{id}/attempt_verification (code).
func (s *Server) attemptEmailVerification(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		e, err := findEmail(c, u)
		if err != nil {
			return nil, false, err
		}
		code, err := c.required("code")
		if err != nil {
			return nil, false, err
		}
		if err := s.attemptCode(c, "email:"+e.ID, e.Verification, code); err != nil {
			// Count the attempt (Clerk counts them) and answer with the error.
			if err2 := t.saveUser(u); err2 != nil {
				return nil, false, err2
			}
			return nil, false, keepChanges(err)
		}
		e.Verified, e.Strategy, e.Verification, e.UpdatedAt = true, "email_code", nil, c.nowMS()
		return c.render(t).emailAddress(u, e), true, nil
	})
}

// GET /v1/me/email_addresses/{id}
func (s *Server) getEmailAddress(c *call) (any, error) {
	var out any
	err := s.store.view(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		e, err := findEmail(c, u)
		if err != nil {
			return err
		}
		out, err = c.envelope(t, c.render(t).emailAddress(u, e), cl)
		return err
	})
	return out, err
}

// DELETE /v1/me/email_addresses/{id}: the primary address cannot be removed.
func (s *Server) deleteEmailAddress(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		e, err := findEmail(c, u)
		if err != nil {
			return nil, false, err
		}
		if e.ID == u.PrimaryEmailID {
			return nil, false, newAPIError(http.StatusBadRequest, "primary_identification_deletion_not_allowed",
				"Primary email address cannot be deleted", "You cannot delete your primary email address.", nil)
		}
		id := e.ID
		kept := u.Emails[:0]
		for _, x := range u.Emails {
			if x.ID != id {
				kept = append(kept, x)
			}
		}
		u.Emails = kept
		return object{"object": "email_address", "id": id, "deleted": true}, true, nil
	})
}

// setPrimaryEmail applies PATCH /v1/me's primary_email_address_id: only a
// verified address of the user's own can become primary.
func setPrimaryEmail(u *userRecord, id string) error {
	e := u.emailByID(id)
	if e == nil {
		return errParamInvalid("primary_email_address_id", "primary_email_address_id must be one of the user's email addresses.")
	}
	if !e.Verified {
		return newAPIError(http.StatusUnprocessableEntity, "form_identification_not_verified", "is not verified",
			"This email address must be verified before it can be made primary.", paramMeta("primary_email_address_id"))
	}
	u.PrimaryEmailID = id
	return nil
}

// POST /v1/me/change_password: the current password is required when one is set;
// sign_out_of_other_sessions ends the user's other sessions.
func (s *Server) changePassword(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		if u.PasswordHash != "" && !checkPassword(u.PasswordHash, c.param("current_password")) {
			return nil, false, newAPIError(http.StatusUnprocessableEntity, "form_password_incorrect",
				"Password is incorrect. Try again, or use another method.",
				"Password is incorrect. Try again, or use another method.", paramMeta("current_password"))
		}
		pw, err := c.required("new_password")
		if err != nil {
			return nil, false, err
		}
		if utf8.RuneCountInString(pw) < minPasswordLength {
			e := errPasswordTooShort(minPasswordLength)
			e.errs[0].Meta = paramMeta("new_password")
			return nil, false, e
		}
		hash, err := hashPassword(pw)
		if err != nil {
			return nil, false, err
		}
		u.PasswordHash, u.PasswordUpdatedAt = hash, c.nowMS()
		if c.boolParam("sign_out_of_other_sessions") {
			_, current, _, _ := s.meSession(c, t)
			now := c.nowMS()
			if err := userSessions(t, u.ID, func(x *clientRecord, sess *sessionRecord) bool {
				if current != nil && sess.ID == current.ID {
					return false
				}
				sess.Status, sess.UpdatedAt = "revoked", now
				if x.LastActiveSession == sess.ID {
					x.LastActiveSession = ""
				}
				return true
			}); err != nil {
				return nil, false, err
			}
		}
		return nil, true, nil
	})
}

// profileImage is an uploaded avatar, kept in the meta bucket under its id.
type profileImage struct {
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// imageTypes are the avatar formats Clerk accepts, by their sniffed type.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// POST /v1/me/profile_image (multipart/form-data, field "file").
func (s *Server) uploadProfileImage(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		data := c.form.Get(multipartFileField)
		if data == "" {
			return nil, false, errParamMissing("file")
		}
		ct := http.DetectContentType([]byte(data))
		if !imageTypes[ct] {
			return nil, false, errParamInvalid("file", "The file must be a PNG, JPEG, GIF or WebP image.")
		}
		raw, err := json.Marshal(profileImage{ContentType: ct, Data: []byte(data)})
		if err != nil {
			return nil, false, err
		}
		if u.ImageID != "" {
			if err := t.del(bucketMeta, "image:"+u.ImageID); err != nil {
				return nil, false, err
			}
		}
		u.ImageID = newID("img")
		if err := t.setMeta("image:"+u.ImageID, raw); err != nil {
			return nil, false, err
		}
		name := c.form.Get(multipartFileField + ".name")
		return object{"object": "image", "id": u.ImageID, "name": name, "public_url": s.imageURL(u.ImageID)}, true, nil
	})
}

// DELETE /v1/me/profile_image
func (s *Server) deleteProfileImage(c *call) (any, error) {
	return s.meMutation(c, func(t *txn, u *userRecord) (any, bool, error) {
		if u.ImageID == "" {
			return nil, false, errNotFound("Profile image")
		}
		id := u.ImageID
		if err := t.del(bucketMeta, "image:"+id); err != nil {
			return nil, false, err
		}
		u.ImageID = ""
		return object{"object": "image", "id": id, "deleted": true}, true, nil
	})
}

func (s *Server) imageURL(id string) string { return s.frontendURL + "/emulator/images/" + id }

// GET /emulator/images/{id}: an uploaded avatar, as img.clerk.com would serve it.
func (s *Server) serveImage(w http.ResponseWriter, r *http.Request) {
	var img profileImage
	found := false
	_ = s.store.view(func(t *txn) error {
		if raw := t.meta("image:" + r.PathValue("id")); raw != nil {
			found = json.Unmarshal(raw, &img) == nil
		}
		return nil
	})
	if !found {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=31536000, immutable") // ids are never reused
	_, _ = w.Write(img.Data)
}
