package verify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"deskclerk/auth/instance"
	"deskclerk/auth/internal/testjwt"
	"deskclerk/auth/verify"
)

// The usual set-up: the publishable key names the instance, which gives the
// issuer and the JWKS URL. New does not wait for the network; keys are
// fetched in the background. (Not run by go test: it would reach out to the
// instance.)
func ExampleNew() {
	inst, err := instance.FromPublishableKey("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k")
	if err != nil {
		log.Fatal(err)
	}
	v, err := verify.New(context.Background(), verify.Config{
		Issuer:            inst.Issuer,
		JWKSURL:           inst.JWKSURL,
		AuthorizedParties: []string{"wails://wails", "http://wails.localhost"},
		AZP:               verify.AZPOptional, // tokens minted from Go carry no azp
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	http.Handle("/api/", verify.Middleware(v)(http.NotFoundHandler()))
}

// Networkless verification with the PEM public key from Clerk's dashboard,
// and branching on the typed errors.
func ExampleVerifier_Verify() {
	key := testjwt.MustKey("ins_example") // stands in for the instance's signing key
	now := time.Unix(1_750_000_000, 0)
	v, err := verify.New(context.Background(), verify.Config{
		Issuer: "https://clerk.example.com",
		PEM:    key.PublicPEM(),
		AZP:    verify.AZPIgnore,
		Now:    func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	claims := testjwt.SessionClaims("https://clerk.example.com", "user_123", "sess_456", now)
	c, err := v.Verify(context.Background(), key.MustSign(claims, "ins_example", "RS256"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.UserID, c.SessionID, c.Expiry.Sub(now))

	claims["exp"] = now.Add(-time.Minute).Unix()
	_, err = v.Verify(context.Background(), key.MustSign(claims, "ins_example", "RS256"))
	fmt.Println(errors.Is(err, verify.ErrExpired))
	// Output:
	// user_123 sess_456 1m0s
	// true
}

// Protecting an API: handlers read the verified claims from the context.
func ExampleMiddleware() {
	key := testjwt.MustKey("ins_example")
	v, err := verify.New(context.Background(), verify.Config{
		Issuer: "https://clerk.example.com",
		PEM:    key.PublicPEM(),
		AZP:    verify.AZPIgnore,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", c.UserID)
	})
	srv := httptest.NewServer(verify.Middleware(v)(me))
	defer srv.Close()

	call := func(token string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		fmt.Printf("%d %s\n", res.StatusCode, body)
	}
	call(key.MustSign(testjwt.SessionClaims("https://clerk.example.com", "user_123", "sess_456", time.Now()), "ins_example", "RS256"))
	call("")
	// Output:
	// 200 hello user_123
	// 401 {"error":{"code":"unauthenticated","message":"missing bearer token"}}
}
