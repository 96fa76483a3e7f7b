package check_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/certmagic"

	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/corsedge/caddy-cors"

	"github.com/corsedge/caddy-cors/internal/check"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// Ports in these configs are never bound: a check listens on nothing.

func load(t *testing.T, caddyfile string) *check.Config {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	c, err := check.Load(cfg)
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

const api = `{
	admin off
}
http://localhost:8000 {
	cors /api/* http://localhost:8080 {
		methods GET POST PUT DELETE
		headers content-type authorization
		credentials
	}
	respond /api/* "api"
	respond "no cors here"
}
`

func run(t *testing.T, c *check.Config, req check.Request) *check.Result {
	t.Helper()
	res, err := c.Run(req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func headerOf(ex check.Exchange, name string) []string {
	var vs []string
	for _, h := range ex.ResponseHeaders {
		if h.Name == name {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

func TestAllowedPreflightedRequest(t *testing.T) {
	c := load(t, api)
	res := run(t, c, check.Request{URL: "http://localhost:8000/api/x", Origin: "http://localhost:8080", Method: "put",
		Headers: []fetch.Header{{Name: "Content-Type", Value: "application/json"}}, Credentials: true})
	if res.Verdict != check.Allowed || res.Reason != nil || !res.Preflighted {
		t.Fatalf("verdict %s, reason %+v, preflighted %v; want allowed after a preflight", res.Verdict, res.Reason, res.Preflighted)
	}
	if len(res.Exchanges) != 2 {
		t.Fatalf("%d exchanges, want preflight and actual", len(res.Exchanges))
	}
	pre, act := res.Exchanges[0], res.Exchanges[1]
	if pre.Method != "OPTIONS" || pre.Status != 204 || act.Method != "PUT" || act.Status != 200 {
		t.Fatalf("preflight %s %d, actual %s %d; want OPTIONS 204, PUT 200", pre.Method, pre.Status, act.Method, act.Status)
	}
	want := map[string]string{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type", "Origin": "http://localhost:8080"}
	for _, h := range pre.RequestHeaders {
		if w, ok := want[h.Name]; ok && w != h.Value {
			t.Errorf("preflight %s: %q, want %q", h.Name, h.Value, w)
		}
		delete(want, h.Name)
	}
	if len(want) != 0 {
		t.Errorf("preflight lacks %v", want)
	}
	if got := headerOf(act, "Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "http://localhost:8080" {
		t.Errorf("actual ACAO %q", got)
	}
	if fmt.Sprint(pre.CORSHandled, act.CORSHandled) != "[preflights/allowed] [requests/allowed]" {
		t.Errorf("counted %v %v, want the preflight and the request allowed", pre.CORSHandled, act.CORSHandled)
	}
	if res.Server != "srv0" || res.Listen != ":8000" {
		t.Errorf("server %q listen %q, want srv0 :8000", res.Server, res.Listen)
	}
}

func TestModuleReasons(t *testing.T) {
	c := load(t, api)
	cases := []struct {
		name    string
		req     check.Request
		kind    fetch.Kind
		denial  string
		field   string
		value   string
		console string
		text    string // the denial as the text output renders it
		handled string // what the exchange that was denied counted
	}{
		{"header", check.Request{Method: "PUT", Headers: []fetch.Header{{Name: "X-Secret", Value: "1"}}},
			fetch.MissingAllowOriginHeader, "preflight denied: header not allowed", "header", "x-secret",
			"Access to fetch at 'http://localhost:8000/api/x' from origin 'http://localhost:8080' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
			`preflight denied: header not allowed (header "x-secret", origin "http://localhost:8080")`, "preflights/denied_header"},
		{"method", check.Request{Method: "PATCH"}, fetch.MissingAllowOriginHeader, "preflight denied: method not allowed", "method", "PATCH", "",
			`preflight denied: method not allowed (method "PATCH", origin "http://localhost:8080")`, "preflights/denied_method"},
		{"origin on a preflight", check.Request{Origin: "http://evil.test", Method: "PUT"}, fetch.MissingAllowOriginHeader, "preflight denied: origin not allowed", "origin", "http://evil.test", "",
			`preflight denied: origin not allowed (origin "http://evil.test")`, "preflights/denied_origin"},
		{"origin on a simple request", check.Request{Origin: "http://evil.test"}, fetch.MissingAllowOriginHeader, "origin not allowed; response sent without CORS headers", "origin", "http://evil.test", "",
			`origin not allowed; response sent without CORS headers (method "GET", origin "http://evil.test", uri "/api/x")`, "requests/not_allowed"},
		{"header list too long", check.Request{Method: "PUT", Headers: longHeaders(40)}, fetch.MissingAllowOriginHeader, "preflight denied: header not allowed", "reason", "too long or malformed", "",
			`preflight denied: header not allowed (origin "http://localhost:8080", reason "Access-Control-Request-Headers too long or malformed")`, "preflights/denied_header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.URL = "http://localhost:8000/api/x"
			if tc.req.Origin == "" {
				tc.req.Origin = "http://localhost:8080"
			}
			res := run(t, c, tc.req)
			if res.Verdict != check.Blocked || res.Reason == nil || res.Reason.Failure().Kind != tc.kind {
				t.Fatalf("verdict %s reason %+v, want blocked, %v", res.Verdict, res.Reason, tc.kind)
			}
			if tc.console != "" && res.Reason.Console != tc.console {
				t.Errorf("console\n%s\nwant\n%s", res.Reason.Console, tc.console)
			}
			if len(res.CORSDenials) != 1 {
				t.Fatalf("denials %v, want one", res.CORSDenials)
			}
			d := res.CORSDenials[0]
			if d.Message != tc.denial || !strings.Contains(fmt.Sprint(d.Fields[tc.field]), tc.value) {
				t.Fatalf("denial %s, want %q with %s %q", d, tc.denial, tc.field, tc.value)
			}
			if d.String() != tc.text || d.Level != "debug" {
				t.Errorf("denial renders as %s (level %q), want %s (debug)", d, d.Level, tc.text)
			}
			denied := res.Exchanges[len(res.Exchanges)-1]
			if fmt.Sprint(denied.CORSHandled) != "["+tc.handled+"]" || len(denied.CORSDenials) != 1 {
				t.Errorf("the %s exchange counted %v with denials %v, want [%s] and the one denial", denied.Kind, denied.CORSHandled, denied.CORSDenials, tc.handled)
			}
			if len(res.Diagnoses) != 0 {
				t.Errorf("diagnoses %q, want none: the cors handler decided", res.Diagnoses)
			}
		})
	}
}

// longHeaders are n request headers with names of 106 bytes: 40 of them
// make an Access-Control-Request-Headers longer than the handler reads
// (4096 bytes), so that it refuses the list as a whole.
func longHeaders(n int) []fetch.Header {
	hs := make([]fetch.Header, n)
	for i := range hs {
		hs[i] = fetch.Header{Name: fmt.Sprintf("X-%02d-%s", i, strings.Repeat("h", 100)), Value: "1"}
	}
	return hs
}

func TestPathWithoutCORSHandler(t *testing.T) {
	c := load(t, api)
	res := run(t, c, check.Request{URL: "http://localhost:8000/other", Origin: "http://localhost:8080"})
	if res.Verdict != check.Blocked || len(res.Diagnoses) != 1 || !strings.Contains(res.Diagnoses[0], "matcher covers /other") {
		t.Fatalf("verdict %s, diagnoses %q; want blocked with a matcher hint", res.Verdict, res.Diagnoses)
	}
}

func TestCouldNotRun(t *testing.T) {
	c := load(t, api)
	for _, tc := range []struct {
		req  check.Request
		want string
	}{
		{check.Request{URL: "http://localhost:9999/", Origin: "http://localhost:8080"}, "configured addresses: :8000"},
		{check.Request{URL: "https://localhost:8000/", Origin: "http://localhost:8080"}, "with plain HTTP, but the URL is https"},
		{check.Request{URL: "http://localhost:8000/", Origin: ""}, "--origin is required"},
		{check.Request{URL: "http://localhost:8000/", Origin: "http://localhost:8080/"}, `a browser sends "http://localhost:8080"`},
		{check.Request{URL: "localhost:8000", Origin: "http://a.test"}, "absolute http"},
		{check.Request{URL: "http://localhost:8000/api/x", Origin: "http://a.test", Method: "TRACE"}, "forbidden method"},
		{check.Request{URL: "http://localhost:8000/api/x", Origin: "http://a.test", PreflightOnly: true}, "needs no preflight"},
	} {
		_, err := c.Run(tc.req)
		var cnr *check.CouldNotRun
		if !errors.As(err, &cnr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v, want CouldNotRun containing %q", tc.req, err, tc.want)
		}
	}
}

func TestPreflightOnlyNeverReachesTheUpstream(t *testing.T) {
	hits := 0
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer backend.Close()
	c := load(t, fmt.Sprintf(`{
	admin off
}
http://localhost:8000 {
	cors http://localhost:8080
	reverse_proxy %s
}
`, backend.Listener.Addr()))
	res := run(t, c, check.Request{URL: "http://localhost:8000/", Origin: "http://localhost:8080", Method: "PUT", PreflightOnly: true})
	if res.Verdict != check.Allowed || len(res.Exchanges) != 1 || hits != 0 {
		t.Fatalf("verdict %s, %d exchanges, %d upstream hits; want allowed, preflight only, none", res.Verdict, len(res.Exchanges), hits)
	}
	res = run(t, c, check.Request{URL: "http://localhost:8000/", Origin: "http://localhost:8080", Method: "PUT"})
	if res.Verdict != check.Allowed || len(res.Exchanges) != 2 || hits != 1 {
		t.Fatalf("verdict %s, %d exchanges, %d upstream hits; want allowed, both, one", res.Verdict, len(res.Exchanges), hits)
	}
}

// A `header` snippet in front of a backend that sends its own ACAO: the
// browser sees two values.
func TestHeaderSnippetDuplicatesACAO(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "backend")
	}))
	defer backend.Close()
	c := load(t, fmt.Sprintf(`{
	admin off
}
http://localhost:8000 {
	header +Access-Control-Allow-Origin "http://localhost:8080"
	reverse_proxy %s
}
`, backend.Listener.Addr()))
	res := run(t, c, check.Request{URL: "http://localhost:8000/", Origin: "http://localhost:8080"})
	if res.Verdict != check.Blocked || res.Reason.Failure().Kind != fetch.MultipleAllowOriginValues {
		t.Fatalf("verdict %s reason %+v, want blocked by multiple values", res.Verdict, res.Reason)
	}
	joined := strings.Join(res.Diagnoses, "\n")
	if !strings.Contains(joined, "Access-Control-Allow-Origin 2 times") {
		t.Fatalf("diagnoses %q, want the duplicate named", res.Diagnoses)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "no cors handler") {
		t.Errorf("notes %q, want the missing cors handler noted", res.Notes)
	}
}

func TestHeaderSnippetMistakes(t *testing.T) {
	c := load(t, `{
	admin off
}
http://localhost:8000 {
	header /star/* {
		Access-Control-Allow-Origin *
		Access-Control-Allow-Credentials true
	}
	header /echo/* Access-Control-Allow-Origin http://localhost:8080
	respond "ok"
}
http://localhost:8001 {
	respond "nothing"
}
`)
	res := run(t, c, check.Request{URL: "http://localhost:8000/star/x", Origin: "http://localhost:8080", Credentials: true})
	if res.Verdict != check.Blocked || res.Reason.Failure().Kind != fetch.WildcardOriginNotAllowed || !strings.Contains(strings.Join(res.Diagnoses, "\n"), "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true") {
		t.Fatalf("star: %s %+v %q", res.Verdict, res.Reason, res.Diagnoses)
	}
	res = run(t, c, check.Request{URL: "http://localhost:8000/echo/x", Origin: "http://localhost:8080"})
	if res.Verdict != check.Allowed || !strings.Contains(strings.Join(res.Diagnoses, "\n"), "without Vary: Origin") {
		t.Fatalf("echo: %s %q", res.Verdict, res.Diagnoses)
	}
	// The preflight reaches respond, which answers 200 to anything but
	// sends no ACAM: the header snippet cannot allow a method.
	res = run(t, c, check.Request{URL: "http://localhost:8000/echo/x", Origin: "http://localhost:8080", Method: "DELETE"})
	if res.Verdict != check.Blocked || res.Reason.Failure().Kind != fetch.MethodDisallowedByPreflightResponse {
		t.Fatalf("echo DELETE: %s %+v", res.Verdict, res.Reason)
	}
	res = run(t, c, check.Request{URL: "http://localhost:8001/", Origin: "http://localhost:8080"})
	if res.Verdict != check.Blocked || !strings.Contains(strings.Join(res.Diagnoses, "\n"), "nothing in this config sets CORS headers") {
		t.Fatalf("nothing: %s %q", res.Verdict, res.Diagnoses)
	}
}

func TestRedirectFollowed(t *testing.T) {
	c := load(t, `{
	admin off
}
http://localhost:8000 {
	cors http://localhost:8080
	redir /old /new 302
	respond /new "new"
}
`)
	res := run(t, c, check.Request{URL: "http://localhost:8000/old", Origin: "http://localhost:8080"})
	if res.Verdict != check.Allowed || len(res.Exchanges) != 2 || res.Exchanges[0].Status != 302 || res.Exchanges[1].URL != "http://localhost:8000/new" {
		t.Fatalf("verdict %s exchanges %+v", res.Verdict, res.Exchanges)
	}
	res = run(t, c, check.Request{URL: "http://localhost:8000/old", Origin: "http://localhost:8080", Method: "PUT"})
	if res.Verdict != check.Allowed || len(res.Exchanges) != 4 {
		t.Fatalf("PUT: verdict %s, %d exchanges, want a preflight per URL", res.Verdict, len(res.Exchanges))
	}
}

func TestSameOrigin(t *testing.T) {
	c := load(t, api)
	res := run(t, c, check.Request{URL: "http://localhost:8000/x", Origin: "http://localhost:8000", Method: "DELETE"})
	if res.Verdict != check.Allowed || len(res.Exchanges) != 0 {
		t.Fatalf("verdict %s, %d exchanges", res.Verdict, len(res.Exchanges))
	}
}

// Close unloads the config as Caddy unloads one: its context ends, and
// every module loaded for it cleans up. The permission module's Cleanup is
// one a test can see: modules with the same settings share one cache
// until the last of them cleans up, so a config loaded after Close asks
// the endpoint again only if the first one's module did clean up. The
// second config, loaded while the first is live, shows that the sharing
// is real: without Cleanup, the third would not ask either.
func TestCloseUnloads(t *testing.T) {
	var asked atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked.Add(1) }))
	defer endpoint.Close()
	caddyfile := fmt.Sprintf(`{
	admin off
}
http://localhost:8000 {
	cors {
		permission http %s/allowed
	}
	respond "ok"
}
`, endpoint.URL)
	req := check.Request{URL: "http://localhost:8000/", Origin: "https://tenant.example"}
	checkAsked := func(c *check.Config, want int32) {
		t.Helper()
		res := run(t, c, req)
		if res.Verdict != check.Allowed || fmt.Sprint(res.Exchanges[0].CORSHandled) != "[requests/allowed]" {
			t.Fatalf("verdict %s, counted %v; want allowed by the endpoint", res.Verdict, res.Exchanges[0].CORSHandled)
		}
		if got := asked.Load(); got != want {
			t.Fatalf("the endpoint was asked %d times, want %d", got, want)
		}
	}
	first := load(t, caddyfile)
	checkAsked(first, 1)
	second := load(t, caddyfile)
	checkAsked(second, 1) // the first config's cached answer
	for _, c := range []*check.Config{first, second} {
		done := check.Done(c)
		c.Close()
		select {
		case <-done:
		default:
			t.Fatal("the config's context is still live after Close")
		}
	}
	checkAsked(load(t, caddyfile), 2)
}

func TestText(t *testing.T) {
	c := load(t, api)
	res := run(t, c, check.Request{URL: "http://localhost:8000/api/x", Origin: "http://localhost:8080", Method: "PUT", Headers: []fetch.Header{{Name: "X-Secret", Value: "1"}}})
	var b strings.Builder
	res.WriteText(&b)
	t.Log(b.String())
	for _, want := range []string{
		"> OPTIONS http://localhost:8000/api/x\n",
		"> Access-Control-Request-Headers: x-secret\n",
		"< 403\n",
		"cors handler: preflight denied: header not allowed (header \"x-secret\", origin \"http://localhost:8080\")\n",
		"verdict: blocked\nChromium: Access to fetch at",
		"why: the cors handler denied it: preflight denied: header not allowed",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

// What a cors handler warns about at provision reaches the result.
func TestConfigWarningsNoted(t *testing.T) {
	c := load(t, `{
	admin off
}
http://localhost:8000 {
	cors https://*.github.io
	respond "ok"
}
`)
	res := run(t, c, check.Request{URL: "http://localhost:8000/", Origin: "https://me.github.io"})
	if res.Verdict != check.Allowed || !strings.Contains(strings.Join(res.Notes, "\n"), "config warning from http.handlers.cors: origin \"https://*.github.io\": github.io is a public suffix") {
		t.Fatalf("verdict %s, notes %q", res.Verdict, res.Notes)
	}
}

// A config that fails to provision is reported, not run.
func TestLoadError(t *testing.T) {
	_, err := check.Load([]byte(`{"apps":{"http":{"servers":{"a":{"listen":[":8000"],"routes":[{"handle":[{"handler":"cors"}]}]}}}}}`))
	var cnr *check.CouldNotRun
	if !errors.As(err, &cnr) || !strings.Contains(err.Error(), "no origins") {
		t.Fatalf("Load = %v, want CouldNotRun naming the config problem", err)
	}
}

// A Caddy built with the module lists the module's own modules and no
// other: the check registers none (the caddy list-modules of a binary).
func TestRegistersNoModule(t *testing.T) {
	var ours []string
	for _, id := range caddy.Modules() {
		if strings.Contains(id, "cors") {
			ours = append(ours, id)
		}
	}
	if want := "[http.handlers.cors http.handlers.cors.permission.http]"; fmt.Sprint(ours) != want {
		t.Errorf("modules with cors in their ID: %v, want %s", ours, want)
	}
}

// The check finds the warnings of cors handlers wherever routes put them:
// a site (a subroute), a handle inside it, handle_errors (the server's
// error routes), a named route, and the handle_response routes of
// reverse_proxy and intercept; each once, warnings before notes.
func TestConfigWarningsEverywhere(t *testing.T) {
	const (
		suffix = `config warning from http.handlers.cors: origin "https://*.github.io": github.io is a public suffix; any site registered under it is allowed`
		prefix = "config warning from http.handlers.cors: origin_regexp `https://.*\\.example\\.com` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"https://a.example.com:8080\", for one, is not allowed"
	)
	for _, tc := range []struct {
		name, global, site string
		want               []string
	}{
		{"site", "", `cors https://*.github.io`, []string{suffix}},
		{"handle", "", `handle /x/* {
		cors https://*.github.io
	}`, []string{suffix}},
		{"handle_errors", "", `handle_errors {
		cors https://*.github.io
	}`, []string{suffix}},
		{"named route", `&(api) {
	cors https://*.github.io
}`, `invoke api`, []string{suffix}},
		{"reverse_proxy handle_response", "", `reverse_proxy 127.0.0.1:9 {
		@err status 5xx
		handle_response @err {
			cors https://*.github.io
		}
	}`, []string{suffix}},
		{"intercept handle_response", "", `intercept {
		@err status 404
		handle_response @err {
			cors https://*.github.io
		}
	}`, []string{suffix}},
		{"a note after a warning", "", `cors https://*.github.io {
		origin_regexp "https://.*\.example\.com"
	}`, []string{suffix, prefix}},
		{"two handlers", "", `cors /a/* https://*.github.io
	cors /b/* https://*.github.io`, []string{suffix, suffix}},
		{"none", "", `cors https://app.github.io`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, fmt.Sprintf(`{
	admin off
}
%s
http://localhost:8000 {
	%s
	respond "ok"
}
`, tc.global, tc.site))
			res := run(t, c, check.Request{URL: "http://localhost:8000/", Origin: "https://me.github.io"})
			var got []string
			for _, n := range res.Notes {
				if strings.HasPrefix(n, "config warning") {
					got = append(got, n)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("config warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// Every cors handler a request passes reports its decision: two on one
// route, the first allowing the origin and the second not, are both in
// the exchange, as their counters count them, with the second's reason.
func TestEveryCORSHandlerReports(t *testing.T) {
	c := load(t, `{
	admin off
}
http://localhost:8000 {
	route {
		cors http://localhost:8080
		cors http://other.test
	}
	respond "ok"
}
`)
	res := run(t, c, check.Request{URL: "http://localhost:8000/", Origin: "http://localhost:8080"})
	if len(res.Exchanges) != 1 {
		t.Fatalf("%d exchanges, want the actual request", len(res.Exchanges))
	}
	ex := res.Exchanges[0]
	if fmt.Sprint(ex.CORSHandled) != "[requests/allowed requests/not_allowed]" {
		t.Errorf("counted %v, want one allowed and one not", ex.CORSHandled)
	}
	if len(ex.CORSDenials) != 1 || ex.CORSDenials[0].String() != `origin not allowed; response sent without CORS headers (method "GET", origin "http://localhost:8080", uri "/")` {
		t.Errorf("denials %v, want the second handler's", ex.CORSDenials)
	}
}

// Loading a config for a check leaves the process's CertMagic default
// storage as it was, even when the config names a storage of its own
// (loading a config to run it would make that the default).
func TestLoadKeepsDefaultStorage(t *testing.T) {
	before := certmagic.Default.Storage
	t.Cleanup(func() { certmagic.Default.Storage = before })
	ours := &certmagic.FileStorage{Path: t.TempDir()}
	certmagic.Default.Storage = ours
	load(t, fmt.Sprintf(`{
	admin off
	storage file_system %s
}
http://localhost:8000 {
	cors http://localhost:8080
	respond "ok"
}
`, t.TempDir()))
	if certmagic.Default.Storage != ours {
		t.Errorf("CertMagic's default storage is %v after Load, want the process's own %v", certmagic.Default.Storage, ours)
	}
}
