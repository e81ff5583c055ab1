package emulator_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"deskclerk/emulator"
)

// Start an emulator for a test or for the app's offline mode: ClerkJS takes
// PublishableKey() and FrontendAPIURL() (as proxyUrl); a verifier takes
// Issuer() and JWKSURL(); the app calls the demo API at APIURL().
func ExampleStart() {
	s, err := emulator.Start(context.Background(), emulator.Options{
		Dir:    "", // a temporary directory; the app passes os.UserConfigDir()/deskclerk/emulator
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	fmt.Println(s.Issuer())
	fmt.Println(s.PublishableKey())
	for _, u := range s.DemoUsers() {
		fmt.Println(u.Email, len(u.Password) > 0)
	}
	resp, err := http.Get(s.JWKSURL())
	if err == nil {
		fmt.Println("JWKS", resp.Status)
		resp.Body.Close()
	}
	// Output:
	// https://clerk.deskclerk.localhost
	// pk_test_Y2xlcmsuZGVza2NsZXJrLmxvY2FsaG9zdCQ
	// ada@example.com true
	// grace@example.com true
	// JWKS 200 OK
}
