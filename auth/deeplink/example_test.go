package deeplink_test

import (
	"context"
	"fmt"
	"strings"

	"deskclerk/auth/deeplink"
	"deskclerk/auth/loopback"
)

func ExampleManager() {
	var m *deeplink.Manager
	var redirect string
	// A stand-in for the browser: Clerk redirects to the scheme URL, the OS starts a
	// second process with it, and the single-instance lock hands its arguments over.
	browser := loopback.OpenerFunc(func(string) error {
		go func() {
			m.Deliver([]string{"deskclerk://oauth-callback?deskclerk_state=guess"}) // ignored
			m.Deliver([]string{redirect + "&rotating_token_nonce=rtn_example"})
		}()
		return nil
	})
	m, _ = deeplink.NewManager(deeplink.Config{Scheme: "deskclerk", Opener: browser})
	defer m.Close()
	redirect, _ = m.Begin() // for ClerkJS's transport.getRedirectUrl()
	fmt.Println(m.BaseURL(), strings.HasPrefix(redirect, m.BaseURL()+"?deskclerk_state="))
	res, err := m.Open(context.Background(), "https://clerk.example.com/v1/oauth")
	fmt.Println(res.Nonce, err)
	// Output:
	// deskclerk://oauth-callback true
	// rtn_example <nil>
}
