package loopback_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"deskclerk/auth/browseropen"
	"deskclerk/auth/loopback"
)

// The app wires ClerkJS's OAuth transport to a Manager: getRedirectUrl() calls Begin,
// open(url) calls Open and resolves with {callbackUrl: res.CallbackURL}.
func ExampleManager() {
	// A stand-in for Clerk: its sign-in URL redirects straight back with a nonce.
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		back := r.URL.Query().Get("redirect_url") + "?rotating_token_nonce=rtn_example"
		http.Redirect(w, r, back, http.StatusFound)
	}))
	defer clerk.Close()

	m := loopback.NewManager(loopback.ManagerConfig{
		Options: loopback.Options{
			OnDone: func(loopback.Result, error) {
				// In the app: runtime.WindowUnminimise(ctx); runtime.WindowShow(ctx)
				fmt.Println("bring the window to the front")
			},
		},
		Opener: browseropen.System{
			AllowHTTPLoopback: true, // the local emulator; production Clerk is https
			Launch: func(u string) error { // a scripted browser instead of the real one
				resp, err := http.Get(u)
				if err == nil {
					resp.Body.Close()
				}
				return err
			},
		},
		OnOpenFailed: func(authURL string, err error) {
			// In the app: emit an event so the window shows authURL with a Copy button.
		},
	})
	defer m.Close()

	redirectURL, err := m.Begin() // → ClerkJS transport.getRedirectUrl()
	if err != nil {
		fmt.Println(loopback.UserMessage(err))
		return
	}
	// ClerkJS creates the sign-in with redirectURL and calls transport.open(url):
	authURL := clerk.URL + "/v1/oauth?redirect_url=" + url.QueryEscape(redirectURL)
	res, err := m.Open(context.Background(), authURL)
	if err != nil {
		fmt.Println(loopback.UserMessage(err))
		return
	}
	if err := res.Err(); err != nil {
		fmt.Println(loopback.UserMessage(err)) // and still hand the URL to ClerkJS
	}
	fmt.Println(strings.HasPrefix(res.CallbackURL, redirectURL+"?rotating_token_nonce="))
	fmt.Println(res) // redacted
	// Output:
	// bring the window to the front
	// true
	// loopback.Result{Nonce: [redacted], CallbackURL: [redacted]}
}

func ExampleStart() {
	f, err := loopback.Start(context.Background(), loopback.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A stray request does not end the flow.
	resp, err := http.Get(f.RedirectURL() + "?rotating_token_nonce=") // an empty nonce
	if err == nil {
		resp.Body.Close()
		fmt.Println(resp.StatusCode, f.Ended())
	}
	f.Cancel()
	_, err = f.Wait(context.Background())
	fmt.Println(errors.Is(err, loopback.ErrCanceled))
	// Output:
	// 400 false
	// true
}

func ExampleResult_Err() {
	// What Open returns when Clerk redirects with __clerk_status=failed.
	res := loopback.Result{Failed: true, ErrorCode: "oauth_access_denied"}
	var pe *loopback.ProviderError
	if errors.As(res.Err(), &pe) {
		fmt.Println(pe.Code, pe.Transfer)
		fmt.Println(pe.Message)
	}
	// Output:
	// oauth_access_denied false
	// Sign-in was cancelled, or the provider did not grant access. You can try again.
}

func ExampleUserMessage() {
	fmt.Println(loopback.UserMessage(loopback.ErrTimeout))
	fmt.Println(loopback.UserMessage(fmt.Errorf("begin: %w", loopback.ErrBusy)))
	fmt.Println(loopback.Message("not_a_known_code"))
	// Output:
	// The browser did not finish sign-in in time. Try again.
	// A sign-in is already waiting for the browser. Finish it there, or cancel it first.
	// Sign-in with the provider did not complete. Try again, or use another sign-in method.
}
