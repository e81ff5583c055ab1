package loopback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
)

// bindAttempts bounds the search for an ephemeral port that is free on both 127.0.0.1
// and [::1].
const bindAttempts = 8

// listenLoopback binds 127.0.0.1 and, unless disabled, [::1] on the same port. Only IP
// literals are used: "localhost" may resolve elsewhere and 0.0.0.0 would expose the
// listener to the network (RFC 8252 §8.3). The IPv4 listener, when there is one, comes
// first: the redirect URL names it.
func listenLoopback(port int, ipv6 bool, log *slog.Logger) ([]net.Listener, error) {
	lc := listenConfig()
	ctx := context.Background()
	listen := func(network, ip string, p int) (net.Listener, error) {
		return lc.Listen(ctx, network, net.JoinHostPort(ip, strconv.Itoa(p)))
	}
	inUse := func() error {
		return fmt.Errorf("%w: %d", ErrPortInUse, port)
	}

	for attempt := 0; attempt < bindAttempts; attempt++ {
		l4, err4 := listen("tcp4", "127.0.0.1", port)
		if err4 != nil {
			if port != 0 && isAddrInUse(err4) {
				return nil, inUse()
			}
			if !ipv6 {
				return nil, fmt.Errorf("%w: %w", ErrNoLoopback, err4)
			}
			// No IPv4 loopback on this machine: serve [::1] alone.
			l6, err6 := listen("tcp6", "::1", port)
			if err6 != nil {
				if port != 0 && isAddrInUse(err6) {
					return nil, inUse()
				}
				return nil, fmt.Errorf("%w: %w", ErrNoLoopback, errors.Join(err4, err6))
			}
			log.Debug("loopback: IPv4 loopback unavailable, listening on [::1] only", "err", err4)
			return []net.Listener{l6}, nil
		}
		if !ipv6 {
			return []net.Listener{l4}, nil
		}
		p := l4.Addr().(*net.TCPAddr).Port
		l6, err6 := listen("tcp6", "::1", p)
		if err6 == nil {
			return []net.Listener{l4, l6}, nil
		}
		if port == 0 && isAddrInUse(err6) {
			// Someone holds [::1] on the port we drew; draw another one.
			_ = l4.Close()
			continue
		}
		// No IPv6 loopback, or a fixed port taken on [::1] only. The redirect URL names
		// 127.0.0.1, so the browser never goes to [::1]: IPv4 alone is enough.
		log.Debug("loopback: [::1] not bound, listening on 127.0.0.1 only", "err", err6)
		return []net.Listener{l4}, nil
	}
	log.Debug("loopback: no ephemeral port free on both 127.0.0.1 and [::1], using 127.0.0.1 only")
	l4, err := listen("tcp4", "127.0.0.1", 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoLoopback, err)
	}
	return []net.Listener{l4}, nil
}
