package doctor_test

import (
	"context"
	"os"

	"deskclerk/auth/keychain"
	"deskclerk/internal/config"
	"deskclerk/internal/doctor"
)

// A support script runs the checks and exits non-zero when one fails. Here the
// instance is left out, so only the local checks run.
func ExampleRun() {
	rep := doctor.Run(context.Background(), doctor.Env{
		Build:           doctor.Build{Version: "1.0.0", Channel: "release"},
		Config:          config.Config{PublishableKey: "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k", Channel: "release"},
		Keychain:        keychain.NewMemoryBackend(),
		InstanceProblem: "no instance configured in this example",
	})
	for _, c := range rep.Checks[:2] {
		os.Stdout.WriteString(string(c.Status) + " " + c.ID + ": " + c.Summary + "\n")
	}
	os.Stdout.WriteString(string(rep.Checks[5].Status) + " keychain: " + rep.Checks[5].Summary + "\n")
	// Output:
	// ok build: Desk Clerk 1.0.0 (release)
	// ok config: Clerk instance from the publishable key
	// fail keychain: no working keychain: you will not stay signed in after a restart
}
