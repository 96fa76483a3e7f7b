package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFirefoxContactsOnlyLoopback runs one case of the suite in a Firefox
// of its own under `strace -f -e trace=connect` and asserts that every
// connect(2) of the driver, the browser and all its processes went to
// loopback (or an AF_UNIX socket), and none to port 53: the prefs of
// driver.mjs keep names off the system resolver and DNS over HTTPS and the
// background services off the internet.
func TestFirefoxContactsOnlyLoopback(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		missing(t, "no strace: install it with `apt-get install -y strace` to prove that Firefox stays on loopback")
	}
	cmd := firefoxCommand(t)
	trace := filepath.Join(t.TempDir(), "connect.trace")
	cmd.Args = append([]string{strace, "-f", "-qq", "-e", "trace=connect", "-e", "signal=none", "-o", trace}, cmd.Args...)
	cmd.Path = strace
	d, err := startFirefox(cmd)
	if err != nil {
		t.Fatalf("starting Firefox under strace: %v", err)
	}
	defer d.stop()

	b := newBackend(t)
	caddyfile := suiteCaddyfile(t, b)
	loadCaddy(t, caddyfile)
	c := caseNamed(t, "simple GET from an allowed exact origin resolves")
	t.Run(c.name, func(t *testing.T) { runCase(t, d, b, loadCheck(t, caddyfile), c, &crossCoverage{}) })
	// Give the background services the time they take to start calling
	// home after a launch.
	time.Sleep(3 * time.Second)
	d.stop() // strace has written everything once the driver has exited

	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	problems, connects, api := connectProblems(string(raw), apiPort)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d connect calls, %d to the suite's API port %d", connects, api, apiPort)
	if api == 0 {
		t.Fatalf("no connect to 127.0.0.1:%d in the trace: strace did not see the browser's traffic", apiPort)
	}
}

// TestWebKitContactsOnlyLoopback runs one case of the suite in a WebKit
// of its own, with WebKitWebDriver under `strace -f -e trace=connect`, so
// that MiniBrowser and its processes (the network runs in
// WebKitNetworkProcess, a child of MiniBrowser) are traced too, and
// asserts that every connect(2) went to loopback (or an AF_UNIX socket),
// none to port 53, and the browser's traffic to the loopback proxy: WebKit
// has no switch to map names, so the WebDriver proxy capability sends
// everything to a proxy in the test, which reaches only loopback.
func TestWebKitContactsOnlyLoopback(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		missing(t, "no strace: install it with `apt-get install -y strace` to prove that WebKit stays on loopback")
	}
	tools := findWebKit(t)
	trace := filepath.Join(t.TempDir(), "connect.trace")
	d, err := startWebKit(tools, func(cmd *exec.Cmd) {
		cmd.Args = append([]string{strace, "-f", "-qq", "-e", "trace=connect", "-e", "signal=none", "-o", trace}, cmd.Args...)
		cmd.Path = strace
	})
	if err != nil {
		t.Fatalf("starting WebKit under strace: %v", err)
	}
	defer d.stop()

	b := newBackend(t)
	caddyfile := suiteCaddyfile(t, b)
	loadCaddy(t, caddyfile)
	c := caseNamed(t, "simple GET from an allowed exact origin resolves")
	t.Run(c.name, func(t *testing.T) {
		runCase(t, d.session(t), b, loadCheck(t, caddyfile), c, &crossCoverage{})
	})
	// As for Firefox: give whatever starts in the background after a
	// launch the time to call out.
	time.Sleep(3 * time.Second)
	d.stop() // strace has written everything once the driver has exited

	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	proxyPort, err := strconv.Atoi(d.proxy.addr[strings.LastIndex(d.proxy.addr, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	problems, connects, proxied := connectProblems(string(raw), proxyPort)
	for _, p := range problems {
		t.Error(p)
	}
	for _, r := range d.proxy.refusals() {
		t.Errorf("the browser asked the proxy for something not the suite's: %s", r)
	}
	t.Logf("%d connect calls, %d to the loopback proxy %s", connects, proxied, d.proxy.addr)
	if proxied == 0 {
		t.Fatalf("no connect to the proxy %s in the trace: strace did not see the browser's traffic", d.proxy.addr)
	}
}

var (
	connectCall = regexp.MustCompile(`connect\(\d+, \{sa_family=(\w+)(.*?)\}`)
	inetAddr    = regexp.MustCompile(`sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)`)
	inet6Addr   = regexp.MustCompile(`sin6_port=htons\((\d+)\).*inet_pton\(AF_INET6, "([^"]+)"`)
)

// connectProblems lists every connect in an strace log that leaves
// loopback, goes to port 53 or cannot be read, and counts the connects and
// those to 127.0.0.1:port (where the browser's traffic must go).
func connectProblems(trace string, port int) (problems []string, connects, to int) {
	for _, line := range strings.Split(trace, "\n") {
		m := connectCall.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		connects++
		var p, addr string
		switch m[1] {
		case "AF_UNIX":
			continue // a local socket (D-Bus, the X server, nscd...)
		case "AF_UNSPEC":
			continue // dissolves a datagram socket's association: no traffic
		case "AF_INET":
			a := inetAddr.FindStringSubmatch(m[2])
			if a == nil {
				problems = append(problems, "unparsed connect: "+line)
				continue
			}
			p, addr = a[1], a[2]
			if !strings.HasPrefix(addr, "127.") {
				problems = append(problems, "connect off loopback: "+line)
			}
		case "AF_INET6":
			a := inet6Addr.FindStringSubmatch(m[2])
			if a == nil {
				problems = append(problems, "unparsed connect: "+line)
				continue
			}
			p, addr = a[1], a[2]
			if addr != "::1" && !strings.HasPrefix(addr, "::ffff:127.") {
				problems = append(problems, "connect off loopback: "+line)
			}
		default:
			problems = append(problems, "connect of family "+m[1]+": "+line)
			continue
		}
		if p == "53" {
			problems = append(problems, "connect to a DNS server: "+line)
		}
		if addr == "127.0.0.1" && p == strconv.Itoa(port) {
			to++
		}
	}
	return problems, connects, to
}

// TestConnectProblemsCatches holds the strace check to lines it must
// refuse and lines it must let pass, so that a clean trace means something.
func TestConnectProblemsCatches(t *testing.T) {
	for _, tc := range []struct {
		line    string
		problem bool
	}{
		{`12015 connect(14, {sa_family=AF_INET, sin_port=htons(9180), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)`, false},
		{`12015 connect(3, {sa_family=AF_UNIX, sun_path="/run/dbus/system_bus_socket"}, 110) = -1 ENOENT (No such file or directory)`, false},
		{`12015 connect(5, {sa_family=AF_INET6, sin6_port=htons(9180), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0`, false},
		{`12015 connect(5, {sa_family=AF_UNSPEC, sa_data="\0\0\0\0"}, 16) = 0`, false},
		{`12015 connect(65, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("34.107.221.82")}, 16) = -1 EINPROGRESS`, true},
		{`12015 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0`, true},
		{`12015 connect(7, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2600:1901:0:92a9::", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH`, true},
		{`12015 connect(8, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 0`, true},
	} {
		problems, connects, _ := connectProblems(tc.line, apiPort)
		if connects != 1 || (len(problems) > 0) != tc.problem {
			t.Errorf("%s: %d connects, problems %q; want a problem: %v", tc.line, connects, problems, tc.problem)
		}
	}
}

// caseNamed is the case of browserCases with that name.
func caseNamed(t *testing.T, name string) browserCase {
	t.Helper()
	for _, c := range browserCases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no browser case %q", name)
	return browserCase{}
}
