//go:build unix

// Package testport reserves TCP ports for tests that run Caddy in their
// own process; it is imported by tests only.
package testport

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Reserve returns a TCP port that no other socket gets until release is
// called: a socket of the caller's holds it on every address with
// SO_REUSEPORT and never listens. The kernel hands the port to no other
// bind or outgoing connection, while Caddy, which listens with
// SO_REUSEPORT too, can bind it in the same process and, being the only
// one listening, gets all of its connections.
//
// A port picked free and then let go before Caddy binds it, or a fixed
// one, can be bound by another test binary running on the same machine
// at the same time; if that is a Caddy too, SO_REUSEPORT lets both bind
// without an error and the kernel splits the connections between them.
// The ports the kernel hands out (32768 and up on Linux) are above every
// port that browsers refuse to fetch from.
func Reserve() (port int, release func(), err error) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("reserving a port: socket: %w", err)
	}
	unix.CloseOnExec(fd)
	fail := func(step string, err error) (int, func(), error) {
		unix.Close(fd)
		return 0, nil, fmt.Errorf("reserving a port: %s: %w", step, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("SO_REUSEPORT", err)
	}
	// IPv4 too, as Caddy's ":port" and "localhost:port" listeners.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
		return fail("IPV6_V6ONLY", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet6{}); err != nil {
		return fail("bind", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	return sa.(*unix.SockaddrInet6).Port, func() { unix.Close(fd) }, nil
}
