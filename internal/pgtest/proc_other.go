//go:build !linux

package pgtest

import (
	"errors"
	"syscall"
)

func serverProcAttr(string) (func(bool) *syscall.SysProcAttr, error) {
	return nil, errors.New("a private PostgreSQL cluster is started on Linux only; elsewhere set " + EnvURL + " to a server's postgres:// URL")
}
