package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// report_only's predictions held against the browsers. Each case is a
// backend that does CORS itself (as django-cors-headers does), a policy,
// and one fetch() from a page. The fetch runs three times, each in a fresh
// browser context: through the route without cors (what the backend
// alone gets from the browser), through the same policy in report_only
// (the browser's verdict must not change, and the module logs what it
// predicts), and through the same policy enforcing. The prediction for the
// fetch's credentials mode must be what the browser then does:
// would_block exactly where it blocks the fetch the backend's response
// passed, would_allow exactly where it allows one the backend's refused,
// would_hide_headers and would_expose_headers exactly where the page reads
// fewer or more response headers, same where nothing changes.

// Origins of this file's Caddy site, apart from the rest of the suite's.
const (
	reportPort    = 9200
	reportAPI     = "http://api.example.test:9200"
	reportApp     = "http://app.example.test:9200"
	reportPartner = "http://partner.example.test:9200"
	reportEvil    = "http://evil.example.test:9200"
)

// backendCORS is what a backend's CORS library does on one route, the way
// django-cors-headers does it: the allowed origins reflected (with
// credentials when on), static lists on preflights (answered 200), the
// exposed names on every response. preflightStatus, when not 0, answers
// preflights with that status and no list (a backend that does not know
// preflights).
type backendCORS struct {
	origins         []string
	credentials     bool
	methods         string
	headers         string
	expose          string
	preflightStatus int
	acaoAlways      string // ACAO sent on every response, as a header snippet does
}

// djangoLike is the backend most cases start from.
var djangoLike = backendCORS{
	origins:     []string{reportApp},
	credentials: true,
	methods:     "DELETE, GET, OPTIONS, PATCH, POST, PUT",
	headers:     "accept, authorization, content-type, x-tenant",
	expose:      "X-Request-Id, X-Total-Count",
}

// translatedPolicy is djangoLike as this module's policy.
const translatedPolicy = `origins ` + reportApp + `
			credentials
			methods DELETE GET OPTIONS PATCH POST PUT
			headers accept authorization content-type x-tenant
			expose_headers X-Request-Id X-Total-Count`

// predictionCase is one case: a backend, a policy, a fetch, and the
// prediction report_only must make for it.
type predictionCase struct {
	name    string
	backend backendCORS
	policy  string // the cors block's body
	page    string // the origin the fetch runs on
	init    string // fetch()'s init
	read    []string
	want    string // the outcome report_only must predict for the fetch's credentials mode
}

var predictionCases = []predictionCase{
	{name: "same-simple", backend: djangoLike, policy: translatedPolicy,
		page: reportApp, init: `{}`, read: []string{"X-Request-Id", "X-Total-Count"}, want: "same"},
	{name: "same-both-refuse", backend: djangoLike, policy: translatedPolicy,
		page: reportEvil, init: `{}`, want: "same"},
	{name: "same-preflighted-put", backend: djangoLike, policy: translatedPolicy,
		page: reportApp, init: `{method: "PUT", credentials: "include", headers: {"X-Tenant": "1", "Content-Type": "application/json"}}`, want: "same"},
	{name: "block-origin", backend: with(djangoLike, func(b *backendCORS) { b.origins = []string{reportApp, reportPartner} }), policy: translatedPolicy,
		page: reportPartner, init: `{}`, want: "would_block"},
	{name: "block-header", backend: djangoLike, policy: strings.Replace(translatedPolicy, " x-tenant", "", 1),
		page: reportApp, init: `{method: "PUT", headers: {"X-Tenant": "1"}}`, want: "would_block"},
	{name: "block-method", backend: djangoLike, policy: strings.Replace(translatedPolicy, "methods DELETE GET OPTIONS PATCH POST PUT", "methods GET PUT", 1),
		page: reportApp, init: `{method: "DELETE"}`, want: "would_block"},
	{name: "block-credentials", backend: djangoLike, policy: strings.Replace(translatedPolicy, "credentials\n", "\n", 1),
		page: reportApp, init: `{credentials: "include"}`, want: "would_block"},
	{name: "block-allow-all-credentials", backend: djangoLike, policy: "allow_all",
		page: reportApp, init: `{credentials: "include"}`, want: "would_block"},
	{name: "allow-origin", backend: djangoLike, policy: strings.Replace(translatedPolicy, "origins ", "origins "+reportPartner+" ", 1),
		page: reportPartner, init: `{}`, want: "would_allow"},
	{name: "allow-header", backend: with(djangoLike, func(b *backendCORS) { b.headers = "accept, authorization, content-type" }), policy: translatedPolicy,
		page: reportApp, init: `{method: "PUT", headers: {"X-Tenant": "1"}}`, want: "would_allow"},
	{name: "allow-credentials", backend: with(djangoLike, func(b *backendCORS) { b.credentials = false }), policy: translatedPolicy,
		page: reportApp, init: `{credentials: "include"}`, want: "would_allow"},
	{name: "allow-status", backend: backendCORS{acaoAlways: reportApp, preflightStatus: 405}, policy: "origins " + reportApp,
		page: reportApp, init: `{method: "PUT"}`, want: "would_allow"},
	{name: "passthrough-keeps-the-backend-status", backend: backendCORS{acaoAlways: reportApp, preflightStatus: 405}, policy: "origins " + reportApp + "\n\t\t\tpassthrough_preflight",
		page: reportApp, init: `{method: "PUT"}`, want: "same"},
	{name: "hide-headers", backend: djangoLike, policy: strings.Replace(translatedPolicy, " X-Total-Count", "", 1),
		page: reportApp, init: `{}`, read: []string{"X-Request-Id", "X-Total-Count", "X-Internal"}, want: "would_hide_headers"},
	{name: "expose-headers", backend: djangoLike, policy: translatedPolicy + " X-Internal",
		page: reportApp, init: `{credentials: "include"}`, read: []string{"X-Request-Id", "X-Total-Count", "X-Internal"}, want: "would_expose_headers"},
}

func with(b backendCORS, edit func(*backendCORS)) backendCORS {
	edit(&b)
	return b
}

// predictionBackend serves every case's backend, by the case name in the
// path (/<route>/<case>/x).
func predictionBackend(t *testing.T) *httptest.Server {
	byName := map[string]backendCORS{}
	for _, c := range predictionCases {
		byName[c.name] = c.backend
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		if len(parts) < 3 {
			http.NotFound(w, r)
			return
		}
		b, h := byName[parts[2]], w.Header()
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if b.acaoAlways != "" {
			h.Set("Access-Control-Allow-Origin", b.acaoAlways)
		}
		if preflight && b.preflightStatus != 0 {
			w.WriteHeader(b.preflightStatus)
			return
		}
		h.Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); slices.Contains(b.origins, o) {
			h.Set("Access-Control-Allow-Origin", o)
			if b.credentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			if b.expose != "" {
				h.Set("Access-Control-Expose-Headers", b.expose)
			}
			if preflight {
				h.Set("Access-Control-Allow-Methods", b.methods)
				h.Set("Access-Control-Allow-Headers", b.headers)
			}
		}
		if preflight {
			w.WriteHeader(http.StatusOK)
			return
		}
		h.Set("X-Request-Id", "r-1")
		h.Set("X-Total-Count", "2")
		h.Set("X-Internal", "internal")
		_, _ = io.WriteString(w, "items")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// predictionCaddyfile has three routes per case: /plain/<case>/ without
// cors, /ro/<case>/ with the policy in report_only, /en/<case>/
// enforcing it; and the pages. The module's lines go to logFile.
func predictionCaddyfile(backend, logFile string) string {
	var routes strings.Builder
	for _, c := range predictionCases {
		fmt.Fprintf(&routes, `	handle /plain/%[1]s/* {
		reverse_proxy %[3]s
	}
	handle /ro/%[1]s/* {
		cors {
			%[2]s
			report_only
		}
		reverse_proxy %[3]s
	}
	handle /en/%[1]s/* {
		cors {
			%[2]s
		}
		reverse_proxy %[3]s
	}
`, c.name, c.policy, backend)
	}
	return fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	http_port %[1]d
	log {
		output file %[2]s
		format json
		level INFO
	}
}

%[3]s {
%[4]s}

%[5]s, %[6]s, %[7]s {
	header Content-Type "text/html; charset=utf-8"
	respond "<!doctype html><title>page</title><body></body>"
}
`, reportPort, logFile, reportAPI, routes.String(), reportApp, reportPartner, reportEvil)
}

// prediction is one report_only line, as the log tells it.
type prediction struct {
	Kind, Outcome, Reason, Value, Credentials, URI string
}

// predictions reads the lines the module logged about the fetches of
// route /ro/<name>/.
func predictions(t *testing.T, logFile, name string) []prediction {
	t.Helper()
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []prediction
	for line := range strings.SplitSeq(string(b), "\n") {
		if !strings.Contains(line, `"outcome":`) {
			continue
		}
		var p prediction
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if strings.HasPrefix(p.URI, "/ro/"+name+"/") {
			out = append(out, p)
		}
	}
	return out
}

// rank orders the outcomes as report_only does when several judgments
// concern one fetch (its preflight and its actual request).
var rank = map[string]int{"same": 0, "would_expose_headers": 1, "would_hide_headers": 2, "would_allow": 3, "would_block": 4}

// predicted is the outcome the lines predict for a fetch in credentials
// mode mode ("omit" or "include"): the highest-ranked of them. Each line
// must concern that mode (a case whose fetch is in the other mode would
// not be a test of the prediction).
func predicted(t *testing.T, lines []prediction, mode string) string {
	t.Helper()
	out := "same"
	for _, l := range lines {
		if l.Credentials != mode && l.Credentials != "both" {
			t.Fatalf("line %+v is about credentials %s, the fetch's mode is %s: the case cannot test the prediction", l, l.Credentials, mode)
		}
		if rank[l.Outcome] > rank[out] {
			out = l.Outcome
		}
	}
	return out
}

// readable is how many of the headers the page read it could read.
func readable(v verdict) int {
	n := 0
	for _, value := range v.Headers {
		if value != "" {
			n++
		}
	}
	return n
}

// observedOutcome is what the browser did, enforcing against the backend
// alone, in report_only's words.
func observedOutcome(backend, enforcing verdict) string {
	switch {
	case backend.OK && !enforcing.OK:
		return "would_block"
	case !backend.OK && enforcing.OK:
		return "would_allow"
	case backend.OK && readable(enforcing) < readable(backend):
		return "would_hide_headers"
	case backend.OK && readable(enforcing) > readable(backend):
		return "would_expose_headers"
	}
	return "same"
}

func TestBrowserReportOnlyPredictions(t *testing.T) {
	backend := predictionBackend(t)
	seen := map[string]bool{}
	eachEngine(t, func(t *testing.T, e engine) {
		// A fresh config per engine: each handler logs a judgment once a
		// minute, and the engines make the same ones.
		logFile := filepath.Join(t.TempDir(), "caddy.log")
		loadCaddy(t, predictionCaddyfile(backend.Listener.Addr().String(), logFile))
		for _, c := range predictionCases {
			t.Run(c.name, func(t *testing.T) {
				fetch := func(route string) verdict {
					var v verdict
					e.open(t).eval(t, c.page+"/", fetchJS(reportAPI+"/"+route+"/"+c.name+"/x", c.init, c.read), &v)
					return v
				}
				alone := fetch("plain")
				reported := fetch("ro")
				lines := predictions(t, logFile, c.name)
				enforcing := fetch("en")

				// report_only changes nothing the browser sees.
				if reported.OK != alone.OK || reported.Status != alone.Status || reported.Body != alone.Body || !maps(reported.Headers, alone.Headers) {
					t.Fatalf("through report_only the page got %+v, without cors %+v", reported, alone)
				}
				mode := "omit"
				if strings.Contains(c.init, `credentials: "include"`) {
					mode = "include"
				}
				got := predicted(t, lines, mode)
				did := observedOutcome(alone, enforcing)
				t.Logf("%s: predicted %s (%v); the browser: %s, then enforcing %s", e.name(), got, lines, describe(alone), describe(enforcing))
				if got != did {
					t.Errorf("report_only predicted %s, and enforcing the browser did %s", got, did)
				}
				if got != c.want {
					t.Errorf("report_only predicted %s, the case says %s", got, c.want)
				}
				seen[got] = true
			})
		}
	})
	if !t.Failed() && len(seen) > 0 && len(seen) != len(rank) {
		t.Errorf("the cases predicted %v, want every outcome", seen)
	}
}

// maps reports whether two header readings are the same.
func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// describe is a verdict in a few words.
func describe(v verdict) string {
	if !v.OK {
		return "refused"
	}
	return fmt.Sprintf("%d, reads %d headers", v.Status, readable(v))
}
