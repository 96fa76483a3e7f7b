package permission

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeClock is the module's clock in tests: TTLs expire when the test
// says so, never by sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// endpoint is a permission endpoint under test: answer decides each
// lookup; it counts lookups and the most seen in flight at once.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	answer   func(w http.ResponseWriter, r *http.Request)
	queries  []url.Values
	raw      []string
	agents   []string
	lookups  atomic.Int64
	inFlight atomic.Int64
	maxSeen  atomic.Int64
}

func newEndpoint(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *endpoint {
	t.Helper()
	e := &endpoint{answer: answer}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := e.inFlight.Add(1)
		defer e.inFlight.Add(-1)
		for {
			m := e.maxSeen.Load()
			if n <= m || e.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		e.lookups.Add(1)
		e.mu.Lock()
		e.queries = append(e.queries, r.URL.Query())
		e.raw = append(e.raw, r.URL.RawQuery)
		e.agents = append(e.agents, r.UserAgent())
		answer := e.answer
		e.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) setAnswer(f func(w http.ResponseWriter, r *http.Request)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.answer = f
}

func status(code int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

func statusWith(code int, cacheControl string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cacheControl)
		w.WriteHeader(code)
	}
}

// provisionHTTP provisions p as Caddy would, in a context of its own,
// with clock as its clock and a logger that records every level. The
// module leaves its shared state when the test ends.
func provisionHTTP(t testing.TB, p *HTTP, clock *fakeClock) (*HTTP, *observer.ObservedLogs, caddy.Context) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	if clock != nil {
		p.now = clock.Now
	}
	if err := p.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	p.logger = zap.New(core)
	t.Cleanup(func() {
		if err := p.Cleanup(); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
		cancel()
	})
	return p, logs, ctx
}

const (
	appOrigin = "https://app.example.com"
	apiHost   = "api.example.com"
)

type caddyDuration = caddy.Duration

// deadAddress returns a loopback address nothing listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
