package e2e

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// reservePort returns a TCP port that is this test binary's for its whole
// run. A socket of its own holds the port on every address with
// SO_REUSEPORT and never listens: the kernel gives the port to no other
// socket (neither to another bind nor to an outgoing connection), while
// Caddy, which listens with SO_REUSEPORT too, binds it at each load, and
// being the only one listening, gets all its connections.
//
// The suite had fixed ports (9180, 9181): every test binary running at
// the same time on one machine bound them as well (SO_REUSEPORT lets
// Caddy do that without an error), and the kernel split the browsers'
// connections between their Caddys, whose configs differ. The ports the
// kernel hands out (32768 and up on Linux) are above every port that
// browsers refuse to fetch from.
func reservePort() int {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
	if err != nil {
		panic(fmt.Sprintf("reserving a port: socket: %v", err))
	}
	unix.CloseOnExec(fd) // never closed: the reservation lasts as long as the process
	for _, opt := range []struct{ level, name, value int }{
		{unix.SOL_SOCKET, unix.SO_REUSEPORT, 1},
		{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0}, // IPv4 too, as Caddy's ":port"
	} {
		if err := unix.SetsockoptInt(fd, opt.level, opt.name, opt.value); err != nil {
			panic(fmt.Sprintf("reserving a port: setsockopt: %v", err))
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet6{}); err != nil {
		panic(fmt.Sprintf("reserving a port: bind: %v", err))
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		panic(fmt.Sprintf("reserving a port: getsockname: %v", err))
	}
	return sa.(*unix.SockaddrInet6).Port
}
