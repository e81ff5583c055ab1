package config

import (
	"strconv"
	"strings"
)

// Setting is one configuration value in effect and where it came from, for
// diagnostics. No setting is a secret: the app has none to show.
type Setting struct {
	Name   string `json:"name"`   // the environment variable that sets it
	Value  string `json:"value"`  // "" when unset
	Source Source `json:"source"` // built-in, .env or environment
}

// Settings lists the configuration in effect, in a fixed order.
func (c Config) Settings() []Setting {
	port := ""
	if c.OAuthPort != 0 {
		port = strconv.Itoa(c.OAuthPort)
	}
	multi := ""
	if c.EmulatorMultiSession {
		multi = "true"
	}
	list := []Setting{
		{Name: EnvPublishableKey, Value: c.PublishableKey},
		{Name: EnvAPIURL, Value: c.APIURL},
		{Name: EnvAuthorizedParties, Value: strings.Join(c.AuthorizedParties, ",")},
		{Name: EnvLogLevel, Value: strings.ToLower(c.LogLevel.String())},
		{Name: EnvEmulatorDir, Value: c.EmulatorDir},
		{Name: EnvEmulatorURL, Value: c.EmulatorURL},
		{Name: EnvEmulatorMultiSession, Value: multi},
		{Name: EnvOAuthPort, Value: port},
	}
	for i := range list {
		list[i].Source = c.Sources[list[i].Name]
		if list[i].Source == "" {
			list[i].Source = SourceBuiltIn
		}
	}
	return list
}
