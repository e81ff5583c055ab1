package emulator

// Instance settings the emulator advertises in GET /v1/environment and enforces.
const (
	applicationName   = "Desk Clerk (local emulator)"
	minPasswordLength = 8
)

// socialProviders are the OAuth strategies the consent-page stand-in serves.
var socialProviders = []struct{ strategy, name string }{
	{"oauth_github", "GitHub"},
	{"oauth_google", "Google"},
}

func socialProviderName(strategy string) (string, bool) {
	for _, p := range socialProviders {
		if p.strategy == strategy {
			return p.name, true
		}
	}
	return "", false
}

func attribute(enabled, required, firstFactor bool, firstFactors, verifications []string) map[string]any {
	return map[string]any{
		"enabled":                enabled,
		"required":               required,
		"used_for_first_factor":  firstFactor,
		"first_factors":          nonNil(firstFactors),
		"used_for_second_factor": false,
		"second_factors":         []string{},
		"verifications":          nonNil(verifications),
		"verify_at_sign_up":      len(verifications) > 0,
		"immutable":              false,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// environmentJSON is the bare body of GET /v1/environment. Shapes follow the
// FAPI spec (Client.Environment) and recorded responses; the values describe
// what the emulator implements: email + password, email codes, GitHub and
// Google through the local consent page, single-session mode unless
// Options.MultiSession, no CAPTCHA.
func (s *Server) environmentJSON() map[string]any {
	oauth := make([]string, 0, len(socialProviders))
	social := map[string]any{}
	for _, p := range socialProviders {
		oauth = append(oauth, p.strategy)
		social[p.strategy] = map[string]any{
			"enabled":                  true,
			"required":                 false,
			"authenticatable":          true,
			"block_email_subaddresses": false,
			"strategy":                 p.strategy,
			"not_selectable":           false,
			"deprecated":               false,
			"name":                     p.name,
			"logo_url":                 "",
		}
	}
	firstFactors := append([]string{"email_code", "password"}, oauth...)
	off := attribute(false, false, false, nil, nil)
	return map[string]any{
		"object": "environment",
		"id":     "env_" + s.keys.kid[len("ins_"):],
		"auth_config": map[string]any{
			"object":                                "auth_config",
			"id":                                    "aac_" + s.keys.kid[len("ins_"):],
			"first_name":                            "on",
			"last_name":                             "on",
			"email_address":                         "required",
			"phone_number":                          "off",
			"username":                              "off",
			"password":                              "required",
			"identification_requirements":           [][]string{append([]string{"email_address"}, oauth...)},
			"identification_strategies":             append([]string{"email_address", "password"}, oauth...),
			"first_factors":                         firstFactors,
			"second_factors":                        []string{},
			"email_address_verification_strategies": []string{"email_code"},
			"single_session_mode":                   !s.multiSession,
			"enhanced_email_deliverability":         false,
			"test_mode":                             true,
			"cookieless_dev":                        false,
			"url_based_session_syncing":             true,
			"claimed_at":                            nil,
			"reverification":                        false,
			"native_settings": map[string]any{
				"object":                         "native_settings",
				"api_enabled":                    true,
				"trusted_device_sign_in_enabled": false,
				"trusted_device_enrollment_prompt_after_sign_in_enabled": false,
				"trusted_device_enrollment_prompt_after_sign_up_enabled": false,
			},
		},
		"display_config": map[string]any{
			"object":                    "display_config",
			"id":                        "display_config_" + s.keys.kid[len("ins_"):],
			"instance_environment_type": s.environmentType(),
			"application_name":          applicationName,
			"theme": map[string]any{
				"buttons":  map[string]any{"font_color": "#ffffff", "font_family": "sans-serif", "font_weight": "600"},
				"general":  map[string]any{"color": "#6c47ff", "padding": "1em", "box_shadow": "0 2px 8px rgba(0, 0, 0, 0.2)", "font_color": "#151515", "font_family": "sans-serif", "border_radius": "0.5em", "background_color": "#ffffff", "label_font_weight": "600"},
				"accounts": map[string]any{"background_color": "#ffffff"},
			},
			"preferred_sign_in_strategy": "password",
			"logo_image_url":             "",
			"favicon_image_url":          "",
			// Relative URLs: any navigation ClerkJS falls back to stays inside the
			// embedding app rather than leaving for an account portal that does not exist.
			"home_url":                       "/",
			"sign_in_url":                    "/sign-in",
			"sign_up_url":                    "/sign-up",
			"user_profile_url":               "/user",
			"waitlist_url":                   "/waitlist",
			"after_sign_in_url":              "/",
			"after_sign_up_url":              "/",
			"after_sign_out_one_url":         "/",
			"after_sign_out_all_url":         "/",
			"after_switch_session_url":       "/",
			"after_join_waitlist_url":        "/",
			"organization_profile_url":       "/organization",
			"create_organization_url":        "/create-organization",
			"after_leave_organization_url":   "/",
			"after_create_organization_url":  "/",
			"logo_link_url":                  "/",
			"support_email":                  nil,
			"branded":                        true,
			"experimental_force_oauth_first": false,
			"clerk_js_version":               "6",
			"show_devmode_warning":           true,
			"google_one_tap_client_id":       nil,
			"help_url":                       nil,
			"privacy_policy_url":             "",
			"terms_url":                      "",
			"logo_url":                       nil,
			"favicon_url":                    nil,
			"logo_image":                     nil,
			"favicon_image":                  nil,
			"captcha_public_key":             nil,
			"captcha_widget_type":            nil,
			"captcha_public_key_invisible":   nil,
			"captcha_provider":               nil,
			"captcha_oauth_bypass":           []string{},
		},
		"user_settings": map[string]any{
			"attributes": map[string]any{
				"email_address":     attribute(true, true, true, []string{"email_code"}, []string{"email_code"}),
				"phone_number":      off,
				"username":          off,
				"web3_wallet":       off,
				"first_name":        attribute(true, false, false, nil, nil),
				"last_name":         attribute(true, false, false, nil, nil),
				"password":          attribute(true, true, true, nil, nil),
				"authenticator_app": off,
				"ticket":            off,
				"backup_code":       off,
				"passkey":           off,
			},
			"sign_in": map[string]any{"second_factor": map[string]any{"required": false}},
			"sign_up": map[string]any{
				"captcha_enabled":        false,
				"captcha_widget_type":    "smart",
				"custom_action_required": false,
				"progressive":            true,
				"mode":                   "public",
				"legal_consent_enabled":  false,
				"mfa":                    map[string]any{"required": false},
			},
			"restrictions": map[string]any{
				"allowlist": map[string]any{"enabled": false},
				"blocklist": map[string]any{"enabled": false},
				"allowlist_blocklist_disabled_on_sign_in": map[string]any{"enabled": false},
				"block_email_subaddresses":                map[string]any{"enabled": false},
				"block_disposable_email_domains":          map[string]any{"enabled": false},
			},
			"username_settings": map[string]any{"min_length": 4, "max_length": 64, "allow_extended_special_characters": false},
			"actions":           map[string]any{"delete_self": true, "create_organization": false, "create_organizations_limit": nil},
			"attack_protection": map[string]any{
				"user_lockout":           map[string]any{"enabled": true, "max_attempts": maxFailedAttempts, "duration_in_minutes": int(failureWindow.Minutes())},
				"pii":                    map[string]any{"enabled": true},
				"email_link":             map[string]any{"require_same_client": false},
				"enumeration_protection": map[string]any{"enabled": false},
			},
			"passkey_settings": map[string]any{"allow_autofill": false, "show_sign_in_button": false},
			"social":           social,
			"enterprise_sso":   map[string]any{"enabled": false},
			"password_settings": map[string]any{
				"disable_hibp":               true,
				"min_length":                 minPasswordLength,
				"max_length":                 0,
				"require_special_char":       false,
				"require_numbers":            false,
				"require_uppercase":          false,
				"require_lowercase":          false,
				"show_zxcvbn":                false,
				"min_zxcvbn_strength":        0,
				"enforce_hibp_on_sign_in":    false,
				"allowed_special_characters": "+$-_",
			},
		},
		"organization_settings": map[string]any{
			"enabled":                      true,
			"max_allowed_memberships":      5,
			"force_organization_selection": false,
			"actions":                      map[string]any{"admin_delete": false},
			"domains":                      map[string]any{"enabled": false, "enrollment_modes": []string{}, "default_role": "org:member"},
			"slug":                         map[string]any{"disabled": false},
			"creator_role":                 "org:admin",
		},
		"fraud_settings": map[string]any{"object": "fraud_settings", "native": map[string]any{"device_attestation_mode": "disabled"}},
		"commerce_settings": map[string]any{"billing": map[string]any{
			"enabled": false, "has_paid_user_plans": false, "has_paid_org_plans": false,
			"free_trial_requires_payment_method": false,
			"user":                               map[string]any{"enabled": false, "has_paid_plans": false},
			"organization":                       map[string]any{"enabled": false, "has_paid_plans": false},
		}},
		"api_keys_settings":   map[string]any{"enabled": s.apiKeys, "user_api_keys_enabled": s.apiKeys, "orgs_api_keys_enabled": false},
		"protect_config":      map[string]any{"loaders": []any{}},
		"maintenance_mode":    false,
		"client_debug_mode":   false,
		"partitioned_cookies": false,
	}
}
