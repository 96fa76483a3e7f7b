package check_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/corsedge/caddy-cors/internal/check"
)

// Sites on named hosts bound to loopback addresses: none of the names
// resolves, and the check must not need them to. Two sites share a server
// (one bind address), a third has a server of its own on the same port.
const boundSites = `{
	admin off
}
http://one.example.test:8080 {
	bind 127.0.0.1
	cors http://app.one.test
	respond "one"
}
http://two.example.test:8080 {
	bind 127.0.0.1
	cors http://app.two.test
	respond "two"
}
http://three.example.test:8080 {
	bind 127.0.0.2
	cors http://app.three.test
	respond "three"
}
`

// TestSiteByHost: the check picks the server by the URL's scheme and port
// and the site by its host, as a connection would with DNS pointing each
// name at its site's address. Each site answers for itself: its own
// allowed origin passes and another site's is refused by its cors handler.
func TestSiteByHost(t *testing.T) {
	c := load(t, boundSites)
	for _, tc := range []struct {
		url, server, listen string
		allowed, refused    string // an origin the site allows, and one it does not
	}{
		{"http://one.example.test:8080/x", "srv0", "127.0.0.1:8080", "http://app.one.test", "http://app.two.test"},
		{"http://two.example.test:8080/x", "srv0", "127.0.0.1:8080", "http://app.two.test", "http://app.one.test"},
		{"http://three.example.test:8080/x", "srv1", "127.0.0.2:8080", "http://app.three.test", "http://app.one.test"},
		// An address is where the connection goes, and localhost is
		// 127.0.0.1: those servers have no site for these hosts, so
		// nothing allows the origin.
		{"http://127.0.0.2:8080/x", "srv1", "127.0.0.2:8080", "", "http://app.three.test"},
		{"http://localhost:8080/x", "srv0", "127.0.0.1:8080", "", "http://app.one.test"},
	} {
		for _, origin := range []string{tc.allowed, tc.refused} {
			if origin == "" {
				continue
			}
			res := run(t, c, check.Request{URL: tc.url, Origin: origin})
			if res.Server != tc.server || res.Listen != tc.listen {
				t.Errorf("%s: served by %q (%s), want %q (%s)", tc.url, res.Server, res.Listen, tc.server, tc.listen)
			}
			want, acao := check.Blocked, []string(nil)
			if origin == tc.allowed {
				want, acao = check.Allowed, []string{origin}
			}
			if res.Verdict != want {
				t.Errorf("%s from %s: %s, want %s", tc.url, origin, res.Verdict, want)
				continue
			}
			if got := headerOf(res.Exchanges[len(res.Exchanges)-1], "Access-Control-Allow-Origin"); !slices.Equal(got, acao) {
				t.Errorf("%s from %s: ACAO %q, want %q", tc.url, origin, got, acao)
			}
		}
	}
}

// TestSiteByHostCannotTell: when the sites do not tell which server a
// name reaches, the check says so instead of guessing.
func TestSiteByHostCannotTell(t *testing.T) {
	c := load(t, boundSites+`
http://one.example.test:8080 {
	bind 127.0.0.3
	respond "one again"
}
`)
	for url, want := range map[string]string{
		"http://nothing.example.test:8080/": `none has a site for nothing.example.test: which one a browser reaches depends on where nothing.example.test resolves`,
		"http://one.example.test:8080/":     `all have a site for one.example.test on its port`,
		"http://127.0.0.9:8080/":            "no server of this config listens for 127.0.0.9:8080 (port 8080); configured addresses: 127.0.0.1:8080, 127.0.0.2:8080, 127.0.0.3:8080",
	} {
		_, err := c.Run(check.Request{URL: url, Origin: "http://app.one.test"})
		var cnr *check.CouldNotRun
		if !errors.As(err, &cnr) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want CouldNotRun containing %q", url, err, want)
		}
	}
}
