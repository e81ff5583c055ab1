//go:build !windows

package loopback

import (
	"errors"
	"net"
	"syscall"
)

// On Unix, Go sets SO_REUSEADDR on listeners, which only lets a port in TIME_WAIT be
// reused; a port another socket is listening on still fails with EADDRINUSE.
func listenConfig() *net.ListenConfig { return &net.ListenConfig{} }

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
