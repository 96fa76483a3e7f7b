package cors

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// hostileRequests are preflights built to make a CORS check slow or
// memory-hungry. Each must be denied, must not reach the next handler,
// and must cost no allocation at any size (constant memory); the time
// each takes is in BenchmarkHostilePreflight.
func hostileRequests(size int) map[string]*http.Request {
	preflight := func(origin string, acrh ...string) *http.Request {
		r := httptest.NewRequest("OPTIONS", "/", nil)
		r.Header["Origin"] = []string{origin}
		r.Header[hdrACRM] = []string{"PUT"}
		if acrh != nil {
			r.Header[hdrACRH] = acrh
		}
		return r
	}
	lines := make([]string, size/16+1)
	for i := range lines {
		lines[i] = "accept"
	}
	return map[string]*http.Request{
		"commas":            preflight(app, strings.Repeat(",", size)),
		"header lines":      preflight(app, lines...),
		"spaces":            preflight(app, strings.Repeat(" ", size)+"accept"),
		"repeated names":    preflight(app, strings.Repeat("accept,", size/7+1)),
		"one long name":     preflight(app, strings.Repeat("a", size)),
		"long Origin":       preflight("https://"+strings.Repeat("a", size)+".example.com", "accept"),
		"many labels":       preflight("https://"+strings.Repeat("a.", size/2)+"example.com", "accept"),
		"non-ASCII Origin":  preflight("https://\xff\xfe"+strings.Repeat("é", size/2)+".example.com", "accept"),
		"non-ASCII headers": preflight(app, strings.Repeat("é,", size/3+1)),
	}
}

func TestHostilePreflightsDeniedInConstantMemory(t *testing.T) {
	h, _ := provision(t, Handler{
		Origins: []string{app, "https://*.example.com"},
		Headers: []string{"accept", "content-type"},
	})
	// 1 MiB of commas, 1,000 and more header lines, 100,000 spaces, a 64 KiB Origin.
	for _, size := range []int{16 << 10, 64 << 10, 100_000, 1 << 20} {
		for name, r := range hostileRequests(size) {
			t.Run(fmt.Sprintf("%s/%d", name, size), func(t *testing.T) {
				w := httptest.NewRecorder()
				next := &spy{status: 200}
				if err := h.ServeHTTP(w, r, next); err != nil {
					t.Fatal(err)
				}
				if w.Code != http.StatusForbidden || next.called || len(corsPart(w.Header())) != 0 {
					t.Fatalf("status %d, next called %v, CORS headers %v; want 403, not called, none", w.Code, next.called, corsPart(w.Header()))
				}
				quiet := *h
				quiet.logger = zap.NewNop() // debug logging off, as in production
				bw := &benchWriter{h: make(http.Header)}
				allocs := testing.AllocsPerRun(20, func() {
					clear(bw.h)
					_ = quiet.ServeHTTP(bw, r, next)
				})
				if allocs != 0 {
					t.Errorf("%v allocations per request, want 0", allocs)
				}
			})
		}
	}
}

func BenchmarkHostilePreflight(b *testing.B) {
	h := benchHandler(b, Handler{
		Origins: []string{app, "https://*.example.com"},
		Headers: []string{"accept", "content-type"},
	})
	for _, size := range []int{16 << 10, 64 << 10, 1 << 20} {
		for name, r := range hostileRequests(size) {
			b.Run(fmt.Sprintf("input=%s/size=%d", strings.ReplaceAll(name, " ", "_"), size), func(b *testing.B) {
				runBench(b, h, r, http.StatusForbidden)
			})
		}
	}
}
