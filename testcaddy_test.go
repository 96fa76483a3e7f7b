package cors

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The integration tests run one Caddy in this process (caddytest), so they
// never run in parallel. Its admin endpoint is on a loopback port chosen
// when the test binary starts, and each test's sites on ports chosen when
// it loads its config: test binaries running side by side on one machine
// (other checkouts, CI jobs) then never reach each other's Caddy or
// collide on a port, as they did on caddytest's default admin port 2999.
func TestMain(m *testing.M) {
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "choosing the admin port of the test Caddy:", err)
		os.Exit(2)
	}
	caddytest.Default.AdminPort = port
	os.Exit(m.Run())
}

// adminAddress is the test Caddy's admin address, for the configs' admin
// global option.
func adminAddress() string {
	return net.JoinHostPort("localhost", strconv.Itoa(caddytest.Default.AdminPort))
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// postLoad loads a Caddyfile through the test Caddy's admin API.
func postLoad(caddyfile string) (int, string, error) {
	res, err := http.Post("http://"+adminAddress()+"/load", "text/caddyfile", strings.NewReader(caddyfile))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), nil
}

// startCaddy starts the test Caddy unless it runs already (skipping the
// test with -short, as caddytest does), then loads the Caddyfile that
// build writes for a free site port, and returns a tester whose client
// dials 127.0.0.1, and the port. A port that another process takes
// between the choice and the load is replaced by another, at most three
// times; the failure gives each attempt's reason.
func startCaddy(t *testing.T, build func(port int) string) (*caddytest.Tester, int) {
	t.Helper()
	tester := caddytest.NewTester(t)
	tester.InitServer(fmt.Sprintf("{\n\tadmin %s\n\tskip_install_trust\n}\n", adminAddress()), "caddyfile")
	if t.Failed() {
		t.FailNow() // caddytest logged why
	}
	var reasons []string
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("choosing a site port: %v", err)
		}
		code, body, err := postLoad(build(port))
		if err == nil && code == http.StatusOK {
			return tester, port
		}
		reasons = append(reasons, fmt.Sprintf("port %d: status %d, %v: %s", port, code, err, body))
		if err != nil || !strings.Contains(body, "address already in use") {
			break // not a port taken under us: retrying would not help
		}
	}
	t.Fatalf("loading the test config: %s", strings.Join(reasons, "; "))
	return nil, 0
}
