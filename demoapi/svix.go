package demoapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Svix-style webhook signatures, as Clerk sends them: the svix-signature header
// holds space-separated "v1,<base64 HMAC-SHA256>" entries over
// "<svix-id>.<svix-timestamp>.<body>", keyed with the base64 part of a whsec_ secret.

// DefaultWebhookTolerance is how far svix-timestamp may be from now (Svix's default).
const DefaultWebhookTolerance = 5 * time.Minute

// Reasons a webhook is refused; VerifyWebhook's errors wrap one of them.
var (
	ErrWebhookHeaders   = errors.New("missing svix headers")
	ErrWebhookTimestamp = errors.New("svix-timestamp outside the tolerance")
	ErrWebhookSignature = errors.New("no valid svix-signature")
)

func webhookKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhook secret is not base64 after whsec_")
	}
	return key, nil
}

func webhookMAC(key []byte, msgID string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", msgID, ts)
	m.Write(body)
	return m.Sum(nil)
}

// SignWebhook returns the svix-signature header value for a message.
func SignWebhook(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := webhookKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(webhookMAC(key, msgID, ts.Unix(), body)), nil
}

// VerifyWebhook checks the svix headers of a delivery against secret.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := webhookKey(secret)
	if err != nil {
		return err
	}
	msgID, tsRaw, sigs := h.Get("svix-id"), h.Get("svix-timestamp"), h.Get("svix-signature")
	if msgID == "" || tsRaw == "" || sigs == "" {
		return ErrWebhookHeaders
	}
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: not a Unix time", ErrWebhookTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w (off by %s)", ErrWebhookTimestamp, d.Round(time.Second))
	}
	want := webhookMAC(key, msgID, ts, body)
	for _, sig := range strings.Fields(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrWebhookSignature
}

// CheckWebhookSecret reports whether secret is a usable whsec_ signing
// secret; the error never contains it.
func CheckWebhookSecret(secret string) error {
	_, err := webhookKey(secret)
	return err
}
