package cors

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// The judgment of report_only, as a table: a backend's response (status
// and headers, as reverse_proxy copies them) x a policy x a request
// (preflight or actual) -> the outcome, what differs, and the credentials
// modes in which it shows. Each case runs through ServeHTTP, so it is the
// whole path: the response must be the backend's exactly, and the
// judgment is read where users read it, in the metric and the log line.

const (
	admin   = "https://admin.example.com"
	partner = "https://partner.example.com"
)

// djangoPreflight is what django-cors-headers (3.14) answers to a
// preflight from an allowed origin with CORS_ALLOW_CREDENTIALS: 200 and
// its static lists.
func djangoPreflight(origin string) http.Header {
	return http.Header{
		hdrACAO: {origin}, hdrACAC: {"true"},
		hdrACAM: {"DELETE, GET, OPTIONS, PATCH, POST, PUT"},
		hdrACAH: {"accept, accept-encoding, authorization, content-type, dnt, origin, user-agent, x-csrftoken, x-requested-with, x-tenant"},
		hdrACMA: {"86400"}, "Vary": {"Origin"}, "Content-Length": {"0"},
	}
}

// djangoRefused is django-cors-headers' answer to an origin it does not
// allow: ACAC all the same, no ACAO.
var djangoRefused = http.Header{hdrACAC: {"true"}, "Vary": {"Origin"}}

type judgmentCase struct {
	name    string
	cfg     Handler
	method  string      // default GET
	req     http.Header // request headers
	backend spy

	outcome string // want
	reason  string
	value   string // the value field, or the status for reason status
	modes   string // omit, include, both
}

func preflightReq(origin, acrm, acrh string) http.Header {
	h := http.Header{"Origin": {origin}, hdrACRM: {acrm}}
	if acrh != "" {
		h[hdrACRH] = []string{acrh}
	}
	return h
}

// translated is django's settings above as this module's policy.
func translated() Handler {
	return Handler{
		Origins:     []string{app, admin},
		Headers:     []string{"accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with", "x-tenant"},
		Methods:     []string{"DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"},
		Credentials: true,
	}
}

func with(h Handler, edit func(*Handler)) Handler {
	edit(&h)
	return h
}

var judgmentCases = []judgmentCase{
	// Actual requests.
	{
		name: "actual: both allow: same",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}}},
		outcome: "same", modes: "both",
	},
	{
		name: "actual: both refuse: same",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {evil}},
		backend: spy{status: 200, headers: djangoRefused},
		outcome: "same", modes: "both",
	},
	{
		name: "actual: an origin the backend reflects and the policy lacks: would_block origin",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {evil}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {evil}}},
		outcome: "would_block", reason: "origin", value: evil, modes: "omit",
	},
	{
		name: "actual: an extra origin in the policy: would_allow origin",
		cfg:  Handler{Origins: []string{app, partner}}, req: http.Header{"Origin": {partner}},
		backend: spy{status: 200, headers: djangoRefused},
		outcome: "would_allow", reason: "origin", value: partner, modes: "omit",
	},
	{
		name: "actual: the backend allows credentials, the policy does not: would_block credentials",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACAC: {"true"}}},
		outcome: "would_block", reason: "credentials", modes: "include",
	},
	{
		name: "actual: the policy allows credentials, the backend does not: would_allow credentials",
		cfg:  Handler{Origins: []string{app}, Credentials: true}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}}},
		outcome: "would_allow", reason: "credentials", modes: "include",
	},
	{
		name: "actual: allow_all where the backend reflects with credentials: would_block credentials",
		cfg:  Handler{AllowAll: true}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACAC: {"true"}}},
		outcome: "would_block", reason: "credentials", modes: "include",
	},
	{
		name: "actual: an exposed name missing from the policy: would_hide_headers",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"X-Request-Id"}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACEH: {"X-Request-Id, X-Total-Count"}, "X-Request-Id": {"1"}, "X-Total-Count": {"2"}}},
		outcome: "would_hide_headers", reason: "exposed_header", value: "X-Total-Count", modes: "omit",
	},
	{
		name: "actual: a name the policy exposes and the backend does not: would_expose_headers",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"X-Total-Count"}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, "X-Total-Count": {"2"}}},
		outcome: "would_expose_headers", reason: "exposed_header", value: "X-Total-Count", modes: "omit",
	},
	{
		name: "actual: the smallest differing name is reported, whatever the map's order",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACEH: {"*"}, "X-Z": {"1"}, "X-B": {"2"}, "X-M": {"3"}}},
		outcome: "would_hide_headers", reason: "exposed_header", value: "X-B", modes: "omit",
	},
	{
		// ACEH * exposes everything without credentials and nothing (a
		// name "*") with them: hidden without, exposed with, and hiding wins.
		name: "actual: the backend's * against a listed name: hidden without credentials wins over exposed with",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"X-A"}, Credentials: true}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACEH: {"*"}, "X-A": {"1"}, "X-B": {"2"}}},
		outcome: "would_hide_headers", reason: "exposed_header", value: "X-B", modes: "omit",
	},
	{
		name: "actual: expose_headers * with credentials lists the response's own names: would_expose_headers",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"*"}, Credentials: true}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACEH: {"X-A"}, "X-A": {"1"}, "X-B": {"2"}, "Set-Cookie": {"s=1"}}},
		outcome: "would_expose_headers", reason: "exposed_header", value: "X-B", modes: "both",
	},
	{
		name: "actual: Set-Cookie and safelisted names are never a difference",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACEH: {"Set-Cookie, Content-Type"}, "Set-Cookie": {"s=1"}, "Content-Type": {"text/plain"}}},
		outcome: "same", modes: "both",
	},
	{
		name: "actual: an ACEH that does not parse exposes nothing",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"X-A"}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app}, hdrACEH: {"X-A, X B"}, "X-A": {"1"}}},
		outcome: "would_expose_headers", reason: "exposed_header", value: "X-A", modes: "omit",
	},
	{
		name: "actual: a backend's ACAO sent twice fails in the browser: would_allow origin",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		backend: spy{status: 200, headers: http.Header{hdrACAO: {app, app}}},
		outcome: "would_allow", reason: "origin", value: app, modes: "omit",
	},
	{
		name: "actual: a 401 that Caddy writes for next's error is judged with its status",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		backend: spy{err: caddyhttp.Error(http.StatusUnauthorized, errors.New("no"))},
		outcome: "would_allow", reason: "origin", value: app, modes: "omit",
	},

	// Preflights.
	{
		name: "preflight: django's answer and its translation: same",
		cfg:  translated(), method: "OPTIONS", req: preflightReq(app, "PUT", "content-type,x-tenant"),
		backend: spy{status: 200, headers: djangoPreflight(app)},
		outcome: "same", modes: "both",
	},
	{
		name: "preflight: a header missing from the policy: would_block header",
		cfg:  with(translated(), func(h *Handler) { h.Headers = []string{"content-type"} }), method: "OPTIONS", req: preflightReq(app, "PUT", "content-type,x-tenant"),
		backend: spy{status: 200, headers: djangoPreflight(app)},
		outcome: "would_block", reason: "header", value: "x-tenant", modes: "both",
	},
	{
		name: "preflight: OPTIONS, in django's default methods and not in ours: would_block method",
		cfg:  with(translated(), func(h *Handler) { h.Methods = nil }), method: "OPTIONS", req: preflightReq(app, "OPTIONS", ""),
		backend: spy{status: 200, headers: djangoPreflight(app)},
		outcome: "would_block", reason: "method", value: "OPTIONS", modes: "both",
	},
	{
		name: "preflight: an origin missing from the policy: would_block origin",
		cfg:  with(translated(), func(h *Handler) { h.Origins = []string{app} }), method: "OPTIONS", req: preflightReq(admin, "PUT", ""),
		backend: spy{status: 200, headers: djangoPreflight(admin)},
		outcome: "would_block", reason: "origin", value: admin, modes: "both",
	},
	{
		name: "preflight: credentials missing from the policy: would_block credentials",
		cfg:  with(translated(), func(h *Handler) { h.Credentials = false }), method: "OPTIONS", req: preflightReq(app, "PUT", ""),
		backend: spy{status: 200, headers: djangoPreflight(app)},
		outcome: "would_block", reason: "credentials", modes: "include",
	},
	{
		name: "preflight: an extra origin: would_allow origin",
		cfg:  with(translated(), func(h *Handler) { h.Origins = append(h.Origins, partner) }), method: "OPTIONS", req: preflightReq(partner, "PUT", ""),
		backend: spy{status: 200, headers: djangoRefused},
		outcome: "would_allow", reason: "origin", value: partner, modes: "both",
	},
	{
		name: "preflight: a method the backend does not list: would_allow method",
		cfg:  translated(), method: "OPTIONS", req: preflightReq(app, "PUT", ""),
		backend: spy{status: 200, headers: with2(djangoPreflight(app), hdrACAM, "GET, POST")},
		outcome: "would_allow", reason: "method", value: "PUT", modes: "both",
	},
	{
		name: "preflight: a header the backend does not list: would_allow header",
		cfg:  translated(), method: "OPTIONS", req: preflightReq(app, "PUT", "x-tenant"),
		backend: spy{status: 200, headers: with2(djangoPreflight(app), hdrACAH, "content-type")},
		outcome: "would_allow", reason: "header", value: "x-tenant", modes: "both",
	},
	{
		name: "preflight: a backend that does not answer preflights (405 under a header snippet's ACAO): would_allow status",
		cfg:  Handler{Origins: []string{app}}, method: "OPTIONS", req: preflightReq(app, "PUT", ""),
		backend: spy{status: 405, headers: http.Header{hdrACAO: {app}, "Allow": {"GET"}}},
		outcome: "would_allow", reason: "status", value: "405", modes: "omit",
	},
	{
		name: "preflight: a redirect fails, the module's answer would not: would_allow status",
		cfg:  Handler{Origins: []string{app}}, method: "OPTIONS", req: preflightReq(app, "PUT", ""),
		backend: spy{status: 301, headers: http.Header{"Location": {"/x/"}}},
		outcome: "would_allow", reason: "status", value: "301", modes: "omit",
	},
	{
		name: "preflight: passthrough_preflight: the backend's 404 with the module's headers fails as the backend's does: same",
		cfg:  Handler{Origins: []string{app}, PassthroughPreflight: true}, method: "OPTIONS", req: preflightReq(app, "PUT", ""),
		backend: spy{status: 404},
		outcome: "same", modes: "both",
	},
	{
		name: "preflight: passthrough_preflight: the backend's 204 with the module's headers passes: would_allow origin",
		cfg:  Handler{Origins: []string{app}, PassthroughPreflight: true}, method: "OPTIONS", req: preflightReq(app, "PUT", ""),
		backend: spy{status: 204},
		outcome: "would_allow", reason: "origin", value: app, modes: "omit",
	},
	{
		name: "preflight: a list longer than the policy judges: would_block header, judged on the names within bounds",
		cfg:  Handler{Origins: []string{app}, Headers: []string{"*"}}, method: "OPTIONS", req: preflightReq(app, "PUT", strings.Repeat("x-a,", 65)),
		backend: spy{status: 204, headers: http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, hdrACAH: {"*"}}},
		outcome: "would_block", reason: "header", value: "Access-Control-Request-Headers too long or malformed", modes: "omit",
	},
}

// with2 returns a copy of h with name set to value.
func with2(h http.Header, name, value string) http.Header {
	h = h.Clone()
	h.Set(name, value)
	return h
}

// counterValue reads a counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestReportOnlyJudgment(t *testing.T) {
	for _, tc := range judgmentCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.ReportOnly = true
			h, logs := provision(t, cfg)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			r := httptest.NewRequest(method, "http://api.example.com/x?y=1", nil)
			r.RequestURI = "/x?y=1" // the request line's target, as a server reads it
			for k, v := range tc.req {
				r.Header[k] = v
			}
			kind := kindIndex(h.decideKind(r))
			before := make([]float64, numOutcomes)
			for o := range numOutcomes {
				before[o] = counterValue(t, h.report.counts[kind][o])
			}

			// The response goes out as the backend made it.
			w := httptest.NewRecorder()
			next := tc.backend
			err := h.ServeHTTP(w, r, &next)
			if (err != nil) != (tc.backend.err != nil) || !next.called {
				t.Fatalf("error %v, next called %v", err, next.called)
			}
			alone := httptest.NewRecorder()
			again := tc.backend
			_ = again.ServeHTTP(alone, r)
			if w.Code != alone.Code || !reflect.DeepEqual(w.Header(), alone.Header()) || w.Body.String() != alone.Body.String() {
				t.Fatalf("response changed:\n got %d %v %q\nwant %d %v %q", w.Code, w.Header(), w.Body, alone.Code, alone.Header(), alone.Body)
			}

			// Counted once, under its outcome.
			for o := range numOutcomes {
				want := before[o]
				if o.String() == tc.outcome {
					want++
				}
				if got := counterValue(t, h.report.counts[kind][o]); got != want {
					t.Errorf("caddy_cors_report_only_total{outcome=%q} went from %v to %v, want %v", o, before[o], got, want)
				}
			}

			// Logged, with the reason, unless same.
			lines := logs.FilterMessageSnippet("report_only:").All()
			if tc.outcome == "same" {
				if len(lines) != 0 {
					t.Fatalf("logged %v for a same outcome", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("%d report lines, want 1: %v", len(lines), lines)
			}
			f := lines[0].ContextMap()
			value := f["value"]
			if tc.reason == "status" {
				value = f["status"]
			}
			got := []any{f["outcome"], f["reason"], value, f["credentials"], f["origin"], f["method"], f["uri"]}
			want := []any{tc.outcome, tc.reason, tc.value, tc.modes, tc.req.Get("Origin"), method, "/x?y=1"}
			if tc.reason == "status" {
				n, _ := strconv.Atoi(tc.value)
				want[2] = int64(n)
			}
			if tc.value == "" {
				want[2] = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("log line (outcome, reason, value, credentials, origin, method, uri):\n got %q\nwant %q", got, want)
			}
			wantLevel := "info"
			if tc.outcome == "would_block" || tc.outcome == "would_hide_headers" {
				wantLevel = "warn"
			}
			if lines[0].Level.String() != wantLevel {
				t.Errorf("level %s, want %s", lines[0].Level, wantLevel)
			}
		})
	}
}

// The table covers every outcome, every reason, and both kinds.
func TestReportOnlyJudgmentTableCoversEverything(t *testing.T) {
	outcomes, reasons, kinds := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, tc := range judgmentCases {
		outcomes[tc.outcome] = true
		reasons[tc.reason] = true
		kinds[tc.method] = true
	}
	for o := range numOutcomes {
		if !outcomes[o.String()] {
			t.Errorf("no case with outcome %s", o)
		}
	}
	for r := differsOrigin; r < numDiffers; r++ {
		if !reasons[r.String()] {
			t.Errorf("no case with reason %s", r)
		}
	}
	if !kinds[""] || !kinds["OPTIONS"] {
		t.Errorf("cases of kinds %v, want actual and preflight", kinds)
	}
}

// decideKind is the kind of request r is to h.
func (h *Handler) decideKind(r *http.Request) decision.Kind {
	var d decision.Decision
	h.decide(&d, r)
	return d.Kind
}
