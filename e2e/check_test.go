package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/corsedge/caddy-cors/internal/check"
)

// The simulator held against Chromium on configs of its own: a header
// snippet that spoils ACAO, and a backend that answers its own preflights,
// where Chromium's later console wordings arise. The suite's own cases are
// held against the check in TestBrowser (crosscheck_test.go).

// crossCase is one fetch() of a snippet config.
type crossCase struct {
	name        string
	page        string // the calling page; its origin is the Origin
	path        string // on api
	method      string
	headers     map[string]string
	credentials bool
}

// init is the fetch() init object of the case, as JavaScript.
func (c crossCase) init() string {
	o := map[string]any{}
	if c.method != "" {
		o["method"] = c.method
	}
	if len(c.headers) > 0 {
		o["headers"] = c.headers
	}
	if c.credentials {
		o["credentials"] = "include"
	}
	b, _ := json.Marshal(o)
	return string(b)
}

// loadCheck provisions caddyfile for checks, beside the running Caddy.
func loadCheck(t *testing.T, caddyfile string) *check.Config {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	c, err := check.Load(cfg)
	if err != nil {
		t.Fatalf("loading the config for checks: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// ownPreflights is a backend that does CORS itself, wrongly in places,
// and answers its own preflights: the configs without the cors handler,
// where Chromium's later wordings arise.
func ownPreflights(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		path := r.URL.Path
		if path != "/own/no-acao" && path != "/own/403-no-acao" {
			h.Set("Access-Control-Allow-Origin", app)
		}
		if strings.HasPrefix(path, "/own/cred") {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			switch path {
			case "/own/405", "/own/403-no-acao":
				w.WriteHeader(map[string]int{"/own/405": http.StatusMethodNotAllowed, "/own/403-no-acao": http.StatusForbidden}[path])
				return
			case "/own/redirect":
				http.Redirect(w, r, "/own/ok", http.StatusFound)
				return
			case "/own/bad-acam":
				h.Set("Access-Control-Allow-Methods", "GET PUT")
			case "/own/bad-acah":
				h.Set("Access-Control-Allow-Methods", "PUT")
				h.Set("Access-Control-Allow-Headers", "x-a;x-b")
			case "/own/lower-patch":
				h.Set("Access-Control-Allow-Methods", "patch")
			case "/own/upper-patch":
				h.Set("Access-Control-Allow-Methods", "PATCH")
			case "/own/star":
				h.Set("Access-Control-Allow-Methods", "*")
				h.Set("Access-Control-Allow-Headers", "*")
			default:
				h.Set("Access-Control-Allow-Methods", "GET, PUT")
				h.Set("Access-Control-Allow-Headers", "x-a")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		switch path {
		case "/own/redir-ok":
			http.Redirect(w, r, "/own/ok", http.StatusFound)
			return
		case "/own/redir-bad":
			http.Redirect(w, r, "/nothing/x", http.StatusFound)
			return
		}
		io.WriteString(w, "own")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func snippetCaddyfile(own string) string {
	return fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	http_port %[1]d
}

%[2]s {
	handle /dup/* {
		header +Access-Control-Allow-Origin %[3]s
		reverse_proxy %[4]s
	}
	handle /star-cred/* {
		header Access-Control-Allow-Origin *
		header Access-Control-Allow-Credentials true
		respond "star"
	}
	handle /mismatch/* {
		header Access-Control-Allow-Origin http://other.example.test:%[5]d
		respond "mismatch"
	}
	handle /no-acac/* {
		header Access-Control-Allow-Origin %[3]s
		respond "no acac"
	}
	handle /slash/* {
		header Access-Control-Allow-Origin %[3]s/
		respond "slash"
	}
	handle /invalid/* {
		header Access-Control-Allow-Origin app.example.test
		respond "invalid"
	}
	handle /own/* {
		reverse_proxy %[4]s
	}
	handle /nothing/* {
		respond "nothing"
	}
}

http://app.example.test:%[1]d {
	header Content-Type "text/html; charset=utf-8"
	respond "<!doctype html><title>page</title><body></body>"
}
`, apiPort, api, app, own, otherPort)
}

var snippetCrossCases = []crossCase{
	{name: "header snippet and backend both send ACAO", page: appPage, path: "/dup/x"},
	{name: "ACAO * with credentials", page: appPage, path: "/star-cred/x", credentials: true},
	{name: "ACAO * without credentials", page: appPage, path: "/star-cred/x"},
	{name: "ACAO names another origin", page: appPage, path: "/mismatch/x"},
	{name: "ACAO with a trailing slash", page: appPage, path: "/slash/x"},
	{name: "credentials without ACAC", page: appPage, path: "/no-acac/x", credentials: true},
	{name: "nothing sets CORS headers", page: appPage, path: "/nothing/x"},
	{name: "own preflight allows", page: appPage, path: "/own/ok", method: "PUT", headers: map[string]string{"X-A": "1"}},
	{name: "own preflight lacks the method", page: appPage, path: "/own/ok", method: "DELETE"},
	{name: "own preflight lacks a header", page: appPage, path: "/own/ok", method: "PUT", headers: map[string]string{"X-A": "1", "X-B": "1"}},
	{name: "own preflight without ACAO", page: appPage, path: "/own/no-acao", method: "PUT"},
	{name: "own preflight answers 405", page: appPage, path: "/own/405", method: "PUT"},
	{name: "own preflight answers 403 without ACAO", page: appPage, path: "/own/403-no-acao", method: "PUT"},
	{name: "own preflight without ACAC, with credentials", page: appPage, path: "/own/ok", method: "PUT", credentials: true},
	{name: "ACAO * on a credentialed preflight", page: appPage, path: "/star-cred/x", method: "PUT", credentials: true},
	{name: "own preflight redirects", page: appPage, path: "/own/redirect", method: "PUT"},
	{name: "own preflight sends an unparsable ACAM", page: appPage, path: "/own/bad-acam", method: "PUT"},
	{name: "own preflight sends an unparsable ACAH", page: appPage, path: "/own/bad-acah", method: "PUT", headers: map[string]string{"X-A": "1"}},
	{name: "ACAO that is not an origin", page: appPage, path: "/invalid/x"},
	{name: "own preflight: ACAM patch allows method patch", page: appPage, path: "/own/lower-patch", method: "patch"},
	{name: "own preflight: ACAM PATCH does not allow method patch", page: appPage, path: "/own/upper-patch", method: "patch"},
	{name: "own preflight: * covers Authorization in Chromium", page: appPage, path: "/own/star", method: "PUT", headers: map[string]string{"Authorization": "Bearer x"}},
	{name: "own preflight: * covers other headers", page: appPage, path: "/own/star", method: "PUT", headers: map[string]string{"X-Z": "1"}},
	{name: "a redirect to a URL that allows the origin", page: appPage, path: "/own/redir-ok"},
	{name: "a redirect to a URL without ACAO", page: appPage, path: "/own/redir-bad"},
	{name: "a preflighted PUT redirected to a URL that allows it", page: appPage, path: "/own/redir-ok", method: "PUT", headers: map[string]string{"X-A": "1"}},
	{name: "client hint dpr 2", page: appPage, path: "/own/ok", headers: map[string]string{"DPR": "2"}},
	{name: "client hint dpr 1.5", page: appPage, path: "/own/ok", headers: map[string]string{"DPR": "1.5"}},
	{name: "client hint dpr x", page: appPage, path: "/own/ok", headers: map[string]string{"DPR": "x"}},
	{name: "client hint device-memory 8", page: appPage, path: "/own/ok", headers: map[string]string{"Device-Memory": "8"}},
	{name: "client hint width 100", page: appPage, path: "/own/ok", headers: map[string]string{"Width": "100"}},
	{name: "client hint width 1.5", page: appPage, path: "/own/ok", headers: map[string]string{"Width": "1.5"}},
	{name: "client hint viewport-width 100", page: appPage, path: "/own/ok", headers: map[string]string{"Viewport-Width": "100"}},
	{name: "client hint rtt 50", page: appPage, path: "/own/ok", headers: map[string]string{"RTT": "50"}},
	{name: "client hint downlink 1.5", page: appPage, path: "/own/ok", headers: map[string]string{"Downlink": "1.5"}},
	{name: "client hint ect 4g", page: appPage, path: "/own/ok", headers: map[string]string{"ECT": "4g"}},
	{name: "client hint save-data on", page: appPage, path: "/own/ok", headers: map[string]string{"Save-Data": "on"}},
	{name: "Range with a single open range is simple", page: appPage, path: "/own/ok", headers: map[string]string{"Range": "bytes=0-"}},
	{name: "Range with a suffix range is preflighted", page: appPage, path: "/own/ok", headers: map[string]string{"Range": "bytes=-5"}},
	{name: "own preflight with credentials: * is literal", page: appPage, path: "/own/cred-star", method: "PUT", credentials: true, headers: map[string]string{"X-A": "1"}},
}

// TestCheckMatchesBrowserOnSnippets holds the check against every engine
// on the snippet cases: the verdict in each, the words in Chromium and
// Firefox.
func TestCheckMatchesBrowserOnSnippets(t *testing.T) {
	caddyfile := snippetCaddyfile(ownPreflights(t).Listener.Addr().String())
	loadCaddy(t, caddyfile)
	cfg := loadCheck(t, caddyfile)
	eachEngine(t, func(t *testing.T, e engine) {
		tb := e.open(t)
		for _, tc := range snippetCrossCases {
			t.Run(tc.name, func(t *testing.T) {
				url := tabURL(tb, api+tc.path)
				var v verdict
				tb.eval(t, tc.page, fetchJS(url, tc.init(), nil), &v)
				o := observed{label: tc.name, url: url, v: v}
				if o.req, o.skip = checkRequest(tc.page, url, false, v); o.skip != "" {
					t.Fatalf("not a check: %s", o.skip)
				}
				if cc, ok := tb.(corsConsole); ok && !v.OK {
					o.console, o.words = cc.corsMessages(url), true
				}
				holdCheck(t, e.name(), cfg, o)
			})
		}
	})
}
