package e2e

import "github.com/corsedge/caddy-cors/internal/testport"

// reservePort returns a TCP port that is this test binary's for its whole
// run (testport.Reserve: no other socket gets it, Caddy binds it at each
// load). The suite had fixed ports, 9180 and 9181: every e2e binary
// running at the same time on one machine bound them too (Caddy listens
// with SO_REUSEPORT, so without an error), and the kernel split the
// browsers' connections between Caddys with different configs.
func reservePort() int {
	port, _, err := testport.Reserve()
	if err != nil {
		panic(err)
	}
	return port
}
