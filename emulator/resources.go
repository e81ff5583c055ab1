package emulator

import (
	"net/url"
	"strings"
	"time"
)

// render turns records into the JSON shapes ClerkJS reads (FAPI spec +
// recorded responses). All timestamps are Unix milliseconds.
type render struct {
	s      *Server
	t      *txn
	origin string // request Origin, becomes azp of minted session tokens
	now    time.Time
}

type object = map[string]any

// Organization roles and their custom permissions. The session token carries
// only custom permissions (o.per + o.fpm); memberships list system ones too.
var orgRoles = map[string]struct {
	name        string
	fpm         string // bitmask over orgPermissions for the one feature, orgFeature
	permissions []string
}{
	"admin":  {"Admin", "3", []string{"org:dashboard:read", "org:dashboard:manage", "org:sys_profile:manage", "org:sys_profile:delete", "org:sys_memberships:read", "org:sys_memberships:manage"}},
	"member": {"Member", "1", []string{"org:dashboard:read", "org:sys_memberships:read"}},
}

const (
	orgFeature     = "o:dashboard"
	orgPermissions = "read,manage"
)

func (r *render) avatarURL(first, last, fallback, seed string) string {
	initials := initialsOf(first, last, fallback)
	return r.s.frontendURL + "/emulator/avatar.svg?" + url.Values{"i": {initials}, "s": {seed}}.Encode()
}

func initialsOf(first, last, fallback string) string {
	var b strings.Builder
	for _, s := range []string{first, last} {
		if r := []rune(strings.TrimSpace(s)); len(r) > 0 {
			b.WriteRune(r[0])
		}
	}
	if b.Len() == 0 {
		if r := []rune(strings.TrimSpace(fallback)); len(r) > 0 {
			b.WriteRune(r[0])
		}
	}
	return strings.ToUpper(b.String())
}

func verifiedVerification(strategy string) object {
	obj := "verification_admin"
	if strings.HasPrefix(strategy, "oauth_") || strings.HasPrefix(strategy, "from_oauth_") {
		obj = "verification_from_oauth"
	} else if strategy == "email_code" {
		obj = "verification_otp"
	}
	return object{"object": obj, "status": "verified", "strategy": strategy, "attempts": nil, "expire_at": nil}
}

func (r *render) user(u *userRecord) (object, error) {
	emails := make([]object, 0, len(u.Emails))
	for i := range u.Emails {
		emails = append(emails, r.emailAddress(u, &u.Emails[i]))
	}
	external := make([]object, 0, len(u.External))
	for _, a := range u.External {
		external = append(external, object{
			"object": "external_account", "id": a.ID, "provider": strings.TrimPrefix(a.Provider, "oauth_"),
			"identification_id": a.ID, "provider_user_id": a.ProviderUserID, "approved_scopes": "email profile",
			"email_address": a.Email, "first_name": a.FirstName, "last_name": a.LastName,
			"avatar_url": "", "image_url": r.avatarURL(a.FirstName, a.LastName, a.Email, a.ID),
			"username": a.Username, "phone_number": "", "public_metadata": object{}, "label": nil,
			"verification": verifiedVerification(a.Provider),
			"created_at":   a.CreatedAt, "updated_at": a.UpdatedAt,
		})
	}
	memberships := make([]object, 0, len(u.Memberships))
	for _, m := range u.Memberships {
		mj, err := r.membership(u, &m)
		if err != nil {
			return nil, err
		}
		if mj != nil {
			memberships = append(memberships, mj)
		}
	}
	var pwUpdated any
	if u.PasswordUpdatedAt != 0 {
		pwUpdated = u.PasswordUpdatedAt
	}
	img := r.userImage(u)
	return object{
		"id": u.ID, "object": "user", "username": nil,
		"first_name": nullIfEmpty(u.FirstName), "last_name": nullIfEmpty(u.LastName), "locale": nil,
		"image_url": img, "has_image": u.ImageID != "", "profile_image_url": img,
		"primary_email_address_id": nullIfEmpty(u.PrimaryEmailID), "primary_phone_number_id": nil,
		"primary_web3_wallet_id": nil, "password_enabled": u.PasswordHash != "",
		"two_factor_enabled": false, "totp_enabled": false, "backup_code_enabled": false,
		"email_addresses": emails, "phone_numbers": []object{}, "web3_wallets": []object{},
		"passkeys": []object{}, "external_accounts": external, "saml_accounts": []object{},
		"enterprise_accounts": []object{}, "password_last_updated_at": pwUpdated,
		"public_metadata": object{}, "unsafe_metadata": nonNilMap(u.UnsafeMetadata), "external_id": nil,
		"last_sign_in_at": nullIfZero(u.LastSignInAt), "banned": false, "locked": false,
		"lockout_expires_in_seconds": nil, "verification_attempts_remaining": maxFailedAttempts,
		"created_at": u.CreatedAt, "updated_at": u.UpdatedAt,
		"delete_self_enabled": true, "bypass_client_trust": false, "create_organization_enabled": false,
		"create_organizations_limit": 0, "last_active_at": nullIfZero(u.LastActiveAt),
		"mfa_enabled_at": nil, "mfa_disabled_at": nil, "legal_accepted_at": nil,
		"organization_memberships": memberships,
	}, nil
}

// userImage is the uploaded profile image, else generated initials.
func (r *render) userImage(u *userRecord) string {
	if u.ImageID != "" {
		return r.s.imageURL(u.ImageID)
	}
	return r.avatarURL(u.FirstName, u.LastName, primaryAddress(u), u.ID)
}

// emailAddress renders one of the user's addresses (spec: EmailAddress).
func (r *render) emailAddress(u *userRecord, e *emailRecord) object {
	var linked []object
	for _, a := range u.External {
		if strings.EqualFold(a.Email, e.Address) {
			linked = append(linked, object{"type": a.Provider, "id": a.ID})
		}
	}
	var v any = verifiedVerification(e.Strategy)
	if !e.Verified {
		v = r.verification(e.Verification) // null until a code is prepared, as in Clerk
	}
	return object{
		"id": e.ID, "object": "email_address", "email_address": e.Address, "reserved": false,
		"verification": v, "linked_to": nonNilObjects(linked), "matches_sso_connection": false,
		"created_at": e.CreatedAt, "updated_at": e.UpdatedAt,
	}
}

func (r *render) membership(u *userRecord, m *membershipRecord) (object, error) {
	o, err := r.t.org(m.OrgID)
	if err != nil || o == nil {
		return nil, err
	}
	role := orgRoles[m.Role]
	return object{
		"object": "organization_membership", "id": m.ID, "public_metadata": object{},
		"role": "org:" + m.Role, "role_name": role.name, "permissions": nonNil(role.permissions),
		"created_at": m.CreatedAt, "updated_at": m.CreatedAt,
		"organization": object{
			"object": "organization", "id": o.ID, "name": o.Name, "slug": o.Slug,
			"image_url": r.avatarURL(o.Name, "", o.Slug, o.ID), "has_image": false,
			"members_count": nil, "pending_invitations_count": 0, "max_allowed_memberships": 5,
			"admin_delete_enabled": false, "public_metadata": object{},
			"created_at": o.CreatedAt, "updated_at": o.UpdatedAt,
		},
		"public_user_data": r.publicUserData(u),
	}, nil
}

func (r *render) publicUserData(u *userRecord) object {
	img := r.userImage(u)
	return object{
		"first_name": nullIfEmpty(u.FirstName), "last_name": nullIfEmpty(u.LastName),
		"image_url": img, "has_image": u.ImageID != "", "identifier": primaryAddress(u),
		"username": nil, "profile_image_url": img, "user_id": u.ID,
	}
}

func primaryAddress(u *userRecord) string {
	if e := u.primaryEmail(); e != nil {
		return e.Address
	}
	return ""
}

// sessionToken mints a session token for sess, for the organization orgID ("" = personal).
func (r *render) sessionToken(sess *sessionRecord, u *userRecord, orgID string) (string, error) {
	in := sessionTokenInput{
		issuer: r.s.issuer, userID: u.ID, sessionID: sess.ID, origin: r.origin, now: r.now,
		firstFactorAt: sess.FirstFactorAt, status: sess.Status,
	}
	if orgID != "" {
		m := u.membership(orgID)
		o, err := r.t.org(orgID)
		if err != nil {
			return "", err
		}
		if m != nil && o != nil {
			in.org = &orgClaim{ID: o.ID, Slug: o.Slug, Role: m.Role, Per: orgPermissions, FPM: orgRoles[m.Role].fpm}
			in.features = orgFeature
		}
	}
	return r.s.keys.mintSessionToken(in)
}

func (r *render) session(sess *sessionRecord) (object, error) {
	u, err := r.t.user(sess.UserID)
	if err != nil {
		return nil, err
	}
	var uj, pud, lastToken any
	if u != nil { // an ended session may outlive its deleted user
		j, err := r.user(u)
		if err != nil {
			return nil, err
		}
		uj, pud = j, r.publicUserData(u)
	}
	if u != nil && live(sess) {
		jwt, err := r.sessionToken(sess, u, sess.ActiveOrgID)
		if err != nil {
			return nil, err
		}
		lastToken = object{"object": "token", "jwt": jwt}
	}
	fva := max(int64(r.now.Sub(time.UnixMilli(sess.FirstFactorAt)).Minutes()), 0)
	return object{
		"object": "session", "id": sess.ID, "status": sess.Status,
		"expire_at": sess.ExpireAt, "abandon_at": sess.AbandonAt, "last_active_at": sess.LastActiveAt,
		"last_active_organization_id": nullIfEmpty(sess.ActiveOrgID), "actor": nil,
		"user": uj, "public_user_data": pud,
		"factor_verification_age": []int64{fva, -1}, "tasks": nil,
		"created_at": sess.CreatedAt, "updated_at": sess.UpdatedAt,
		"last_active_token": lastToken,
	}, nil
}

// client renders the client; only live sessions are listed, as ClerkJS treats
// the list as "who is signed in on this device".
func (r *render) client(c *clientRecord) (object, error) {
	if c == nil {
		return nil, nil
	}
	sessions := []object{}
	for _, sess := range c.liveSessions() {
		sj, err := r.session(sess)
		if err != nil {
			return nil, err
		}
		sessions = append(sessions, sj)
	}
	var signIn, signUp any
	if si := c.signIn(c.SignInID); si != nil {
		j, err := r.signIn(si, c)
		if err != nil {
			return nil, err
		}
		signIn = j
	}
	if su := c.signUp(c.SignUpID); su != nil {
		signUp = r.signUp(su)
	}
	return object{
		"object": "client", "id": c.ID, "sessions": sessions, "sign_in": signIn, "sign_up": signUp,
		"last_active_session_id": nullIfEmpty(c.LastActiveSession), "last_authentication_strategy": nullIfEmpty(c.LastAuthStrategy),
		"cookie_expires_at": r.s.cookieExpiresAt(c), "captcha_bypass": false, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt,
	}, nil
}

func (r *render) verification(v *verificationRecord) any {
	if v == nil {
		return nil
	}
	obj := "verification_otp"
	switch {
	case v.Strategy == "password":
		obj = "verification_password"
	case strings.HasPrefix(v.Strategy, "oauth_"):
		obj = "verification_oauth"
	}
	out := object{
		"object": obj, "status": v.Status, "strategy": v.Strategy, "attempts": v.Attempts,
		"expire_at": nullIfZero(v.ExpireAt),
	}
	// Stubs.Verification.Password has no error field (additionalProperties: false,
	// clerk/openapi-specs fapi/2026-05-12.yml); the others carry error: null.
	if v.Strategy != "password" {
		out["error"] = nil
	}
	if v.ExternalURL != "" {
		out["external_verification_redirect_url"] = v.ExternalURL
	}
	if v.Error != nil {
		out["error"] = v.Error
	}
	return out
}

// firstFactors lists what a user can sign in with, as the sign-in exposes it.
func firstFactors(u *userRecord) []object {
	out := []object{}
	if u.PasswordHash != "" {
		out = append(out, object{"strategy": "password"})
	}
	if e := u.primaryEmail(); e != nil {
		out = append(out, object{"strategy": "email_code", "safe_identifier": e.Address, "email_address_id": e.ID, "primary": true})
	}
	for _, a := range u.External {
		out = append(out, object{"strategy": a.Provider})
	}
	return out
}

func (r *render) signIn(si *signInRecord, cl *clientRecord) (object, error) {
	var factors, second any
	var userData any
	if si.UserID != "" && si.Status != "complete" {
		u, err := r.t.user(si.UserID)
		if err != nil {
			return nil, err
		}
		if u != nil {
			factors = firstFactors(u)
			second = secondFactors(u, si)
			userData = object{"first_name": nullIfEmpty(u.FirstName), "last_name": nullIfEmpty(u.LastName), "image_url": r.userImage(u), "has_image": u.ImageID != ""}
		}
	}
	// Identifiers only: the spec's Client.SignIn-2 supported_identifiers enum has
	// no oauth_* (clerk/openapi-specs fapi/2026-05-12.yml); providers are factors.
	supported := []string{"email_address"}
	return object{
		"object": "sign_in_attempt", "id": si.ID, "status": si.Status,
		"supported_identifiers": supported, "supported_first_factors": factors,
		"supported_second_factors":  second,
		"first_factor_verification": r.verification(si.FirstFactor), "second_factor_verification": r.verification(si.SecondFactor),
		"identifier": nullIfEmpty(si.Identifier), "user_data": userData,
		"created_session_id": nullIfEmpty(si.CreatedSessionID), "abandon_at": si.AbandonAt,
		"locale": nil, "client_trust_state": r.s.trustState(cl, si),
	}, nil
}

func (r *render) signUp(su *signUpRecord) object {
	var unverified []string
	if su.EmailAddress != "" && (su.EmailVerification == nil || su.EmailVerification.Status != "verified") {
		unverified = append(unverified, "email_address")
	}
	var emailVerification any
	if v := su.EmailVerification; v != nil {
		ev := r.verification(v).(object)
		ev["next_action"] = "needs_attempt"
		if v.Status == "verified" {
			ev["next_action"] = ""
		}
		ev["supported_strategies"] = []string{"email_code"}
		emailVerification = ev
	} else if su.EmailAddress != "" {
		emailVerification = object{"object": "verification_otp", "status": "unverified", "strategy": nil, "attempts": nil, "expire_at": nil,
			"next_action": "needs_prepare", "supported_strategies": []string{"email_code"}}
	}
	optional := []string{"first_name", "last_name"}
	for _, p := range socialProviders {
		optional = append(optional, p.strategy)
	}
	required := []string{"email_address"}
	if su.ExternalVerification == nil {
		required = append(required, "password")
	}
	return object{
		"object": "sign_up_attempt", "id": su.ID, "status": su.Status,
		"required_fields": required, "optional_fields": optional,
		"missing_fields": nonNil(su.missingFields()), "unverified_fields": nonNil(unverified),
		"verifications": object{
			"email_address": emailVerification, "phone_number": nil, "web3_wallet": nil,
			"external_account": r.verification(su.ExternalVerification),
		},
		"username": nil, "email_address": nullIfEmpty(su.EmailAddress), "phone_number": nil, "web3_wallet": nil,
		"password_enabled": su.PasswordHash != "", "first_name": nullIfEmpty(su.FirstName), "last_name": nullIfEmpty(su.LastName),
		"unsafe_metadata": nonNilMap(su.UnsafeMetadata), "public_metadata": object{}, "custom_action": false,
		"external_id": nil, "created_session_id": nullIfEmpty(su.CreatedSessionID), "created_user_id": nullIfEmpty(su.CreatedUserID),
		"abandon_at": su.AbandonAt, "legal_accepted_at": nullIfZero(su.LegalAcceptedAt), "locale": nil,
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullIfZero(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nonNilObjects(s []object) []object {
	if s == nil {
		return []object{}
	}
	return s
}
