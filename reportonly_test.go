package cors

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap/zaptest/observer"
)

// report_only changes nothing: whatever the request and however the next
// handler writes its response, the client gets exactly what the next
// handler alone would have sent (status, headers, no Vary added, body,
// trailers, informational responses), and the next handler always runs.
func TestReportOnlyChangesNothing(t *testing.T) {
	writes := map[string]func(w http.ResponseWriter){
		"WriteHeader": func(w http.ResponseWriter) { w.WriteHeader(201) },
		"Write":       func(w http.ResponseWriter) { _, _ = w.Write([]byte("body")) },
		"Flush": func(w http.ResponseWriter) {
			_ = http.NewResponseController(w).Flush()
			_, _ = w.Write([]byte("streamed"))
		},
		"ReadFrom": func(w http.ResponseWriter) { _, _ = io.Copy(w, strings.NewReader("copied")) },
		"nothing":  func(w http.ResponseWriter) {},
		"103 then 200": func(w http.ResponseWriter) {
			w.Header().Set("Link", "</app.js>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusOK)
		},
		"trailer": func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "X-Checksum")
			_, _ = w.Write([]byte("x"))
			w.Header().Set("X-Checksum", "abc")
		},
	}
	requests := map[string]http.Header{
		"no Origin":                 {},
		"same origin":               {"Origin": {"http://api.example.com"}},
		"allowed actual":            {"Origin": {app}},
		"disallowed actual":         {"Origin": {evil}},
		"allowed preflight":         preflightReq(app, "PUT", "content-type"),
		"preflight denied (header)": preflightReq(app, "PUT", "x-secret"),
		"preflight denied (origin)": preflightReq(evil, "PUT", ""),
	}
	configs := map[string]Handler{
		"origins, credentials, expose *": {Origins: []string{app}, Credentials: true, ExposeHeaders: []string{"*"}, MaxAge: seconds(60)},
		"allow_all":                      {AllowAll: true},
		"passthrough_preflight":          {Origins: []string{app}, PassthroughPreflight: true},
	}
	for cname, cfg := range configs {
		cfg.ReportOnly = true
		h, _ := provision(t, cfg)
		for rname, headers := range requests {
			for wname, write := range writes {
				t.Run(cname+"/"+rname+"/"+wname, func(t *testing.T) {
					method := "GET"
					if headers.Get(hdrACRM) != "" {
						method = "OPTIONS"
					}
					serve := func(through bool) (*httptest.ResponseRecorder, bool) {
						r := httptest.NewRequest(method, "http://api.example.com/x", nil)
						for k, v := range headers {
							r.Header[k] = v
						}
						w := httptest.NewRecorder()
						w.Header().Set("Vary", "Accept-Encoding") // set earlier in the route
						called := false
						next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
							called = true
							w.Header().Set(hdrACAO, "*") // a backend's own CORS header
							w.Header().Set("X-Backend", "1")
							write(w)
							return nil
						})
						if through {
							if err := h.ServeHTTP(w, r, next); err != nil {
								t.Fatal(err)
							}
						} else {
							_ = next.ServeHTTP(w, r)
						}
						return w, called
					}
					got, called := serve(true)
					want, _ := serve(false)
					if !called {
						t.Fatal("next not called")
					}
					if got.Code != want.Code || got.Body.String() != want.Body.String() ||
						!reflect.DeepEqual(got.Header(), want.Header()) ||
						!reflect.DeepEqual(got.Result().Header, want.Result().Header) ||
						!reflect.DeepEqual(got.Result().Trailer, want.Result().Trailer) {
						t.Errorf("response changed:\n got %d %v %v %q\nwant %d %v %v %q",
							got.Code, got.Result().Header, got.Result().Trailer, got.Body,
							want.Code, want.Result().Header, want.Result().Trailer, want.Body)
					}
				})
			}
		}
	}
}

// Requests that are not CORS requests go to next with the client's own
// writer: nothing to judge, nothing to pay for.
func TestReportOnlyLeavesNonCORSRequestsAlone(t *testing.T) {
	h, logs := provision(t, Handler{Origins: []string{app}, ReportOnly: true})
	before := [numOutcomes]float64{}
	for o := range numOutcomes {
		before[o] = counterValue(t, h.report.counts[0][o])
	}
	for _, origin := range []string{"", "http://api.example.com"} {
		r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		var got http.ResponseWriter
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			got = w
			return nil
		})
		if err := h.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
		if got != http.ResponseWriter(w) {
			t.Errorf("Origin %q: next got %T, want the client's own writer", origin, got)
		}
	}
	for o := range numOutcomes {
		if got := counterValue(t, h.report.counts[0][o]); got != before[o] {
			t.Errorf("outcome %s counted for a request that is not CORS", o)
		}
	}
	if n := logs.FilterMessageSnippet("report_only").Len(); n != 0 {
		t.Errorf("%d report lines for requests that are not CORS", n)
	}
}

// A WebSocket handshake (101) is not a response browsers CORS-check: it
// is passed on and not judged.
func TestReportOnlySkipsSwitchingProtocols(t *testing.T) {
	h, logs := provision(t, Handler{Origins: []string{app}, ReportOnly: true})
	before := counterValue(t, h.report.counts[0][wouldAllow])
	r := httptest.NewRequest("GET", "http://api.example.com/ws", nil)
	r.Header.Set("Origin", app)
	w := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusSwitchingProtocols)
		return nil
	})
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusSwitchingProtocols || counterValue(t, h.report.counts[0][wouldAllow]) != before || logs.Len() != 0 {
		t.Errorf("status %d, counted %v, logged %v: want 101, not judged", w.Code, counterValue(t, h.report.counts[0][wouldAllow])-before, logs.All())
	}
}

// A permission answer that comes after the response does not hold the
// response back (enforcing waits for it before the headers): the judgment
// finishes beside, with the answer.
func TestReportOnlyDoesNotWaitForPermission(t *testing.T) {
	checker := &scriptedChecker{allowed: true, release: make(chan struct{})}
	h, logs := provision(t, Handler{Origins: []string{"https://static.example.com"}, ReportOnly: true})
	h.policy.permission, h.policy.cached = checker, checker
	judged := make(chan struct{})
	logged := observeLines(h, logs, judged)
	r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
	r.Header.Set("Origin", "https://tenant.example.net")
	w := httptest.NewRecorder()
	backendRefuses := &spy{status: 200, headers: djangoRefused}
	if err := h.ServeHTTP(w, r, backendRefuses); err != nil {
		t.Fatal(err)
	}
	// ServeHTTP has returned with the endpoint still not answering.
	if checker.answered.Load() || w.Code != 200 || w.Body.String() != "next" {
		t.Fatalf("answered %v, status %d, body %q: want the response out before the answer", checker.answered.Load(), w.Code, w.Body)
	}
	close(checker.release)
	waitFor(t, judged, "the judgment after the permission answer")
	if f := logged(); f["outcome"] != "would_allow" || f["reason"] != "origin" {
		t.Errorf("judged %v, want would_allow origin (the endpoint allows what the backend refuses)", f)
	}
}

// A "no" that comes from a lookup given up with a departed client is not
// taken for the endpoint's answer: the judgment asks again.
func TestReportOnlyDoesNotTakeAGivenUpLookupForADenial(t *testing.T) {
	checker := &scriptedChecker{allowed: true, release: make(chan struct{}), entered: make(chan struct{})}
	h, logs := provision(t, Handler{Origins: []string{"https://static.example.com"}, ReportOnly: true})
	h.policy.permission, h.policy.cached = checker, checker
	judged := make(chan struct{})
	logged := observeLines(h, logs, judged)
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "http://api.example.com/x", nil).WithContext(ctx)
	r.Header.Set("Origin", "https://tenant.example.net")
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		waitFor(t, checker.entered, "the lookup")
		cancel() // the client leaves; the lookup gives up and says no
		_, _ = w.Write([]byte("x"))
		return nil
	})
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
		t.Fatal(err)
	}
	close(checker.release)
	waitFor(t, judged, "the judgment")
	if f := logged(); f["outcome"] != "would_allow" {
		t.Errorf("judged %v, want would_allow: the endpoint allows the origin", f)
	}
}

// observeLines closes judged when h writes its first report line, and
// returns a function that gives that line's fields.
func observeLines(h *Handler, logs *observer.ObservedLogs, judged chan struct{}) func() map[string]any {
	done := make(chan struct{})
	var fields map[string]any
	go func() {
		defer close(done)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if lines := logs.FilterMessageSnippet("report_only:").All(); len(lines) > 0 {
				fields = lines[0].ContextMap()
				close(judged)
				return
			}
		}
	}()
	return func() map[string]any { <-done; return fields }
}

// The Caddyfile subdirective: bare is true, true and false are accepted.
func TestReportOnlyCaddyfile(t *testing.T) {
	for input, want := range map[string]bool{
		"cors https://a.com {\n\treport_only\n}":       true,
		"cors https://a.com {\n\treport_only true\n}":  true,
		"cors https://a.com {\n\treport_only false\n}": false,
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		if h.ReportOnly != want {
			t.Errorf("%q: ReportOnly = %v, want %v", input, h.ReportOnly, want)
		}
	}
	var h Handler
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("cors https://a.com {\n\treport_only yes\n}"))
	if err == nil || !strings.Contains(err.Error(), `report_only "yes": must be true or false (or nothing, meaning true)`) {
		t.Errorf("error = %v", err)
	}
}

// JSON: "report_only": true, with the other fields, loads as Caddy loads it.
func TestReportOnlyJSON(t *testing.T) {
	var h Handler
	if err := json.Unmarshal([]byte(`{"origins": ["https://a.com"], "report_only": true, "passthrough_preflight": true}`), &h); err != nil {
		t.Fatal(err)
	}
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	if !h.ReportOnly || !h.policy.reportOnly || !h.policy.passthrough || h.report == nil {
		t.Errorf("report_only not compiled: %+v", h.policy)
	}
}

// The directive adapts to "report_only": true, next to the rest of the
// policy.
func TestReportOnlyAdapt(t *testing.T) {
	caddyfile := `:8884 {
	cors https://app.example.com {
		credentials
		report_only
	}
	respond "hi"
}`
	want := `{
	"apps": {
		"http": {
			"servers": {
				"srv0": {
					"listen": [
						":8884"
					],
					"routes": [
						{
							"handle": [
								{
									"credentials": true,
									"handler": "cors",
									"origins": [
										"https://app.example.com"
									],
									"report_only": true
								},
								{
									"body": "hi",
									"handler": "static_response"
								}
							]
						}
					]
				}
			}
		}
	}
}`
	if !caddytest.CompareAdapt(t, "Caddyfile", caddyfile, "caddyfile", want) {
		t.Error("adapted JSON differs (diff above)")
	}
}
