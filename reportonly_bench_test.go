package cors

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// report_only beside enforcing, on the same requests, the same policy and
// the same backend: a django-cors-headers backend (benchConfig's origins
// with credentials) whose answers agree with the policy, so that
// report_only judges them all "same" and logs nothing, as it does for
// weeks in production once the policy is right.

// djangoNext answers like django-cors-headers behind reverse_proxy: its
// CORS headers for an allowed origin, and 200 to every preflight. The
// header values are shared between iterations (nobody edits them).
func djangoNext(allowed map[string]bool) caddyhttp.Handler {
	pre := map[string]http.Header{}
	act := map[string]http.Header{}
	for o := range allowed {
		pre[o] = djangoPreflight(o)
		act[o] = http.Header{hdrACAO: {o}, hdrACAC: {"true"}, "Vary": {"Origin"}, "Content-Type": {"application/json"}}
	}
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		o := r.Header["Origin"]
		headers := djangoRefused
		if len(o) == 1 && allowed[o[0]] {
			headers = act[o[0]]
			if r.Method == http.MethodOptions {
				headers = pre[o[0]]
			}
		}
		for k, v := range headers {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// reportBenchCases are the paths of a request, each with its status.
func reportBenchCases() []struct {
	name string
	r    *http.Request
} {
	preflight := func(origin, acrh string) *http.Request {
		return request("OPTIONS", map[string]string{"Origin": origin, hdrACRM: "PUT", hdrACRH: acrh})
	}
	return []struct {
		name string
		r    *http.Request
	}{
		{"actual/no_origin", request("GET", nil)},
		{"actual/exact", request("GET", map[string]string{"Origin": "https://app.example.com"})},
		{"actual/regexp", request("GET", map[string]string{"Origin": "https://pr-42.preview.example.com"})},
		{"actual/disallowed", request("GET", map[string]string{"Origin": "https://evil.example.net"})},
		{"preflight/allowed", preflight("https://app.example.com", "authorization,content-type")},
		{"preflight/denied_origin", preflight("https://evil.example.net", "authorization,content-type")},
		{"preflight/denied_header", preflight("https://app.example.com", "authorization,x-secret")},
		{"preflight/1MiB_commas", preflight("https://app.example.com", mebibyteOfCommas)},
	}
}

// reportBenchHandlers are the same policy enforcing and in report_only,
// with the backend that agrees with it.
func reportBenchHandlers(b testing.TB) (enforcing, reportOnly *Handler, next caddyhttp.Handler) {
	quiet := func(cfg Handler) *Handler {
		h, _ := provision(b, cfg)
		h.logger = zap.NewNop() // as in production: debug disabled
		return h
	}
	cfg := benchConfig()
	enforcing = quiet(cfg)
	cfg.ReportOnly = true
	reportOnly = quiet(cfg)
	next = djangoNext(map[string]bool{"https://app.example.com": true, "https://pr-42.preview.example.com": true})
	return enforcing, reportOnly, next
}

// nextOnly is no module at all: it calls next.
type nextOnly struct{}

func (nextOnly) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return next.ServeHTTP(w, r)
}

// BenchmarkReportOnly runs each case in three modes, one after the other:
// the next handler alone (no module: what report_only adds is the
// difference), enforcing, and report_only.
func BenchmarkReportOnly(b *testing.B) {
	enforcing, reportOnly, next := reportBenchHandlers(b)
	var alone nextOnly
	for _, c := range reportBenchCases() {
		kind, name, _ := strings.Cut(c.name, "/")
		for _, m := range []struct {
			name string
			h    caddyhttp.MiddlewareHandler
		}{{"next_only", alone}, {"enforcing", enforcing}, {"report_only", reportOnly}} {
			b.Run("kind="+kind+"/case="+name+"/mode="+m.name, func(b *testing.B) {
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					if err := m.h.ServeHTTP(w, c.r, next); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// snippetNext answers like a site whose CORS is a header snippet: the
// same ACAO and ACAC on every response, whatever the Origin, and 200 to
// preflights with nothing else. Many of its answers disagree with the
// policy, so report_only judges would_block and would_allow here. Like
// djangoNext, it allocates nothing itself.
var snippetNext = func() caddyhttp.Handler {
	acao, acac := []string{"https://app.example.com"}, []string{"true"}
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header()[hdrACAO], w.Header()[hdrACAC] = acao, acac
		w.WriteHeader(http.StatusOK)
		return nil
	})
}()

// report_only costs at most one allocation more than enforcing on every
// path (the bound; the figures are in BENCHMARKS.md), whether the
// backend agrees with the policy (same, nothing logged) or not (a line
// the first time, then repeats held back within the minute). The loggers
// are enabled at info, as in production.
func TestReportOnlyAllocations(t *testing.T) {
	enforcing, reportOnly, django := reportBenchHandlers(t)
	reportOnly.logger = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	for _, backend := range []struct {
		name string
		next caddyhttp.Handler
	}{{"django", django}, {"snippet", snippetNext}} {
		for _, c := range reportBenchCases() {
			allocs := func(h *Handler) float64 {
				w := &benchWriter{h: make(http.Header)}
				return testing.AllocsPerRun(50, func() {
					clear(w.h)
					_ = h.ServeHTTP(w, c.r, backend.next)
				})
			}
			e, r := allocs(enforcing), allocs(reportOnly)
			t.Logf("%s backend, %s: enforcing %v, report_only %v allocations", backend.name, c.name, e, r)
			if r > e+1 {
				t.Errorf("%s backend, %s: report_only %v allocations, enforcing %v: more than one more", backend.name, c.name, r, e)
			}
		}
	}
}

// The same bound where the origin awaits a permission lookup, which runs
// beside the next handler (answered at once here, so that it is sometimes
// there when next returns and sometimes not: both paths are counted).
func TestReportOnlyAllocationsWithPermissionLookup(t *testing.T) {
	handler := func(reportOnly bool) *Handler {
		h, _ := provision(t, Handler{Origins: []string{"https://static.example.com"}, ReportOnly: reportOnly})
		h.logger = zap.NewNop()
		checker := &scriptedChecker{allowed: true}
		h.policy.permission, h.policy.cached = checker, checker
		return h
	}
	r := request("GET", map[string]string{"Origin": "https://tenant.example.net"})
	// Counted over many requests, as a benchmark counts them: a goroutine
	// the runtime has to create now and then (both modes start one per
	// request, report_only two when the answer is late) is not the
	// module's.
	allocs := func(h *Handler) int64 {
		return testing.Benchmark(func(b *testing.B) {
			w := &benchWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				_ = h.ServeHTTP(w, r, okNext)
			}
		}).AllocsPerOp()
	}
	e, ro := allocs(handler(false)), allocs(handler(true))
	t.Logf("permission lookup: enforcing %v, report_only %v allocations", e, ro)
	if ro > e+1 {
		t.Errorf("report_only %v allocations, enforcing %v: more than one more", ro, e)
	}
}

// BenchmarkReportOnlyDisagreeing: report_only in front of the header
// snippet, which disagrees with the policy on most requests, so that
// every request is a would_* outcome: its line is written once, then held
// back as a repeat within the minute (the logger enabled at info, writing
// to io.Discard). What a request costs while a difference is being
// reported, beside the same request where the backend agrees.
func BenchmarkReportOnlyDisagreeing(b *testing.B) {
	_, reportOnly, django := reportBenchHandlers(b)
	reportOnly.logger = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	for _, c := range reportBenchCases() {
		kind, name, _ := strings.Cut(c.name, "/")
		for _, backend := range []struct {
			name string
			next caddyhttp.Handler
		}{{"agrees", django}, {"disagrees", snippetNext}} {
			b.Run("kind="+kind+"/case="+name+"/backend="+backend.name, func(b *testing.B) {
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					if err := reportOnly.ServeHTTP(w, c.r, backend.next); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
