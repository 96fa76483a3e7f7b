package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// loadCaddyOnFreePort runs Caddy in this process with the Caddyfile that
// build writes for a free loopback port, as loadCaddy does, and returns
// the port. A port that another process takes between the choice and the
// load is replaced by another, at most three times; the failure gives
// each try's reason. (The ports the kernel hands out, 32768 and up on
// Linux, are above every port that browsers refuse to fetch from.)
func loadCaddyOnFreePort(t *testing.T, build func(port int) string) int {
	t.Helper()
	var reasons []string
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("choosing a port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cfg, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(build(port)), nil)
		if err != nil {
			t.Fatalf("adapting: %v", err)
		}
		for _, w := range warnings {
			t.Logf("caddyfile warning: %s", w.Message)
		}
		err = caddy.Load(cfg, true)
		if err == nil {
			t.Cleanup(func() { _ = caddy.Stop() })
			return port
		}
		reasons = append(reasons, fmt.Sprintf("port %d: %v", port, err))
		if !strings.Contains(err.Error(), "address already in use") {
			break // not a port taken under us: retrying would not help
		}
	}
	t.Fatalf("loading Caddy: %s", strings.Join(reasons, "; "))
	return 0
}
