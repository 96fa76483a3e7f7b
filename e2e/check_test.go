package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/corsedge/caddy-cors/internal/check"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// The simulator held against the browser: every case runs as a fetch() in
// Chromium and as a `caddy cors check` of the same config and request;
// both must reach the same verdict, and when blocked, Chromium's console
// message must be of the same kind as the check's (and is compared word
// for word: any difference is logged and fails).

// crossCase is one fetch() that a single check can express.
type crossCase struct {
	name        string
	page        string // the calling page; its origin is the Origin
	sandbox     bool   // call from a sandboxed iframe of page: Origin null
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

func (c crossCase) request() check.Request {
	origin := strings.TrimSuffix(c.page, "/")
	if c.sandbox {
		origin = "null"
	}
	req := check.Request{URL: api + c.path, Origin: origin, Method: c.method, Credentials: c.credentials}
	for name, value := range c.headers {
		req.Headers = append(req.Headers, fetch.Header{Name: name, Value: value})
	}
	return req
}

// consoleLog collects Chromium's console entries about CORS.
type consoleLog struct {
	mu      sync.Mutex
	entries []string
}

func watchConsole(t *testing.T, ctx context.Context) *consoleLog {
	t.Helper()
	cl := &consoleLog{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && strings.Contains(e.Entry.Text, "blocked by CORS policy") {
			cl.mu.Lock()
			cl.entries = append(cl.entries, e.Entry.Text)
			cl.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listening to the console: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the console log: %v", err)
	}
	return cl
}

func (cl *consoleLog) reset() {
	cl.mu.Lock()
	cl.entries = nil
	cl.mu.Unlock()
}

// wait returns the CORS message Chromium logged, waiting a little: the
// entry can arrive just after the promise rejects.
func (cl *consoleLog) wait() string {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		cl.mu.Lock()
		n := len(cl.entries)
		var msg string
		if n > 0 {
			msg = cl.entries[n-1]
		}
		cl.mu.Unlock()
		if n > 0 {
			return msg
		}
	}
	return ""
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

// crossCheck runs each case in Chromium and through the check, and holds
// one against the other.
func crossCheck(t *testing.T, ctx context.Context, cl *consoleLog, cfg *check.Config, cases []crossCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl.reset()
			var v verdict
			if tc.sandbox {
				v = fetchFromSandbox(t, ctx, api+tc.path)
			} else {
				v = fetchFrom(t, ctx, tc.page, api+tc.path, tc.init())
			}
			var chromium string
			if !v.OK {
				chromium = cl.wait()
			}
			res, err := cfg.Run(tc.request())
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			var text strings.Builder
			res.WriteText(&text)
			browserAllowed := v.OK
			if browserAllowed != (res.Verdict == check.Allowed) {
				t.Fatalf("Chromium: ok=%v %s %s; check: %s\n%s", v.OK, v.Error, chromium, res.Verdict, text.String())
			}
			if browserAllowed {
				last := res.Exchanges[len(res.Exchanges)-1]
				if last.Status != v.Status {
					t.Fatalf("Chromium read status %d, the check's last response is %d\n%s", v.Status, last.Status, text.String())
				}
				return
			}
			if chromium == "" && tc.sandbox {
				// Chromium logs nothing to the page's console for a
				// sandboxed iframe's refused fetch: the verdict is all
				// there is to compare.
				t.Logf("no console message for the sandboxed frame; check: %s", res.Reason.Console)
				return
			}
			kind, ok := fetch.KindOfConsole(chromium)
			if !ok {
				t.Fatalf("Chromium logged no CORS message we know (%q); check says %s", chromium, res.Reason.Console)
			}
			if kind != res.Reason.Failure().Kind {
				t.Fatalf("Chromium: %s (%v)\ncheck:    %s (%v)", chromium, kind, res.Reason.Console, res.Reason.Failure().Kind)
			}
			if chromium != res.Reason.Console {
				t.Errorf("same kind (%v), different words:\nChromium: %s\ncheck:    %s", kind, chromium, res.Reason.Console)
			}
		})
	}
}

// The suite's cases that one check can express: not the preflight-cache
// cases (two fetches), not the cookie echo (a cookie set by an earlier
// fetch).
var suiteCrossCases = []crossCase{
	{name: "simple GET, allowed exact origin", page: appPage, path: "/exact/get"},
	{name: "simple GET, disallowed origin", page: evilPage, path: "/exact/get"},
	{name: "PUT with an allowed header", page: appPage, path: "/exact/put", method: "PUT", headers: map[string]string{"X-Allowed": "1"}},
	{name: "a header not allowed", page: appPage, path: "/exact/put", method: "PUT", headers: map[string]string{"X-Secret": "1"}},
	{name: "a method not allowed", page: appPage, path: "/exact/delete", method: "DELETE"},
	{name: "JSON content type is preflighted and allowed", page: appPage, path: "/exact/post", method: "POST", headers: map[string]string{"Content-Type": "application/json"}},
	{name: "text/plain POST is simple", page: evilPage, path: "/exact/post", method: "POST", headers: map[string]string{"Content-Type": "text/plain;charset=UTF-8"}},
	{name: "credentials with credentials on", page: appPage, path: "/cred/cookie/set", credentials: true},
	{name: "credentials without credentials on", page: appPage, path: "/nocred/x", credentials: true},
	{name: "headers * with credentials allows Authorization", page: appPage, path: "/star-headers/x", credentials: true, headers: map[string]string{"Authorization": "Bearer token", "X-Anything": "1"}},
	{name: "subdomain pattern lets app in", page: appPage, path: "/subdomain/x"},
	{name: "subdomain pattern keeps a look-alike out", page: evilPage, path: "/subdomain/x"},
	{name: "port pattern lets another port in", page: appPort2, path: "/port/x"},
	{name: "port pattern keeps another host out", page: otherPage, path: "/port/x"},
	{name: "origin_regexp matches", page: app7Page, path: "/regexp/x"},
	{name: "origin_regexp is anchored", page: lookalike, path: "/regexp/x"},
	{name: "allow_all anonymous", page: evilPage, path: "/public/x"},
	{name: "allow_all with credentials", page: evilPage, path: "/public/x", credentials: true},
	{name: "allow_all preflighted with credentials", page: evilPage, path: "/public/x", method: "PUT", credentials: true},
	{name: "expose_headers", page: appPage, path: "/expose/x"},
	{name: "basic_auth's 401 is readable", page: appPage, path: "/auth/x"},
	{name: "a dead upstream's 502 is readable", page: appPage, path: "/dead/x"},
	{name: "a backend's own ACAO * is replaced", page: appPage, path: "/own-cors/x", credentials: true},
	{name: "null origin, listed", page: appPage, sandbox: true, path: "/null-listed/x"},
	{name: "null origin, not listed", page: appPage, sandbox: true, path: "/null-unlisted/x"},
	{name: "behind basic_auth with Authorization", page: appPage, path: "/auth/x", headers: map[string]string{"Authorization": aliceAuth}},
}

func TestCheckMatchesBrowserOnSuite(t *testing.T) {
	ctx := browser(t)
	cl := watchConsole(t, ctx)
	b := newBackend(t)
	caddyfile := suiteCaddyfile(t, b)
	loadCaddy(t, caddyfile)
	crossCheck(t, ctx, cl, loadCheck(t, caddyfile), suiteCrossCases)
}

// ownPreflights is a backend that does CORS itself, wrongly in places,
// and answers its own preflights: the configs without the cors handler,
// where Chromium's later wordings arise.
func ownPreflights(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		path := r.URL.Path
		if path != "/own/no-acao" {
			h.Set("Access-Control-Allow-Origin", app)
		}
		if strings.HasPrefix(path, "/own/cred") {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			switch path {
			case "/own/405":
				w.WriteHeader(http.StatusMethodNotAllowed)
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

func TestCheckMatchesBrowserOnSnippets(t *testing.T) {
	ctx := browser(t)
	cl := watchConsole(t, ctx)
	caddyfile := snippetCaddyfile(ownPreflights(t).Listener.Addr().String())
	loadCaddy(t, caddyfile)
	crossCheck(t, ctx, cl, loadCheck(t, caddyfile), snippetCrossCases)
}
