package service_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"deskclerk/auth/service"
	"deskclerk/emulator"
	"deskclerk/internal/config"
)

// The keychain read made at process start sees the snapshot and the client token
// a previous run stored, before the rest of the stack starts; the stack then uses
// the same stores (a change through it is what the early reader shows), and a
// read made for another instance is not taken over.
func TestEarlyReadTakenOverByStart(t *testing.T) {
	h := start(t)
	h.remember(t)
	h.svc.Snapshots.Flush(context.Background())
	h.svc.Close()

	ctx := context.Background()
	cfg := config.Config{EmulatorURL: h.fapi, APIURL: h.em.APIURL()}
	log := slog.New(slog.DiscardHandler)
	early := service.OpenEarly(ctx, cfg, emulator.FrontendAPIHost, log, h.store)
	if early.Host() != emulator.FrontendAPIHost {
		t.Fatalf("early read for host %q", early.Host())
	}
	snap, ok := early.Snapshot(5 * time.Second)
	if !ok || snap.SessionID != h.sid || snap.Email != h.user.Email {
		t.Fatalf("early snapshot = %+v, %v", snap, ok)
	}
	local := func(context.Context, config.Config, *slog.Logger) (service.Local, error) {
		return emulator.Remote{URL: h.fapi}, nil
	}
	svc, err := service.StartWith(ctx, early, cfg, log, h.store, local, service.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	defer early.Close() // a no-op: the service took the stores over
	if tok, err := svc.Store.Load(ctx); err != nil || tok == "" {
		t.Fatalf("client token through the taken-over store: %v", err)
	}
	if c := svc.Confirm(ctx); c.State != "confirmed" {
		t.Fatalf("confirm with the early stores: %+v", c)
	}
	if err := svc.ForgetSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := early.Snapshot(time.Second); ok {
		t.Fatal("the early reader still shows a snapshot the service forgot: not the same store")
	}

	// Read for another host: the service reads its own entries.
	other := service.OpenEarly(ctx, cfg, "other.example.invalid", log, h.store)
	svc2, err := service.StartWith(ctx, other, cfg, log, h.store, local, service.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	if tok, err := svc2.Store.Load(ctx); err != nil || tok == "" {
		t.Fatalf("client token after a foreign early read: %v", err)
	}
}
