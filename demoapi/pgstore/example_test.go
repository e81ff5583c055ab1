package pgstore_test

import (
	"context"
	"log"
	"os"

	"deskclerk/demoapi"
	"deskclerk/demoapi/pgstore"
)

// Several API servers can share one database: each opens the store (the
// schema is migrated once, under an advisory lock) and serves from it.
func ExampleOpen() {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), nil) // postgres://user:pass@host/db
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	srv, err := demoapi.Start(ctx, demoapi.Config{
		Addr:          ":8080",
		Store:         store,
		WebhookSecret: os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET"),
		Issuer:        "https://clerk.example.com",
		JWKSURL:       "https://clerk.example.com/.well-known/jwks.json",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
}
