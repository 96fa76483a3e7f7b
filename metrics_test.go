package cors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// counts reads the cors counters from a config's registry, by metric and
// result.
func counts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		switch f.GetName() {
		case "caddy_cors_preflights_total", "caddy_cors_requests_total":
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "result" {
						out[f.GetName()+"/"+l.GetValue()] = m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	reg := ctx.GetMetricsRegistry()
	// Two handlers in one config register the same collectors.
	var hs [2]*Handler
	for i := range hs {
		hs[i] = &Handler{Origins: []string{"https://app.example.com"}, Headers: []string{"x-allowed"}}
		if err := hs[i].Provision(ctx); err != nil {
			t.Fatalf("Provision %d: %v", i, err)
		}
	}
	before := counts(t, reg)
	serve := func(method string, headers map[string]string) {
		r := httptest.NewRequest(method, "http://api.example.com/x", nil)
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		if err := hs[0].ServeHTTP(httptest.NewRecorder(), r, okNext); err != nil {
			t.Fatal(err)
		}
	}
	app, evil := "https://app.example.com", "https://evil.example.com"
	serve("OPTIONS", map[string]string{"Origin": app, hdrACRM: "PUT"})
	serve("OPTIONS", map[string]string{"Origin": app, hdrACRM: "PUT", hdrACRH: "x-allowed"})
	serve("OPTIONS", map[string]string{"Origin": evil, hdrACRM: "PUT"})
	serve("OPTIONS", map[string]string{"Origin": app, hdrACRM: "CUSTOM"})
	serve("OPTIONS", map[string]string{"Origin": app, hdrACRM: "PUT", hdrACRH: "x-secret"})
	serve("GET", map[string]string{"Origin": app})
	serve("GET", map[string]string{"Origin": evil})
	serve("GET", map[string]string{"Origin": evil})
	serve("GET", nil)
	serve("OPTIONS", map[string]string{"Origin": app}) // no ACRM: an actual request
	// The site's own POST carries its own origin: not a CORS request.
	serve("POST", map[string]string{"Origin": "http://api.example.com"})
	after := counts(t, reg)
	want := map[string]float64{
		"caddy_cors_preflights_total/allowed":       2,
		"caddy_cors_preflights_total/denied_origin": 1,
		"caddy_cors_preflights_total/denied_method": 1,
		"caddy_cors_preflights_total/denied_header": 1,
		"caddy_cors_requests_total/allowed":         2,
		"caddy_cors_requests_total/not_allowed":     2,
		"caddy_cors_requests_total/no_origin":       1,
		"caddy_cors_requests_total/same_origin":     1,
	}
	for k, w := range want {
		if got := after[k] - before[k]; got != w {
			t.Errorf("%s grew by %v, want %v", k, got, w)
		}
	}
	if len(after) != len(want) {
		t.Errorf("series %v, want exactly %d", after, len(want))
	}

	// A new config (a reload) has its own registry; the counts carry on.
	ctx2, cancel2 := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel2()
	h := &Handler{AllowAll: true}
	if err := h.Provision(ctx2); err != nil {
		t.Fatal(err)
	}
	if err := h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://api.example.com/", nil), okNext); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, ctx2.GetMetricsRegistry())["caddy_cors_requests_total/no_origin"]; got != after["caddy_cors_requests_total/no_origin"]+1 {
		t.Errorf("no_origin in the new registry = %v, want %v", got, after["caddy_cors_requests_total/no_origin"]+1)
	}
}

// Counting allocates nothing: the counters are resolved at provision.
func TestMetricsAllocateNothing(t *testing.T) {
	h, _ := provision(t, Handler{Origins: []string{"https://app.example.com"}})
	h.logger = zap.NewNop() // as in production: debug off
	r := request("OPTIONS", map[string]string{"Origin": "https://evil.example.com", hdrACRM: "PUT"})
	w := &benchWriter{h: make(http.Header)}
	if n := testing.AllocsPerRun(100, func() { _ = h.ServeHTTP(w, r, okNext) }); n != 0 {
		t.Fatalf("%v allocations per denied preflight, want 0", n)
	}
}

// BenchmarkCounterInc is what metrics add to a request: one increment of
// a counter resolved at provision (an interface call and an atomic add),
// beside a bare atomic add and an empty loop, in the same run.
func BenchmarkCounterInc(b *testing.B) {
	h := benchHandler(b, benchConfig())
	var n atomic.Uint64
	b.Run("kind=empty_loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
		}
	})
	b.Run("kind=atomic_add", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n.Add(1)
		}
	})
	b.Run("kind=counter_inc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.metrics.actual[decision.Allowed].Inc()
		}
	})
}

// nopCounter is a counter that counts nothing, for measuring what the real
// counters cost in the same run.
type nopCounter struct{ prometheus.Counter }

func (nopCounter) Inc() {}

// BenchmarkMetricsCost runs requests with the real counters and with
// counters that do nothing, alternating within each -count round, so that
// the difference is the counting alone (an atomic add; the interface call
// is in both).
func BenchmarkMetricsCost(b *testing.B) {
	real := benchHandler(b, benchConfig())
	none := benchHandler(b, benchConfig())
	n := nopCounter{}
	none.metrics = handlerMetrics{noOrigin: n, sameOrigin: n}
	for i := range numReasons {
		none.metrics.preflight[i], none.metrics.actual[i] = n, n
	}
	cases := []struct {
		name   string
		r      *http.Request
		status int
	}{
		{"actual/exact", request("GET", map[string]string{"Origin": "https://app.example.com"}), 200},
		{"actual/no_origin", request("GET", nil), 200},
		{"preflight/allowed", request("OPTIONS", map[string]string{"Origin": "https://app.example.com", hdrACRM: "PUT", hdrACRH: "authorization,content-type"}), 204},
		{"preflight/denied_origin", request("OPTIONS", map[string]string{"Origin": "https://evil.example.net", hdrACRM: "PUT"}), 403},
	}
	for _, c := range cases {
		b.Run(c.name+"/counters=real", func(b *testing.B) { runBench(b, real, c.r, c.status) })
		b.Run(c.name+"/counters=none", func(b *testing.B) { runBench(b, none, c.r, c.status) })
	}
}
