package cors

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/corsedge/caddy-cors/permission"
)

// BenchmarkPermission: an origin the permission endpoint allowed, once
// cached, against the same request from a static exact origin, in one
// run; and denials from the cache. Debug logging is off, as in
// production; the endpoint is asked once per origin, before the loop.
func BenchmarkPermission(b *testing.B) {
	e := newPermissionEndpoint(b, map[string]string{tenantOrigin: "api.example.com"})
	static := benchHandler(b, Handler{Origins: []string{app}, Credentials: true})
	dynamic, _ := provisionWithPermission(b, Handler{Origins: []string{app}, PermissionRaw: benchPermissionJSON(e.URL), Credentials: true})
	dynamic.logger = static.logger
	preflight := func(origin string) *http.Request {
		return request("OPTIONS", map[string]string{"Origin": origin, hdrACRM: "PUT"})
	}
	cases := []struct {
		name   string
		h      *Handler
		r      *http.Request
		status int
	}{
		{"origin=static_exact/request=actual", static, request("GET", map[string]string{"Origin": app}), 200},
		{"origin=cached_allowed/request=actual", dynamic, request("GET", map[string]string{"Origin": tenantOrigin}), 200},
		{"origin=static_exact/request=preflight", static, preflight(app), 204},
		{"origin=cached_allowed/request=preflight", dynamic, preflight(tenantOrigin), 204},
		{"origin=static_denied/request=preflight", static, preflight(evil), 403},
		{"origin=cached_denied/request=preflight", dynamic, preflight(evil), 403},
		{"origin=cached_denied/request=actual", dynamic, request("GET", map[string]string{"Origin": evil}), 200},
	}
	for _, c := range cases { // the endpoint is asked here, once per origin
		_ = c.h.ServeHTTP(&benchWriter{h: make(http.Header)}, c.r, okNext)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { runBench(b, c.h, c.r, c.status) })
	}
	if n := e.lookups.Load(); n != 2 {
		b.Fatalf("%d lookups, want 2: the benchmark measured misses", n)
	}
}

// BenchmarkPermissionRatio measures the two requests above, a cached
// allowed origin and a static exact one, in alternating batches of 64 in
// the same loop, so that both see the same load on a shared machine, and
// reports the ratio of their times (cached/static) and each one's ns.
func BenchmarkPermissionRatio(b *testing.B) {
	e := newPermissionEndpoint(b, map[string]string{tenantOrigin: "api.example.com"})
	static := benchHandler(b, Handler{Origins: []string{app}, Credentials: true})
	dynamic, _ := provisionWithPermission(b, Handler{Origins: []string{app}, PermissionRaw: benchPermissionJSON(e.URL), Credentials: true})
	dynamic.logger = static.logger
	for _, kind := range []string{"actual", "preflight"} {
		method, status := "GET", 200
		if kind == "preflight" {
			method, status = "OPTIONS", 204
		}
		headers := func(origin string) map[string]string {
			h := map[string]string{"Origin": origin}
			if kind == "preflight" {
				h[hdrACRM] = "PUT"
			}
			return h
		}
		rs, rd := request(method, headers(app)), request(method, headers(tenantOrigin))
		w := &benchWriter{h: make(http.Header)}
		serve := func(h *Handler, r *http.Request) {
			clear(w.h)
			w.status = 0
			_ = h.ServeHTTP(w, r, okNext)
		}
		serve(dynamic, rd) // the endpoint is asked here
		b.Run("request="+kind, func(b *testing.B) {
			var tStatic, tCached int64
			const batch = 64
			b.ReportAllocs()
			for b.Loop() {
				t0 := nanotime()
				for range batch {
					serve(static, rs)
				}
				t1 := nanotime()
				for range batch {
					serve(dynamic, rd)
				}
				tStatic += t1 - t0
				tCached += nanotime() - t1
			}
			if w.status != status {
				b.Fatalf("status %d, want %d", w.status, status)
			}
			if n := e.lookups.Load(); n != 1 {
				b.Fatalf("%d lookups, want 1: the benchmark measured misses", n)
			}
			b.ReportMetric(float64(tCached)/float64(tStatic), "cached/static")
			b.ReportMetric(float64(tStatic)/float64(b.N*batch), "static-ns/req")
			b.ReportMetric(float64(tCached)/float64(b.N*batch), "cached-ns/req")
		})
	}
}

var benchStart = time.Now()

func nanotime() int64 { return int64(time.Since(benchStart)) }

// benchPermissionJSON is permissionJSON with TTLs that outlast any
// benchmark run: with the defaults, a cached denial (30 s) can expire
// during a long -count run on a loaded machine, and the run would then
// measure a miss.
func benchPermissionJSON(endpoint string) []byte {
	return []byte(`{"module":"http","endpoint":"` + endpoint + `","cache_ttl":"24h","negative_ttl":"24h"}`)
}

// uncachedOrigins numbers the origins of BenchmarkUncachedLookupLatency
// across its runs, so that none is ever cached.
var uncachedOrigins atomic.Int64

// BenchmarkUncachedLookupLatency is the latency an origin that is not
// cached adds to an actual request, with an endpoint and a backend that
// each take `delay`: every iteration sends a new origin, so every one is
// a miss. lookup=beside is the handler as it is (the lookup runs beside
// the next handler); lookup=before is the same permission module without
// its Cached side, which the handler must ask before next, as it did for
// every module before the lookup moved beside next. ns/op is the
// request's latency: about one delay beside, two before.
func BenchmarkUncachedLookupLatency(b *testing.B) {
	const delay = 20 * time.Millisecond
	slow := &permissionEndpoint{}
	slow.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slow.lookups.Add(1)
		time.Sleep(delay)
		w.WriteHeader(http.StatusNoContent) // every origin allowed
	}))
	b.Cleanup(slow.Close)
	h, _ := provisionWithPermission(b, Handler{Origins: []string{app}, PermissionRaw: benchPermissionJSON(slow.URL), Credentials: true})
	backend := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		time.Sleep(delay)
		w.WriteHeader(http.StatusOK)
		return nil
	})
	checker := h.policy.permission
	for _, mode := range []string{"beside", "before"} {
		b.Run("lookup="+mode, func(b *testing.B) {
			h.policy.cached = nil
			if mode == "beside" {
				h.policy.cached = checker.(permission.Cached)
			}
			w := &benchWriter{h: make(http.Header)}
			for b.Loop() {
				origin := fmt.Sprintf("https://t%d.example.net", uncachedOrigins.Add(1)) // never seen before
				clear(w.h)
				_ = h.ServeHTTP(w, request("GET", map[string]string{"Origin": origin}), backend)
				if got := w.h.Get(hdrACAO); got != origin {
					b.Fatalf("ACAO %q, want %q", got, origin)
				}
			}
		})
	}
}
