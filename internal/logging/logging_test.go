package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// fakeSecretKey is assembled at run time so that no secret-key-shaped string sits in
// the tree (make test scans for them).
var fakeSecretKey = "sk_" + "test_" + strings.Repeat("a1", 10)

const sampleJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlLWJ5dGVz"

func TestRedact(t *testing.T) {
	tests := []struct {
		name    string
		log     func(*slog.Logger)
		secret  string
		visible string
	}{
		{"secret-named attribute", func(l *slog.Logger) { l.Info("saved", "client_token", "opaque-value-123") }, "opaque-value-123", "saved"},
		{"authorization header", func(l *slog.Logger) { l.Info("req", "Authorization", "Bearer abc.def") }, "abc.def", "req"},
		{"password", func(l *slog.Logger) { l.Warn("login", "password", "hunter2") }, "hunter2", "login"},
		{"jwt inside a message attribute", func(l *slog.Logger) { l.Info("call", "url", "https://x/?t="+sampleJWT) }, sampleJWT, "https://x/?t="},
		{"jwt inside an error", func(l *slog.Logger) { l.Error("failed", "err", errors.New("bad token "+sampleJWT)) }, sampleJWT, "bad token"},
		{"secret key shape", func(l *slog.Logger) { l.Info("cfg", "value", fakeSecretKey) }, fakeSecretKey, "cfg"},
		{"grouped", func(l *slog.Logger) { l.Info("g", slog.Group("req", "token", "grp-secret")) }, "grp-secret", "req.token"},
		// By value shape, whatever the attribute is called.
		{"client token under an innocent name", func(l *slog.Logger) { l.Info("saved", "value", sampleJWT) }, sampleJWT, "saved"},
		{"bearer of any shape", func(l *slog.Logger) { l.Info("req", "header", "Bearer opaque.value_123") }, "opaque.value_123", "Bearer"},
		{"svix secret", func(l *slog.Logger) { l.Info("cfg", "webhook", "whsec_"+"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") }, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "cfg"},
		// By explicit name.
		{"verification code", func(l *slog.Logger) { l.Info("sent", "verification_code", "424242") }, "424242", "sent"},
		{"suffix _token", func(l *slog.Logger) { l.Info("x", "session_token", "opaque-session") }, "opaque-session", "x"},
		{"dashed header name", func(l *slog.Logger) { l.Info("x", "Set-Cookie", "__client=abc123") }, "abc123", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(New(&buf, slog.LevelDebug))
			out := buf.String()
			if strings.Contains(out, tt.secret) {
				t.Fatalf("secret leaked: %s", out)
			}
			if !strings.Contains(out, tt.visible) {
				t.Fatalf("expected %q to stay visible: %s", tt.visible, out)
			}
		})
	}
}

// Clerk's error codes and other harmless values named like a secret used to be
// masked ("code" matched every key containing it); they must stay readable.
func TestHarmlessValuesStayVisible(t *testing.T) {
	for _, tt := range []struct{ key, value string }{
		{"code", "form_password_incorrect"},
		{"error_code", "session_exists"},
		{"status_code", "401"},
		{"encoding", "gzip"},
		{"tokens", "3"},
		{"keychain", "Secret Service"},
		{"path", "/v1/client/sessions/sess_1/tokens"},
		{"publishable_key", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"},
	} {
		var buf bytes.Buffer
		New(&buf, slog.LevelDebug).Info("event", tt.key, tt.value)
		if !strings.Contains(buf.String(), tt.value) || strings.Contains(buf.String(), Redacted) {
			t.Errorf("%s=%q was masked: %s", tt.key, tt.value, buf.String())
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "DEBUG": slog.LevelDebug, "warn": slog.LevelWarn, "error": slog.LevelError} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud): want an error")
	}
}

func ExampleNew() {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo)
	log.Info("client token rotated", "token", "very-secret")
	// The value never reaches the output.
	fmt.Println(strings.Contains(buf.String(), "very-secret"), strings.Contains(buf.String(), Redacted))
	// Output: false true
}
