package cors

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// FuzzReportOnlyChangesNothing: whatever the request and whatever CORS
// headers the backend sends, report_only never panics, passes the
// response on exactly as the backend made it, and counts exactly one
// judgment for a cross-origin request. Seeded from the judgment table.
func FuzzReportOnlyChangesNothing(f *testing.F) {
	for _, tc := range judgmentCases {
		b := tc.backend.headers
		f.Add(tc.method == "OPTIONS", tc.req.Get("Origin"), tc.req.Get(hdrACRM), tc.req.Get(hdrACRH),
			b.Get(hdrACAO), b.Get(hdrACAC), b.Get(hdrACAM), b.Get(hdrACAH), b.Get(hdrACEH), tc.backend.status)
	}
	f.Add(true, "null", "patch", " ,x-a,,X-B\t", "null", "TRUE", "*", "*", "*", 299)
	f.Add(false, app, "", "", app+", "+app, "true", "", "", "X-A, X B,", 0)
	h, _ := provision(f, Handler{Origins: []string{app, "https://*.example.com"}, Credentials: true, ExposeHeaders: []string{"X-A"}, ReportOnly: true})
	h.logger = zap.NewNop()
	f.Fuzz(func(t *testing.T, preflight bool, origin, acrm, acrh, acao, acac, acam, acah, aceh string, status int) {
		if status < 100 || status > 599 {
			status = 200
		}
		r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
		if preflight {
			r.Method = http.MethodOptions
			r.Header[hdrACRM] = []string{acrm}
			r.Header[hdrACRH] = []string{acrh}
		}
		r.Header["Origin"] = []string{origin}
		backend := http.Header{}
		for name, v := range map[string]string{hdrACAO: acao, hdrACAC: acac, hdrACAM: acam, hdrACAH: acah, hdrACEH: aceh, "X-A": "1", "X-B": "2"} {
			if v != "" {
				backend[name] = []string{v}
			}
		}
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			for k, v := range backend {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte("body"))
			return nil
		})
		kind := kindIndex(h.decideKind(r))
		before := 0.0
		for o := range numOutcomes {
			before += counterValue(t, h.report.counts[kind][o])
		}
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		if err := h.ServeHTTP(got, r, next); err != nil {
			t.Fatal(err)
		}
		_ = next.ServeHTTP(want, r)
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
			t.Fatalf("response changed: %d %v, want %d %v", got.Code, got.Header(), want.Code, want.Header())
		}
		after := 0.0
		for o := range numOutcomes {
			after += counterValue(t, h.report.counts[kind][o])
		}
		wantCounted := 1.0
		if d := h.decideKind(r); d != decision.Actual && d != decision.Preflight { // not judged
			wantCounted = 0
		}
		if status == http.StatusSwitchingProtocols {
			wantCounted = 0
		}
		if after-before != wantCounted {
			t.Fatalf("counted %v judgments, want %v", after-before, wantCounted)
		}
	})
}
