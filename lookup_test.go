package cors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// scriptedChecker is a permission source whose answers the test decides:
// known answers come from Cached; Allowed blocks until release is closed
// (when it is set) and answers allowed.
type scriptedChecker struct {
	known, allowed bool
	release        chan struct{}
	entered        chan struct{} // closed when Allowed is first called, if set
	asked          atomic.Int64  // calls of Allowed
	answered       atomic.Bool
}

func (c *scriptedChecker) Allowed(ctx context.Context, o, host string) bool {
	if c.asked.Add(1) == 1 && c.entered != nil {
		close(c.entered)
	}
	if c.release != nil {
		select {
		case <-c.release:
		case <-ctx.Done():
			return false
		}
	}
	c.answered.Store(true)
	return c.allowed
}

func (c *scriptedChecker) Cached(o, host string) (allowed, known bool) {
	return c.allowed, c.known
}

// uncachedChecker has no Cached side: the handler must ask it on the
// request path.
type uncachedChecker struct{ *scriptedChecker }

func (c uncachedChecker) Allowed(ctx context.Context, o, host string) bool {
	return c.scriptedChecker.Allowed(ctx, o, host)
}

// waitFor fails the test when ch is not closed in time: a bound on a
// wait for another goroutine, not a measurement.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("gave up after 10s waiting for %s", what)
	}
}

// A lookup for an actual request runs beside the next handler: next
// starts before the endpoint has answered, and the headers, written when
// next starts its response, carry the answer.
func TestLookupRunsBesideNext(t *testing.T) {
	for _, allowed := range []bool{true, false} {
		checker := &scriptedChecker{allowed: allowed, release: make(chan struct{}), entered: make(chan struct{})}
		h, _ := provision(t, Handler{Origins: []string{"https://static.example.com"}, Credentials: true})
		h.policy.permission, h.policy.cached = checker, checker
		r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
		r.Header.Set("Origin", "https://tenant.example.net")
		w := httptest.NewRecorder()
		nextStarted := make(chan struct{})
		var answeredWhenNextStarted bool
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			answeredWhenNextStarted = checker.answered.Load()
			close(nextStarted)
			w.Header().Set(hdrACAO, "*") // a backend's own value
			w.WriteHeader(200)           // waits for the answer
			return nil
		})
		done := make(chan error, 1)
		go func() { done <- h.ServeHTTP(w, r, next) }()
		waitFor(t, nextStarted, "the next handler to start")
		waitFor(t, checker.entered, "the lookup to start")
		close(checker.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if answeredWhenNextStarted {
			t.Errorf("allowed=%v: the lookup had answered before next started; want it beside next", allowed)
		}
		want := http.Header{"Vary": {"Origin"}}
		if allowed {
			want = http.Header{hdrACAO: {"https://tenant.example.net"}, hdrACAC: {"true"}, "Vary": {"Origin"}}
		}
		if got := corsPart(w.Result().Header); !reflect.DeepEqual(got, want) {
			t.Errorf("allowed=%v: CORS headers when the response started %v, want %v", allowed, got, want)
		}
	}
}

// A known answer (cached, or a malformed value) decides before next, and
// nothing is asked in the background.
func TestKnownAnswerAsksNothing(t *testing.T) {
	checker := &scriptedChecker{known: true, allowed: true}
	h, _ := provision(t, Handler{Origins: []string{"https://static.example.com"}})
	h.policy.permission, h.policy.cached = checker, checker
	r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
	r.Header.Set("Origin", "https://tenant.example.net")
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, &spy{status: 200}); err != nil {
		t.Fatal(err)
	}
	if got := w.Header().Get(hdrACAO); got != "https://tenant.example.net" {
		t.Errorf("ACAO %q, want the origin", got)
	}
	if n := checker.asked.Load(); n != 0 {
		t.Errorf("Allowed called %d times, want 0 for a known answer", n)
	}
}

// A permission source without a Cached side is asked before next, as a
// preflight always is (its answer is the response).
func TestCheckerWithoutCachedIsAskedFirst(t *testing.T) {
	checker := &scriptedChecker{allowed: true}
	h, _ := provision(t, Handler{Origins: []string{"https://static.example.com"}})
	h.policy.permission, h.policy.cached = uncachedChecker{checker}, nil
	for _, preflight := range []bool{false, true} {
		r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
		if preflight {
			r.Method = "OPTIONS"
			r.Header.Set(hdrACRM, "PUT")
		}
		r.Header.Set("Origin", "https://tenant.example.net")
		var answered bool
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			answered = checker.answered.Load()
			w.WriteHeader(200)
			return nil
		})
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
		if !preflight && !answered {
			t.Error("next ran before the lookup answered; want the answer first for a Checker without Cached")
		}
		if got := w.Header().Get(hdrACAO); got != "https://tenant.example.net" {
			t.Errorf("preflight=%v: ACAO %q, want the origin", preflight, got)
		}
	}
}
