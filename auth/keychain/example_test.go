package keychain_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"deskclerk/auth/keychain"
)

// The gateway opens the store once, reads the client token on start, and
// saves every rotated Authorization header it receives.
func ExampleOpen() {
	ctx := context.Background()
	store := keychain.Open(ctx, keychain.Options{
		App:      "deskclerk",
		Instance: "clerk.example.com", // the Frontend API host
		Backend:  keychain.NewMemoryBackend(),
		// Production code leaves Backend nil: the OS keychain.
	})

	if _, err := store.Load(ctx); errors.Is(err, keychain.ErrNotFound) {
		fmt.Println("no client token yet: signed out")
	}
	if err := store.Save(ctx, "client-token-from-the-Authorization-header"); err != nil {
		fmt.Println("not saved:", err) // the token still works for this run; Health says why
	}
	token, _ := store.Load(ctx)
	fmt.Println(token)
	// Output:
	// no client token yet: signed out
	// client-token-from-the-Authorization-header
}

func ExampleOptions_ServiceName() {
	opts := keychain.Options{App: "deskclerk", Instance: "Clerk.Example.com"}
	fmt.Println(opts.ServiceName())
	// Output: deskclerk (clerk.example.com)
}

// lockedKeychain stands in for a Secret Service that refuses every call.
type lockedKeychain struct{}

func (lockedKeychain) Name() string { return keychain.BackendSecretService }
func (lockedKeychain) Get(string, string) (string, error) {
	return "", errors.New("failed to unlock correct collection")
}
func (lockedKeychain) Set(string, string, string) error { return errors.New("locked") }
func (lockedKeychain) Delete(string, string) error      { return errors.New("locked") }

// When no keychain works the store keeps the token in memory for this run
// and Health tells the UI what to say.
func ExampleStore_Health() {
	store := keychain.Open(context.Background(), keychain.Options{
		App: "deskclerk", Instance: "clerk.example.com",
		Backend: lockedKeychain{}, Timeout: time.Second,
	})
	defer store.Close() // it keeps trying the keychain until then
	h := store.Health()
	fmt.Println(h.Backend, h.Persistent, errors.Is(h.Err, keychain.ErrUnavailable), h.Retrying)
	fmt.Println(h.Summary())
	// Output:
	// memory only false true true
	// You will not stay signed in after the app closes unless the Secret Service answers; it has not yet (keychain load: Secret Service read manifest: keychain unavailable: failed to unlock correct collection). Desk Clerk keeps trying.
}

// Rotations may race; the most recent Save call wins, whatever order the
// writes finish in.
func ExampleStore_Save() {
	ctx := context.Background()
	store := keychain.Open(ctx, keychain.Options{App: "deskclerk", Instance: "clerk.example.com", Backend: keychain.NewMemoryBackend()})
	_ = store.Save(ctx, "token-1")
	_ = store.Save(ctx, "token-2")
	v, _ := store.Load(ctx)
	fmt.Println(v)
	_ = store.Delete(ctx) // sign-out: manifest and every chunk
	_, err := store.Load(ctx)
	fmt.Println(errors.Is(err, keychain.ErrNotFound))
	// Output:
	// token-2
	// true
}
