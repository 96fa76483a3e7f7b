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

	"github.com/corsedge/caddy-cors/internal/testport"
)

// The integration tests run one Caddy in this process (caddytest), so they
// never run in parallel. Its admin endpoint and each test's sites are on
// ports reserved by this test binary (testport.Reserve): test binaries
// running side by side on one machine (other checkouts, CI jobs) never
// reach each other's Caddy, as they did on caddytest's default admin port
// 2999 and the sites' fixed ports, where SO_REUSEPORT let both Caddys bind
// and the kernel split the connections between them.
func TestMain(m *testing.M) {
	port, _, err := testport.Reserve() // for the whole run
	if err != nil {
		fmt.Fprintln(os.Stderr, "the admin port of the test Caddy:", err)
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
// build writes for a port reserved until the test ends, and returns a
// tester whose client dials 127.0.0.1, and the port.
func startCaddy(t *testing.T, build func(port int) string) (*caddytest.Tester, int) {
	t.Helper()
	tester := caddytest.NewTester(t)
	tester.InitServer(fmt.Sprintf("{\n\tadmin %s\n\tskip_install_trust\n}\n", adminAddress()), "caddyfile")
	if t.Failed() {
		t.FailNow() // caddytest logged why
	}
	port, release, err := testport.Reserve()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	if code, body, err := postLoad(build(port)); err != nil || code != http.StatusOK {
		t.Fatalf("loading the test config on port %d: status %d, %v: %s", port, code, err, body)
	}
	return tester, port
}
