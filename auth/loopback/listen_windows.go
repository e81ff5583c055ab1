//go:build windows

package loopback

import (
	"errors"
	"net"
	"syscall"
)

const (
	// SO_EXCLUSIVEADDRUSE is (int)(~SO_REUSEADDR) in winsock2.h.
	soExclusiveAddrUse = ^syscall.SO_REUSEADDR
	wsaEACCES          = syscall.Errno(10013)
	wsaEADDRINUSE      = syscall.Errno(10048)
)

// listenConfig sets SO_EXCLUSIVEADDRUSE so no other program can bind the same port and
// steal the callback (RFC 8252 Appendix B.3).
func listenConfig() *net.ListenConfig {
	return &net.ListenConfig{
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, soExclusiveAddrUse, 1)
			}); err != nil {
				return err
			}
			return serr
		},
	}
}

// With SO_EXCLUSIVEADDRUSE a port held by another socket fails with WSAEACCES.
func isAddrInUse(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == wsaEADDRINUSE || errno == wsaEACCES
}
