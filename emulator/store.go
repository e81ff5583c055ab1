package emulator

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The database is one bbolt file. Every FAPI request that changes state runs in
// one read-write transaction, so concurrent requests on one client are
// serialised and a crash (even SIGKILL) leaves either the old or the new state.
var (
	bucketMeta     = []byte("meta")
	bucketUsers    = []byte("users")
	bucketEmails   = []byte("emails")   // lower-cased address -> user id
	bucketExternal = []byte("external") // provider "/" provider user id -> user id
	bucketOrgs     = []byte("orgs")
	bucketClients  = []byte("clients")
	bucketOAuth    = []byte("oauth")  // state -> oauthFlow
	bucketOutbox   = []byte("outbox") // sequence -> outboxEvent (webhooks not yet delivered)
)

const schemaVersion = "1"

type store struct {
	db *bolt.DB
}

func openStore(path string) (*store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open emulator database %s: in use by another process (is an emulator already running on this directory?)", path)
		}
		return nil, fmt.Errorf("open emulator database %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketUsers, bucketEmails, bucketExternal, bucketOrgs, bucketClients, bucketOAuth, bucketOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get([]byte("schema")); {
		case v == nil:
			return meta.Put([]byte("schema"), []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("database schema %q, this emulator understands %q", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open emulator database %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

func (s *store) view(fn func(*txn) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// update runs fn in a read-write transaction. Work that must happen only once
// the change is durable (sending mail, waking the webhook sender) goes through
// txn.afterCommit.
func (s *store) update(fn func(*txn) error) error {
	var after []func()
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := &txn{tx: tx}
		if err := fn(t); err != nil {
			return err
		}
		after = t.after
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range after {
		f()
	}
	return nil
}

type txn struct {
	tx    *bolt.Tx
	after []func()
}

func (t *txn) afterCommit(f func()) { t.after = append(t.after, f) }

func (t *txn) getJSON(bucket []byte, key string, v any) (bool, error) {
	raw := t.tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

func (t *txn) putJSON(bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return t.tx.Bucket(bucket).Put([]byte(key), raw)
}

func (t *txn) del(bucket []byte, key string) error {
	return t.tx.Bucket(bucket).Delete([]byte(key))
}

func (t *txn) meta(key string) []byte {
	v := t.tx.Bucket(bucketMeta).Get([]byte(key))
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

func (t *txn) setMeta(key string, v []byte) error {
	return t.tx.Bucket(bucketMeta).Put([]byte(key), v)
}

// ---- records ----

type emailRecord struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	Verified  bool   `json:"verified"`
	Strategy  string `json:"strategy"` // how it was verified: admin, email_code, from_oauth_github, ...
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
	// Verification is the pending code of an address added from the profile.
	Verification *verificationRecord `json:"verification,omitempty"`
}

type externalAccountRecord struct {
	ID             string `json:"id"`
	Provider       string `json:"provider"` // oauth_github
	ProviderUserID string `json:"provider_user_id"`
	Email          string `json:"email"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Username       string `json:"username"`
	CreatedAt      int64  `json:"created_at"`
	UpdatedAt      int64  `json:"updated_at"`
}

type membershipRecord struct {
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	Role      string `json:"role"` // without the "org:" prefix
	CreatedAt int64  `json:"created_at"`
}

type userRecord struct {
	ID                string                  `json:"id"`
	FirstName         string                  `json:"first_name"`
	LastName          string                  `json:"last_name"`
	PasswordHash      string                  `json:"password_hash,omitempty"`
	PasswordUpdatedAt int64                   `json:"password_updated_at,omitempty"`
	Emails            []emailRecord           `json:"emails"`
	PrimaryEmailID    string                  `json:"primary_email_id"`
	ImageID           string                  `json:"image_id,omitempty"` // an uploaded profile image
	External          []externalAccountRecord `json:"external,omitempty"`
	Memberships       []membershipRecord      `json:"memberships,omitempty"`
	UnsafeMetadata    map[string]any          `json:"unsafe_metadata,omitempty"`
	LastSignInAt      int64                   `json:"last_sign_in_at,omitempty"`
	LastActiveAt      int64                   `json:"last_active_at,omitempty"`
	CreatedAt         int64                   `json:"created_at"`
	UpdatedAt         int64                   `json:"updated_at"`
}

func (u *userRecord) primaryEmail() *emailRecord {
	for i := range u.Emails {
		if u.Emails[i].ID == u.PrimaryEmailID {
			return &u.Emails[i]
		}
	}
	if len(u.Emails) > 0 {
		return &u.Emails[0]
	}
	return nil
}

func (u *userRecord) email(address string) *emailRecord {
	for i := range u.Emails {
		if strings.EqualFold(u.Emails[i].Address, address) {
			return &u.Emails[i]
		}
	}
	return nil
}

func (u *userRecord) membership(orgID string) *membershipRecord {
	for i := range u.Memberships {
		if u.Memberships[i].OrgID == orgID {
			return &u.Memberships[i]
		}
	}
	return nil
}

type orgRecord struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Slug      string `json:"slug"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// verificationRecord is the state behind a Clerk Verification object.
type verificationRecord struct {
	Strategy       string      `json:"strategy"`
	Status         string      `json:"status"` // unverified, verified, failed, expired, transferable
	Attempts       int         `json:"attempts"`
	ExpireAt       int64       `json:"expire_at,omitempty"`
	EmailAddressID string      `json:"email_address_id,omitempty"`
	Code           string      `json:"code,omitempty"` // one-time code (email_code); cleared once used
	ExternalURL    string      `json:"external_url,omitempty"`
	Error          *clerkError `json:"error,omitempty"`
}

// oauthIdentity is what the stand-in provider vouches for after consent.
type oauthIdentity struct {
	Provider       string `json:"provider"`
	ProviderUserID string `json:"provider_user_id"`
	Email          string `json:"email"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Username       string `json:"username"`
}

type signInRecord struct {
	ID               string              `json:"id"`
	Status           string              `json:"status"`
	Identifier       string              `json:"identifier,omitempty"`
	UserID           string              `json:"user_id,omitempty"`
	FirstFactor      *verificationRecord `json:"first_factor,omitempty"`
	SecondFactor     *verificationRecord `json:"second_factor,omitempty"` // Client Trust's email code
	CreatedSessionID string              `json:"created_session_id,omitempty"`
	OAuthNonce       string              `json:"oauth_nonce,omitempty"` // rotating_token_nonce that completes an OAuth sign-in
	OAuthIdentity    *oauthIdentity      `json:"oauth_identity,omitempty"`
	CreatedAt        int64               `json:"created_at"`
	AbandonAt        int64               `json:"abandon_at"`
}

type signUpRecord struct {
	ID                   string              `json:"id"`
	Status               string              `json:"status"` // missing_requirements, complete, abandoned
	EmailAddress         string              `json:"email_address,omitempty"`
	FirstName            string              `json:"first_name,omitempty"`
	LastName             string              `json:"last_name,omitempty"`
	PasswordHash         string              `json:"password_hash,omitempty"`
	EmailVerification    *verificationRecord `json:"email_verification,omitempty"`
	ExternalVerification *verificationRecord `json:"external_verification,omitempty"`
	OAuthIdentity        *oauthIdentity      `json:"oauth_identity,omitempty"`
	OAuthNonce           string              `json:"oauth_nonce,omitempty"`
	UnsafeMetadata       map[string]any      `json:"unsafe_metadata,omitempty"`
	LegalAcceptedAt      int64               `json:"legal_accepted_at,omitempty"`
	CreatedSessionID     string              `json:"created_session_id,omitempty"`
	CreatedUserID        string              `json:"created_user_id,omitempty"`
	CreatedAt            int64               `json:"created_at"`
	AbandonAt            int64               `json:"abandon_at"`
}

type sessionRecord struct {
	ID            string `json:"id"`
	UserID        string `json:"user_id"`
	Status        string `json:"status"` // active, ended, removed, expired, revoked
	ActiveOrgID   string `json:"active_org_id,omitempty"`
	UserAgent     string `json:"user_agent,omitempty"`
	FirstFactorAt int64  `json:"first_factor_at"`
	LastActiveAt  int64  `json:"last_active_at"`
	ExpireAt      int64  `json:"expire_at"`
	AbandonAt     int64  `json:"abandon_at"`
	CreatedAt     int64  `json:"created_at"`
	UpdatedAt     int64  `json:"updated_at"`
}

type clientRecord struct {
	ID string `json:"id"`
	// RotatingToken is bound into the client token; it changes on every sign-in
	// so that a token captured before sign-in cannot ride the new session.
	RotatingToken     string          `json:"rotating_token"`
	Sessions          []sessionRecord `json:"sessions"`
	SignIns           []signInRecord  `json:"sign_ins,omitempty"` // most recent last
	SignInID          string          `json:"sign_in_id,omitempty"`
	SignUps           []signUpRecord  `json:"sign_ups,omitempty"`
	SignUpID          string          `json:"sign_up_id,omitempty"`
	LastActiveSession string          `json:"last_active_session_id,omitempty"`
	LastAuthStrategy  string          `json:"last_authentication_strategy,omitempty"`
	KnownUsers        []string        `json:"known_users,omitempty"` // users who have had a session here (Client Trust)
	CreatedAt         int64           `json:"created_at"`
	UpdatedAt         int64           `json:"updated_at"`
}

// keepAttempts bounds the sign-in and sign-up history kept per client.
const keepAttempts = 8

func (c *clientRecord) signIn(id string) *signInRecord {
	for i := range c.SignIns {
		if c.SignIns[i].ID == id {
			return &c.SignIns[i]
		}
	}
	return nil
}

func (c *clientRecord) addSignIn(si signInRecord) *signInRecord {
	c.SignIns = append(c.SignIns, si)
	if len(c.SignIns) > keepAttempts {
		c.SignIns = c.SignIns[len(c.SignIns)-keepAttempts:]
	}
	c.SignInID = si.ID
	return &c.SignIns[len(c.SignIns)-1]
}

func (c *clientRecord) signUp(id string) *signUpRecord {
	for i := range c.SignUps {
		if c.SignUps[i].ID == id {
			return &c.SignUps[i]
		}
	}
	return nil
}

func (c *clientRecord) addSignUp(su signUpRecord) *signUpRecord {
	c.SignUps = append(c.SignUps, su)
	if len(c.SignUps) > keepAttempts {
		c.SignUps = c.SignUps[len(c.SignUps)-keepAttempts:]
	}
	c.SignUpID = su.ID
	return &c.SignUps[len(c.SignUps)-1]
}

func (c *clientRecord) session(id string) *sessionRecord {
	for i := range c.Sessions {
		if c.Sessions[i].ID == id {
			return &c.Sessions[i]
		}
	}
	return nil
}

// liveSessions are the sessions ClerkJS counts as signed in.
func (c *clientRecord) liveSessions() []*sessionRecord {
	var out []*sessionRecord
	for i := range c.Sessions {
		if c.Sessions[i].Status == "active" || c.Sessions[i].Status == "pending" {
			out = append(out, &c.Sessions[i])
		}
	}
	return out
}

type oauthFlow struct {
	State       string         `json:"state"`
	ClientID    string         `json:"client_id"`
	Kind        string         `json:"kind"` // sign_in, sign_up or connect (AttemptID is then the user)
	AttemptID   string         `json:"attempt_id"`
	Provider    string         `json:"provider"` // oauth_github
	RedirectURL string         `json:"redirect_url"`
	Code        string         `json:"code,omitempty"` // authorization code issued at consent
	Identity    *oauthIdentity `json:"identity,omitempty"`
	ExpireAt    int64          `json:"expire_at"`
}

// ---- typed access ----

func (t *txn) user(id string) (*userRecord, error) {
	var u userRecord
	ok, err := t.getJSON(bucketUsers, id, &u)
	if err != nil || !ok {
		return nil, err
	}
	return &u, nil
}

func (t *txn) userByEmail(address string) (*userRecord, error) {
	id := t.tx.Bucket(bucketEmails).Get([]byte(strings.ToLower(address)))
	if id == nil {
		return nil, nil
	}
	return t.user(string(id))
}

func (t *txn) userByExternal(provider, providerUserID string) (*userRecord, error) {
	id := t.tx.Bucket(bucketExternal).Get([]byte(provider + "/" + providerUserID))
	if id == nil {
		return nil, nil
	}
	return t.user(string(id))
}

// saveUser writes u and keeps the email and external-account indexes in step.
func (t *txn) saveUser(u *userRecord) error {
	old, err := t.user(u.ID)
	if err != nil {
		return err
	}
	if old != nil {
		if err := t.unindexUser(old); err != nil {
			return err
		}
	}
	emails := t.tx.Bucket(bucketEmails)
	for _, e := range u.Emails {
		key := []byte(strings.ToLower(e.Address))
		if owner := emails.Get(key); owner != nil && string(owner) != u.ID {
			return fmt.Errorf("save user %s: email address already belongs to %s", u.ID, owner)
		}
		if err := emails.Put(key, []byte(u.ID)); err != nil {
			return err
		}
	}
	ext := t.tx.Bucket(bucketExternal)
	for _, a := range u.External {
		if err := ext.Put([]byte(a.Provider+"/"+a.ProviderUserID), []byte(u.ID)); err != nil {
			return err
		}
	}
	return t.putJSON(bucketUsers, u.ID, u)
}

func (t *txn) unindexUser(u *userRecord) error {
	for _, e := range u.Emails {
		if err := t.tx.Bucket(bucketEmails).Delete([]byte(strings.ToLower(e.Address))); err != nil {
			return err
		}
	}
	for _, a := range u.External {
		if err := t.tx.Bucket(bucketExternal).Delete([]byte(a.Provider + "/" + a.ProviderUserID)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) deleteUser(u *userRecord) error {
	if err := t.unindexUser(u); err != nil {
		return err
	}
	return t.del(bucketUsers, u.ID)
}

func (t *txn) allUsers() ([]*userRecord, error) {
	var out []*userRecord
	err := t.tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		var u userRecord
		if err := json.Unmarshal(v, &u); err != nil {
			return fmt.Errorf("decode user %s: %w", k, err)
		}
		out = append(out, &u)
		return nil
	})
	return out, err
}

func (t *txn) org(id string) (*orgRecord, error) {
	var o orgRecord
	ok, err := t.getJSON(bucketOrgs, id, &o)
	if err != nil || !ok {
		return nil, err
	}
	return &o, nil
}

func (t *txn) client(id string) (*clientRecord, error) {
	var c clientRecord
	ok, err := t.getJSON(bucketClients, id, &c)
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}

func (t *txn) saveClient(c *clientRecord) error { return t.putJSON(bucketClients, c.ID, c) }

// forEachClient visits every client; fn may modify the record, which is then saved.
func (t *txn) forEachClient(fn func(c *clientRecord) (changed bool, err error)) error {
	var changed []*clientRecord
	err := t.tx.Bucket(bucketClients).ForEach(func(k, v []byte) error {
		var c clientRecord
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode client %s: %w", k, err)
		}
		ch, err := fn(&c)
		if err != nil {
			return err
		}
		if ch {
			changed = append(changed, &c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Writes happen after the cursor walk: bbolt forbids changing a bucket while iterating it.
	for _, c := range changed {
		if err := t.saveClient(c); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) oauthFlow(state string) (*oauthFlow, error) {
	var f oauthFlow
	ok, err := t.getJSON(bucketOAuth, state, &f)
	if err != nil || !ok {
		return nil, err
	}
	return &f, nil
}

// ---- outbox ----

type outboxEvent struct {
	MsgID    string          `json:"msg_id"`
	Type     string          `json:"type"`
	Payload  json.RawMessage `json:"payload"`
	Attempts int             `json:"attempts"`
}

func (t *txn) enqueue(ev outboxEvent) error {
	b := t.tx.Bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return b.Put(seqKey(seq), raw)
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// firstOutbox returns the oldest undelivered event, or ok=false. An event that
// does not decode comes back with its key and an error, so it can be dropped.
func (t *txn) firstOutbox() (key []byte, ev outboxEvent, ok bool, err error) {
	k, v := t.tx.Bucket(bucketOutbox).Cursor().First()
	if k == nil {
		return nil, ev, false, nil
	}
	key = append([]byte(nil), k...)
	if err := json.Unmarshal(v, &ev); err != nil {
		return key, ev, false, fmt.Errorf("decode outbox event: %w", err)
	}
	return key, ev, true, nil
}

func (t *txn) outboxLen() int { return t.tx.Bucket(bucketOutbox).Stats().KeyN }
