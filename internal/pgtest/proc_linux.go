package pgtest

import (
	"fmt"
	"os"
	"syscall"
)

// serverProcAttr says how initdb and postgres run: as the current user, or as
// nobody when that is root (PostgreSQL refuses root), who then owns dir. The
// server gets SIGQUIT (immediate shutdown) when the test binary dies, even by
// SIGKILL, so no cluster outlives its tests.
func serverProcAttr(dir string) (func(server bool) *syscall.SysProcAttr, error) {
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		const nobody = 65534
		if err := os.Chown(dir, nobody, nobody); err != nil {
			return nil, fmt.Errorf("hand %s to nobody: %w", dir, err)
		}
		cred = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
	}
	return func(server bool) *syscall.SysProcAttr {
		a := &syscall.SysProcAttr{Credential: cred}
		if server {
			a.Pdeathsig = syscall.SIGQUIT
		}
		return a
	}, nil
}
