package emulator

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// What <UserProfile/> does, end to end at the Frontend API: add an address,
// verify it with the mailed code, make it primary, remove the old one.
func TestEmailAddressLifecycle(t *testing.T) {
	e := start(t, Options{})
	ada := e.user("ada@example.com")
	n := e.native()
	n.signIn(t, ada)

	// ClerkJS creates with a trailing slash (BaseResource's pathRoot).
	r := n.do("POST", "/v1/me/email_addresses/", url.Values{"email_address": {"ada.new@example.com"}}).must(t, 200)
	id := str(r.Body, "response", "id")
	if id == "" || dig(r.Body, "response", "verification") != nil {
		t.Fatalf("new address: %s", r.Raw)
	}
	if r := n.do("PATCH", "/v1/me", url.Values{"primary_email_address_id": {id}}); r.errCode() != "form_identification_not_verified" {
		t.Fatalf("an unverified address became primary: %d %s", r.Status, r.Raw)
	}
	n.do("POST", "/v1/me/email_addresses/"+id+"/prepare_verification", url.Values{"strategy": {"email_code"}}).must(t, 200)
	code, ok := e.LastEmailCode("ada.new@example.com")
	if !ok {
		t.Fatal("no code was mailed")
	}
	if r := n.do("POST", "/v1/me/email_addresses/"+id+"/attempt_verification", url.Values{"code": {"000000"}}); r.errCode() != "form_code_incorrect" && code != "000000" {
		t.Fatalf("wrong code: %d %s", r.Status, r.Raw)
	}
	r = n.do("POST", "/v1/me/email_addresses/"+id+"/attempt_verification", url.Values{"code": {code}}).must(t, 200)
	if str(r.Body, "response", "verification", "status") != "verified" {
		t.Fatalf("after the code: %s", r.Raw)
	}
	r = n.do("PATCH", "/v1/me", url.Values{"primary_email_address_id": {id}}).must(t, 200)
	if str(r.Body, "response", "primary_email_address_id") != id {
		t.Fatalf("primary: %s", r.Raw)
	}
	var oldID string
	for _, x := range dig(r.Body, "response", "email_addresses").([]any) {
		if m := x.(map[string]any); m["email_address"] == ada.Email {
			oldID = m["id"].(string)
		}
	}
	if r := n.do("DELETE", "/v1/me/email_addresses/"+id, nil); r.Status != 400 {
		t.Errorf("deleting the primary address: %d %s", r.Status, r.Raw)
	}
	r = n.do("DELETE", "/v1/me/email_addresses/"+oldID, nil).must(t, 200)
	if dig(r.Body, "response", "deleted") != true {
		t.Fatalf("delete: %s", r.Raw)
	}
	if r := n.do("POST", "/v1/me/email_addresses", url.Values{"email_address": {"grace@example.com"}}); r.errCode() != "form_identifier_exists" {
		t.Errorf("someone else's address: %d %s", r.Status, r.Raw)
	}
}

func TestChangePassword(t *testing.T) {
	e := start(t, Options{})
	ada := e.user("ada@example.com")
	n, other := e.native(), e.native()
	n.signIn(t, ada)
	other.signIn(t, ada)

	if r := n.do("POST", "/v1/me/change_password", url.Values{"current_password": {"wrong-password"}, "new_password": {"a-new-password-1"}}); r.errCode() != "form_password_incorrect" {
		t.Fatalf("wrong current password: %d %s", r.Status, r.Raw)
	}
	if r := n.do("POST", "/v1/me/change_password", url.Values{"current_password": {ada.Password}, "new_password": {"short"}}); r.errCode() != "form_password_length_too_short" {
		t.Fatalf("short password: %d %s", r.Status, r.Raw)
	}
	n.do("POST", "/v1/me/change_password", url.Values{
		"current_password": {ada.Password}, "new_password": {"a-new-password-1"}, "sign_out_of_other_sessions": {"true"},
	}).must(t, 200)
	if r := other.do("GET", "/v1/client", nil).must(t, 200); len(dig(r.Body, "response", "sessions").([]any)) != 0 {
		t.Errorf("the other device is still signed in: %s", r.Raw)
	}
	n.do("GET", "/v1/me", nil).must(t, 200) // this device stays signed in

	fresh := e.native()
	ada.Password = "a-new-password-1"
	fresh.signIn(t, ada) // fails the test unless the new password works
}

// a 1×1 PNG
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")

func TestProfileImageUploadAndDelete(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	n.signIn(t, e.user("ada@example.com"))

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "me.png")
	_, _ = fw.Write(tinyPNG)
	_ = mw.Close()
	r := n.doRaw("POST", "/v1/me/profile_image", mw.FormDataContentType(), body.Bytes()).must(t, 200)
	public := str(r.Body, "response", "public_url")
	if str(r.Body, "response", "object") != "image" || public == "" {
		t.Fatalf("upload: %s", r.Raw)
	}
	me := n.do("GET", "/v1/me", nil).must(t, 200)
	if str(me.Body, "response", "image_url") != public || dig(me.Body, "response", "has_image") != true {
		t.Fatalf("user after upload: %s", me.Raw)
	}
	resp, err := http.Get(public)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, tinyPNG) {
		t.Fatalf("served image: %s %d bytes", resp.Header.Get("Content-Type"), len(got))
	}

	// Not an image, and the base64 form ClerkJS sends for strings.
	var bad bytes.Buffer
	mw = multipart.NewWriter(&bad)
	fw, _ = mw.CreateFormFile("file", "x.html")
	_, _ = fw.Write([]byte("<script>alert(1)</script>"))
	_ = mw.Close()
	if r := n.doRaw("POST", "/v1/me/profile_image", mw.FormDataContentType(), bad.Bytes()); r.Status != 422 {
		t.Errorf("html as an avatar: %d %s", r.Status, r.Raw)
	}
	dataURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(tinyPNG)
	n.doRaw("POST", "/v1/me/profile_image", "application/octet-stream", []byte(dataURL)).must(t, 200)

	n.do("DELETE", "/v1/me/profile_image", nil).must(t, 200)
	me = n.do("GET", "/v1/me", nil).must(t, 200)
	if dig(me.Body, "response", "has_image") != false || !strings.Contains(str(me.Body, "response", "image_url"), "avatar.svg") {
		t.Fatalf("after delete: %s", me.Raw)
	}
	if r := n.do("DELETE", "/v1/me/profile_image", nil); r.Status != 404 {
		t.Errorf("deleting twice: %d", r.Status)
	}
}
