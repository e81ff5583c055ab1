package demoapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The example from Svix's documentation: a published secret, message and signature.
const (
	svixSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	svixID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	svixTS     = 1614265330
	svixBody   = `{"test": 2432232314}`
	svixSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignWebhookMatchesSvixDocs(t *testing.T) {
	got, err := SignWebhook(svixSecret, svixID, time.Unix(svixTS, 0), []byte(svixBody))
	if err != nil || got != svixSig {
		t.Fatalf("SignWebhook = %q, %v; want %q", got, err, svixSig)
	}
}

func TestVerifyWebhook(t *testing.T) {
	at := time.Unix(svixTS, 0)
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		h.Set("svix-id", id)
		h.Set("svix-timestamp", ts)
		h.Set("svix-signature", sig)
		return h
	}
	tests := []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{"valid", hdr(svixID, "1614265330", svixSig), svixBody, at, nil},
		{"valid among several", hdr(svixID, "1614265330", "v1,bm90IHRoaXM= v2,xyz "+svixSig), svixBody, at, nil},
		{"valid within tolerance", hdr(svixID, "1614265330", svixSig), svixBody, at.Add(4 * time.Minute), nil},
		{"tampered body", hdr(svixID, "1614265330", svixSig), `{"test": 2432232315}`, at, ErrWebhookSignature},
		{"other message id", hdr("msg_other", "1614265330", svixSig), svixBody, at, ErrWebhookSignature},
		{"other timestamp", hdr(svixID, "1614265331", svixSig), svixBody, at, ErrWebhookSignature},
		{"wrong version", hdr(svixID, "1614265330", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), svixBody, at, ErrWebhookSignature},
		{"not base64", hdr(svixID, "1614265330", "v1,!!!"), svixBody, at, ErrWebhookSignature},
		{"too old", hdr(svixID, "1614265330", svixSig), svixBody, at.Add(6 * time.Minute), ErrWebhookTimestamp},
		{"too new", hdr(svixID, "1614265330", svixSig), svixBody, at.Add(-6 * time.Minute), ErrWebhookTimestamp},
		{"timestamp not a number", hdr(svixID, "yesterday", svixSig), svixBody, at, ErrWebhookTimestamp},
		{"no signature", hdr(svixID, "1614265330", ""), svixBody, at, ErrWebhookHeaders},
		{"no id", hdr("", "1614265330", svixSig), svixBody, at, ErrWebhookHeaders},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyWebhook(svixSecret, tc.h, []byte(tc.body), tc.now, DefaultWebhookTolerance)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("VerifyWebhook = %v, want %v", err, tc.want)
			}
		})
	}
	if err := VerifyWebhook("whsec_%%%", hdr(svixID, "1614265330", svixSig), []byte(svixBody), at, DefaultWebhookTolerance); err == nil {
		t.Error("a malformed secret verified something")
	}
}

func TestNormalizeColor(t *testing.T) {
	if len(cssColors) != 148 {
		t.Errorf("%d CSS colour names, want 148", len(cssColors))
	}
	for _, tc := range []struct{ in, color, hex string }{
		{"#FFFFFF", "#ffffff", "#ffffff"},
		{"#0a0B0c", "#0a0b0c", "#0a0b0c"},
		{"rebeccapurple", "rebeccapurple", "#663399"},
		{"  DarkSlateGrey ", "darkslategrey", "#2f4f4f"},
		{"aqua", "aqua", "#00ffff"},
	} {
		c, h, err := NormalizeColor(tc.in)
		if err != nil || c != tc.color || h != tc.hex {
			t.Errorf("NormalizeColor(%q) = %q, %q, %v", tc.in, c, h, err)
		}
	}
	for _, in := range []string{"", "#", "#fff", "#ffff", "#fffffff", "#gggggg", "ffffff", "red;", "currentcolor", "transparent", "rgb(0,0,0)", "blurple"} {
		if _, _, err := NormalizeColor(in); err == nil {
			t.Errorf("NormalizeColor(%q) accepted", in)
		}
	}
}

func ExampleNormalizeColor() {
	color, hex, _ := NormalizeColor("RebeccaPurple")
	fmt.Println(color, hex)
	// Output: rebeccapurple #663399
}
