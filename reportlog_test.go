package cors

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// reflectingBackend allows every origin, as django-cors-headers with
// CORS_ALLOW_ALL_ORIGINS and credentials does (it reflects the Origin):
// under a policy with a list, every other origin is would_block.
var reflectingBackend = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	if o := r.Header["Origin"]; len(o) == 1 {
		w.Header()[hdrACAO] = o
	}
	w.Header()[hdrACAC] = []string{"true"}
	w.WriteHeader(http.StatusOK)
	return nil
})

// reportHandler is a report_only handler whose log lines are observed at
// info level and whose log limits run on clock.
func reportHandler(t testing.TB, cfg Handler, clock *fakeClock) (*Handler, *observer.ObservedLogs) {
	t.Helper()
	cfg.ReportOnly = true
	h, _ := provision(t, cfg)
	core, logs := observer.New(zapcore.InfoLevel)
	h.logger = zap.New(core)
	h.report.log.now = clock.Now
	return h, logs
}

func get(t testing.TB, h *Handler, origin string, next caddyhttp.Handler) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
	r.Header["Origin"] = []string{origin}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
		t.Fatal(err)
	}
}

// One line per (kind, outcome, origin, reason, value) a minute.
func TestReportLogOneLinePerKeyAMinute(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	h, logs := reportHandler(t, Handler{Origins: []string{app}}, clock)
	for range 5 {
		get(t, h, evil, reflectingBackend)
	}
	get(t, h, "https://other.example.net", reflectingBackend) // another origin: its own line
	if n := logs.Len(); n != 2 {
		t.Fatalf("%d lines, want 2 (one per origin): %v", n, logs.All())
	}
	clock.Add(59 * time.Second)
	get(t, h, evil, reflectingBackend)
	if n := logs.Len(); n != 2 {
		t.Fatalf("a repeat within the minute was logged")
	}
	clock.Add(time.Second)
	get(t, h, evil, reflectingBackend)
	if n := logs.Len(); n != 3 {
		t.Fatalf("%d lines, want the origin's line again after a minute", n)
	}
}

// At most reportLinesPerSecond lines a second; the next line written says
// how many were held back.
func TestReportLogRate(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	h, logs := reportHandler(t, Handler{Origins: []string{app}}, clock)
	for i := range 25 {
		get(t, h, fmt.Sprintf("https://o%d.example.net", i), reflectingBackend)
	}
	if n := logs.Len(); n != reportLinesPerSecond {
		t.Fatalf("%d lines within a second, want %d", n, reportLinesPerSecond)
	}
	clock.Add(time.Second)
	get(t, h, "https://next.example.net", reflectingBackend)
	lines := logs.All()
	if len(lines) != reportLinesPerSecond+1 {
		t.Fatalf("%d lines, want %d", len(lines), reportLinesPerSecond+1)
	}
	if got := lines[len(lines)-1].ContextMap()["held_back"]; got != int64(25-reportLinesPerSecond) {
		t.Errorf("held_back = %v, want %d", got, 25-reportLinesPerSecond)
	}
	if _, ok := lines[0].ContextMap()["held_back"]; ok {
		t.Errorf("held_back on a line with nothing held back before it")
	}
}

// A logger that writes nothing at warn and info costs no bookkeeping.
func TestReportLogDisabledLevel(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	h, _ := reportHandler(t, Handler{Origins: []string{app}}, clock)
	h.logger = zap.NewNop()
	for i := range 100 {
		get(t, h, fmt.Sprintf("https://o%d.example.net", i), reflectingBackend)
	}
	if n := h.report.log.size(); n != 0 {
		t.Errorf("%d keys remembered with logging off", n)
	}
}

// A flood of origins, each new, each one enforcing would block, one in
// fifty 64 KiB long, from 4 goroutines over five simulated minutes: the lines
// stay within the rate, the bookkeeping within its bound, and the heap
// does not grow with the flood. (Counts and bytes are measured, not time.)
func TestReportOnlyFloodOfOrigins(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	h, _ := provision(t, Handler{Origins: []string{app}, ReportOnly: true})
	var lines lineCounter
	h.logger = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), &lines, zapcore.InfoLevel))
	h.report.log.now = clock.Now
	before := counterValue(t, h.report.counts[0][wouldBlock])

	const (
		workers   = 4
		perWorker = 15_000
		tick      = 20 * time.Millisecond // the clock moves this much per request of worker 0: 300 s in all
	)
	long := strings.Repeat("a", 64<<10)
	flood := func(from, to int) {
		var wg sync.WaitGroup
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
				w := &benchWriter{h: make(http.Header)}
				for i := from; i < to; i++ {
					o := fmt.Sprintf("https://x%d-%d.example.net", g, i)
					if i%50 == 0 {
						o = fmt.Sprintf("https://l%d-%d.%s.example.net", g, i, long) // distinct within the bytes a key keeps
					}
					r.Header["Origin"] = []string{o}
					clear(w.h)
					_ = h.ServeHTTP(w, r, reflectingBackend)
					if g == 0 {
						clock.Add(tick)
					}
				}
			}()
		}
		wg.Wait()
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	flood(0, perWorker/10) // warm up: the map and the pools reach their size
	warm := heap()
	flood(perWorker/10, perWorker)
	after := heap()

	requests := workers * perWorker
	if got := counterValue(t, h.report.counts[0][wouldBlock]) - before; got != float64(requests) {
		t.Errorf("counted %v would_block, want %d: the metric counts every request", got, requests)
	}
	seconds := int(time.Duration(perWorker)*tick/time.Second) + 1
	n, bytes := lines.count()
	t.Logf("%d requests over %d simulated seconds: %d lines (%d bytes), %d keys remembered, heap %d -> %d bytes",
		requests, seconds, n, bytes, h.report.log.size(), warm, after)
	if max := (seconds + 1) * reportLinesPerSecond; n > max || n < seconds*reportLinesPerSecond/2 {
		t.Errorf("%d lines over %d s, want at most %d and the rate used", n, seconds, max)
	}
	if bytes > n*2048 {
		t.Errorf("%d bytes in %d lines: a line quotes more than its bounds", bytes, n)
	}
	if k := h.report.log.size(); k > reportMaxKeys {
		t.Errorf("%d keys remembered, bound %d", k, reportMaxKeys)
	}
	// The remembered keys hold at most reportMaxValue bytes of each
	// origin, not the 64 KiB ones: the heap after the flood is within the
	// bookkeeping's bound of the heap after the warm-up.
	bound := uint64(reportMaxKeys * (2*reportMaxValue + 256))
	if after > warm && after-warm > bound {
		t.Errorf("heap grew by %d bytes during the flood, bound %d", after-warm, bound)
	}
}

// lineCounter counts what a logger writes.
type lineCounter struct {
	mu           sync.Mutex
	lines, bytes int
}

func (c *lineCounter) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.lines++
	c.bytes += len(b)
	c.mu.Unlock()
	return len(b), nil
}

func (c *lineCounter) Sync() error { return nil }

func (c *lineCounter) count() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.bytes
}

// The metric is in the config's registry, labelled by kind and outcome
// only; a handler that enforces adds no series of it.
func TestReportOnlyMetricRegistered(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	enforcing := &Handler{Origins: []string{app}}
	if err := enforcing.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if enforcing.report != nil {
		t.Fatal("an enforcing handler has a reporter")
	}
	h := &Handler{Origins: []string{app}, ReportOnly: true}
	if err := h.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	h.logger = zap.NewNop()
	families, err := ctx.GetMetricsRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "caddy_cors_report_only_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if len(labels) != 2 {
				t.Errorf("labels %v, want kind and outcome", labels)
			}
			series[labels["kind"]+"/"+labels["outcome"]] = true
		}
	}
	for _, kind := range []string{"actual", "preflight"} {
		for o := range numOutcomes {
			if !series[kind+"/"+o.String()] {
				t.Errorf("no series kind=%s outcome=%s", kind, o)
			}
		}
	}
	if len(series) != 2*int(numOutcomes) {
		t.Errorf("%d series, want %d", len(series), 2*numOutcomes)
	}
}

// The jq line of docs/report-only.md reads fields a report_only line
// has, and selects outcomes that exist: a renamed field or outcome would
// leave the documented command printing empty columns.
func TestDocJQLineReadsLoggedFields(t *testing.T) {
	b := docBlock(t, "sh", "jq -r")
	_, rest, ok := strings.Cut(b.text, "'")
	filter, _, closed := strings.Cut(rest, "'")
	if !ok || !closed {
		t.Fatalf("%s: no quoted jq filter in %q", b.where(), b.text)
	}

	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	h, logs := reportHandler(t, Handler{Origins: []string{app}}, clock)
	get(t, h, evil, reflectingBackend) // would_block: the backend reflects, the policy refuses
	if logs.Len() != 1 {
		t.Fatalf("%d lines logged, want 1", logs.Len())
	}
	logged := logs.All()[0].ContextMap()

	fields := regexp.MustCompile(`\.([a-z_]+)`).FindAllStringSubmatch(filter, -1)
	if len(fields) < 2 {
		t.Fatalf("%s: found %d fields in the jq filter %q", b.where(), len(fields), filter)
	}
	for _, f := range fields {
		if _, ok := logged[f[1]]; !ok {
			t.Errorf("%s: the jq filter reads .%s, which a report_only line does not have (it has %v)", b.where(), f[1], logged)
		}
	}
	for _, m := range regexp.MustCompile(`"([a-z_]+)"`).FindAllStringSubmatch(filter, -1) {
		if !slices.Contains(outcomeNames[:], m[1]) {
			t.Errorf("%s: the jq filter selects the outcome %q, which is not one of %q", b.where(), m[1], outcomeNames)
		}
	}
}
