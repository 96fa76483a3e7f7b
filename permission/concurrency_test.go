package permission

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 100 concurrent requests for one new origin: exactly one lookup.
func TestSingleflight(t *testing.T) {
	const clients = 100
	var started atomic.Int64
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		// Answer only once every client has asked (or after 5 s), so
		// that they all wait for this one lookup.
		deadline := time.Now().Add(5 * time.Second)
		for started.Load() < clients && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // the last one reaches the flight
		w.WriteHeader(200)
	})
	p, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL, Timeout: caddyDuration(10 * time.Second)}, newFakeClock())
	var wg sync.WaitGroup
	var allowed atomic.Int64
	for range clients {
		wg.Go(func() {
			started.Add(1)
			if p.Allowed(context.Background(), appOrigin, apiHost) {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := e.lookups.Load(); n != 1 {
		t.Errorf("%d lookups for %d concurrent requests, want 1", n, clients)
	}
	if n := allowed.Load(); n != clients {
		t.Errorf("%d of %d requests allowed", n, clients)
	}
}

// A waiting request whose client goes away returns at once; the lookup
// carries on for the others.
func TestWaiterCanceled(t *testing.T) {
	release := make(chan struct{})
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) { <-release; w.WriteHeader(200) })
	p, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL, Timeout: caddyDuration(10 * time.Second)}, newFakeClock())
	leader := make(chan bool)
	go func() { leader <- p.Allowed(context.Background(), appOrigin, apiHost) }()
	for e.lookups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p.Allowed(ctx, appOrigin, apiHost) {
		t.Error("a canceled waiter was allowed")
	}
	close(release)
	if !<-leader {
		t.Error("the lookup's own request was denied")
	}
}

// A flood of distinct random origins and Hosts from concurrent clients: the
// endpoint never sees more than max_concurrent lookups at once, the cache
// never holds more than cache_size entries, every request is answered
// (slowest logged), and goroutines return to their baseline.
func TestFlood(t *testing.T) {
	const (
		origins       = 10000
		clients       = 50
		maxConcurrent = 4
		cacheSize     = 500
		timeout       = 500 * time.Millisecond
	)
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if rand.IntN(2) == 0 {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(403)
	})
	baseline := runtime.NumGoroutine()
	p := &HTTP{Endpoint: e.URL, Timeout: caddyDuration(timeout), MaxConcurrent: maxConcurrent, CacheSize: cacheSize}
	p, _, _ = provisionHTTP(t, p, nil)
	shedBefore := counterValue(metrics.shed)

	var next atomic.Int64
	var slowest atomic.Int64
	var maxCache atomic.Int64
	stop := time.Now().Add(60 * time.Second) // bounded in time as well as count
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(stop) {
				i := next.Add(1)
				if i > origins {
					return
				}
				// Random origins, and for every other request a random Host.
				o, host := fmt.Sprintf("https://r%d-%x.example.com", i, rand.Uint64()), apiHost
				if i%2 == 0 {
					o, host = appOrigin, fmt.Sprintf("t%d-%x.example.com", i, rand.Uint64())
				}
				start := time.Now()
				p.Allowed(context.Background(), o, host)
				d := time.Since(start)
				for {
					s := slowest.Load()
					if int64(d) <= s || slowest.CompareAndSwap(s, int64(d)) {
						break
					}
				}
				if n := int64(p.state.cache.len()); n > maxCache.Load() {
					maxCache.Store(n)
				}
			}
		})
	}
	wg.Wait()
	if n := next.Load(); n <= origins {
		t.Fatalf("only %d of %d requests sent within the time bound", n-1, origins)
	}
	if m := e.maxSeen.Load(); m > maxConcurrent {
		t.Errorf("the endpoint saw %d lookups in flight, want at most %d", m, maxConcurrent)
	}
	if m := maxCache.Load(); m > cacheSize {
		t.Errorf("the cache held %d entries, want at most %d", m, cacheSize)
	}
	if n := p.state.cache.len(); n != cacheSize {
		t.Errorf("the cache ended with %d entries, want it full (%d)", n, cacheSize)
	}
	// How long the slowest request took is logged, not asserted: on a
	// loaded machine scheduling alone can pass any fixed bound, and the
	// timeout's own bound is TestShed's and TestTimeout's, against an
	// endpoint that never answers.
	t.Logf("%d lookups, %.0f shed, slowest answer %v", e.lookups.Load(), counterValue(metrics.shed)-shedBefore, time.Duration(slowest.Load()))

	// Goroutines: the module starts none of its own; the client's idle
	// connections go when the state does.
	p.state.client.CloseIdleConnections()
	e.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		t.Errorf("%d goroutines after the flood, %d before", n, baseline)
	}
}

// With every slot taken, a miss waits for one within the timeout, then is
// denied, counted as shed and not cached. (The slots are taken by the test
// itself: a real lookup holding one would give it up at its own timeout.)
func TestShed(t *testing.T) {
	e := newEndpoint(t, status(200))
	p, logs, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL, MaxConcurrent: 2, Timeout: ms(200)}, newFakeClock())
	p.state.slots <- struct{}{}
	p.state.slots <- struct{}{}
	shed, waiting := counterValue(metrics.shed), 0.0
	done := make(chan bool)
	start := time.Now()
	go func() { done <- p.Allowed(context.Background(), appOrigin, apiHost) }()
	for wait := time.Now().Add(time.Second); waiting == 0 && time.Now().Before(wait); {
		waiting = gaugeValue(metrics.waiting)
		time.Sleep(time.Millisecond)
	}
	if waiting != 1 {
		t.Errorf("lookups_waiting = %v while the lookup waits, want 1", waiting)
	}
	if <-done {
		t.Error("a shed miss was allowed")
	}
	// The upper bound is loose on purpose (scheduling on a loaded machine);
	// without the timeout the request would wait for the whole test.
	if d := time.Since(start); d < 200*time.Millisecond || d > 200*time.Millisecond+5*time.Second {
		t.Errorf("shed after %v, want the 200ms timeout", d)
	}
	if d := counterValue(metrics.shed) - shed; d != 1 {
		t.Errorf("lookups_shed_total +%v, want +1", d)
	}
	if n := logs.FilterMessageSnippet("shed, not cached").Len(); n != 1 {
		t.Errorf("%d debug lines for the shed request, want 1", n)
	}
	if n := e.lookups.Load(); n != 0 {
		t.Errorf("the endpoint saw %d lookups, want none", n)
	}
	for wait := time.Now().Add(time.Second); gaugeValue(metrics.waiting) != 0 && time.Now().Before(wait); {
		time.Sleep(time.Millisecond)
	}
	if p.state.cache.len() != 0 {
		t.Error("the shed miss was cached")
	}
	// Once a slot is free, the origin is asked about.
	<-p.state.slots
	if !p.Allowed(context.Background(), appOrigin, apiHost) {
		t.Error("denied once a slot was free")
	}
	if n := e.lookups.Load(); n != 1 {
		t.Errorf("%d lookups, want 1", n)
	}
}
