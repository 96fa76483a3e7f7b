package cors

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Two policies that the reload test switches between: A allows only
// origin A, B only origin B. X-Policy marks which config answered.
const (
	reloadOriginA = "https://a.example.com"
	reloadOriginB = "https://b.example.com"
)

// reloadConfig is the config of one policy. Its grace period lets an old
// server finish the requests it has accepted even on a loaded machine:
// with 500ms, requests accepted just before a reload were cut off (EOF,
// connection reset) on a shared 2-core machine, three tries in a row.
func reloadConfig(port int, policy, logFile string) string {
	origin := reloadOriginA
	if policy == "B" {
		origin = reloadOriginB
	}
	return fmt.Sprintf(`{
	skip_install_trust
	admin %s
	auto_https off
	default_bind 127.0.0.1
	grace_period 5s
	log {
		output file %s
		level INFO
	}
}

http://127.0.0.1:%d {
	route {
		header X-Policy %s
		cors %s
		respond "ok"
	}
}
`, adminAddress(), logFile, port, policy, origin)
}

// The load of a reload run, in counts rather than time: the clients send
// a request for each token the reloader hands out, and the reloader waits
// for a number of answered requests between reloads, so every reload
// happens amid requests however fast or slow the machine is.
const (
	reloadClients    = 8
	tokensPerStep    = 64 // handed out before each wait and before each reload
	requestsBetween  = 32 // answered requests between one reload and the next
	attemptsPerFetch = 5  // tries of a request that fails to connect
)

// reloadRun is what one run of reloads saw.
type reloadRun struct {
	site          string
	client        *http.Client
	tokens        chan struct{}
	progress      chan struct{} // a request was answered
	answered      atomic.Int64
	retried       atomic.Int64 // connection errors followed by a successful try
	duringReloads atomic.Int64 // requests answered while a reload was in progress
	reloading     atomic.Bool

	mu       sync.Mutex
	failures []string
}

func (rr *reloadRun) fail(format string, args ...any) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if len(rr.failures) < 20 {
		rr.failures = append(rr.failures, fmt.Sprintf(format, args...))
	}
}

// checkResponse: the response must follow exactly one policy, the one
// that X-Policy names.
func checkResponse(res *http.Response, origin string, preflight bool) error {
	policy := res.Header.Get("X-Policy")
	allowed := reloadOriginA
	if policy == "B" {
		allowed = reloadOriginB
	} else if policy != "A" {
		return fmt.Errorf("X-Policy %q", policy)
	}
	acao := res.Header.Values(hdrACAO)
	switch {
	case origin == allowed && (len(acao) != 1 || acao[0] != origin):
		return fmt.Errorf("policy %s, Origin %s: ACAO %q, want the origin", policy, origin, acao)
	case origin != allowed && len(acao) != 0:
		return fmt.Errorf("policy %s, Origin %s: ACAO %q, want none (mixed policy)", policy, origin, acao)
	}
	want := http.StatusOK
	if preflight {
		want = http.StatusNoContent
		if origin != allowed {
			want = http.StatusForbidden
		}
	}
	if res.StatusCode != want {
		return fmt.Errorf("policy %s, Origin %s, preflight %v: status %d, want %d", policy, origin, preflight, res.StatusCode, want)
	}
	return nil
}

// fetch sends one request with client, and when it fails to connect
// tries again (attemptsPerFetch tries in all) on new connections: Caddy
// closes the old server's kept-alive connections during a reload, and a
// request sent on one as it closes fails with EOF; the next idle
// connection in the pool may be another of them. It returns the
// response, or every try's error.
func (rr *reloadRun) fetch(client *http.Client, method, origin string) (*http.Response, error) {
	var errs []error
	for range attemptsPerFetch {
		req, _ := http.NewRequest(method, rr.site+"/", nil)
		req.Header.Set("Origin", origin)
		if method == http.MethodOptions {
			req.Header.Set(hdrACRM, "GET")
		}
		res, err := client.Do(req)
		if err == nil {
			if len(errs) > 0 {
				rr.retried.Add(1)
			}
			return res, nil
		}
		errs = append(errs, err)
		client = newConnectionClient()
	}
	return nil, errors.Join(errs...)
}

// newConnectionClient sends each request on a connection of its own.
func newConnectionClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

// client is one of the concurrent clients: a request per token, actual
// requests and preflights from both origins, until stop.
func (rr *reloadRun) clientLoop(i int, stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-rr.tokens:
		case <-stop:
			return
		}
		origin := reloadOriginA
		if (i+n)%2 == 1 {
			origin = reloadOriginB
		}
		preflight := n%3 == 0
		method := http.MethodGet
		if preflight {
			method = http.MethodOptions
		}
		res, err := rr.fetch(rr.client, method, origin)
		if err != nil {
			rr.fail("%s from %s: %d tries failed: %v", method, origin, attemptsPerFetch, err)
		} else {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err := checkResponse(res, origin, preflight); err != nil {
				rr.fail("%v", err)
			}
		}
		if rr.reloading.Load() {
			rr.duringReloads.Add(1)
		}
		rr.answered.Add(1)
		select {
		case rr.progress <- struct{}{}:
		default:
		}
	}
}

// handOut gives the clients n more requests to send.
func (rr *reloadRun) handOut(n int) {
	for range n {
		rr.tokens <- struct{}{}
	}
}

// awaitAnswered waits until target requests have been answered.
func (rr *reloadRun) awaitAnswered(target int64) {
	for rr.answered.Load() < target {
		<-rr.progress
	}
}

// runReloads loads policy A, starts concurrent clients and reloads
// between B and A `reloads` times, each after requestsBetween more
// answered requests; it returns what the clients saw.
func runReloads(t *testing.T, port, reloads int, logFile string) *reloadRun {
	t.Helper()
	if code, body, err := postLoad(reloadConfig(port, "A", logFile)); err != nil || code != 200 {
		t.Fatalf("initial load: %d %s %v", code, body, err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: reloadClients}
	defer transport.CloseIdleConnections()
	rr := &reloadRun{
		site:     fmt.Sprintf("http://127.0.0.1:%d", port),
		client:   &http.Client{Transport: transport, Timeout: 10 * time.Second},
		tokens:   make(chan struct{}, (2*reloads+1)*tokensPerStep),
		progress: make(chan struct{}, 1),
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range reloadClients {
		wg.Go(func() { rr.clientLoop(i, stop) })
	}

	policy := "A"
	for range reloads {
		rr.handOut(tokensPerStep)
		rr.awaitAnswered(rr.answered.Load() + requestsBetween)
		if policy == "A" {
			policy = "B"
		} else {
			policy = "A"
		}
		rr.handOut(tokensPerStep) // the clients keep sending during the reload
		rr.reloading.Store(true)
		code, body, err := postLoad(reloadConfig(port, policy, logFile))
		rr.reloading.Store(false)
		if err != nil || code != 200 {
			t.Errorf("reload to %s: %d %s %v", policy, code, body, err)
			break
		}
		if err := rr.newPolicyInForce(policy); err != nil {
			t.Errorf("after the reload to %s: %v", policy, err)
		}
	}
	close(stop)
	wg.Wait()
	return rr
}

// newPolicyInForce checks that policy answers a new connection once its
// reload has returned. Caddy starts the old server's shutdown before the
// admin API answers but does not wait for it, so a connection can still
// reach the old server for a moment: at most 20 tries, each on a new
// connection, one every 50 ms; every response must follow one policy.
func (rr *reloadRun) newPolicyInForce(policy string) error {
	origin := reloadOriginA
	if policy == "B" {
		origin = reloadOriginB
	}
	fresh := newConnectionClient()
	var seen []string
	for range 20 {
		res, err := rr.fetch(fresh, http.MethodGet, origin)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err := checkResponse(res, origin, false); err != nil {
			return err
		}
		got := res.Header.Get("X-Policy")
		if got == policy {
			return nil
		}
		seen = append(seen, got)
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("20 new connections were answered by the old policy: X-Policy %q", seen)
}

func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the reload test takes a few seconds")
	}
	logFile := filepath.Join(t.TempDir(), "caddy.log")
	_, port := startCaddy(t, func(port int) string { return reloadConfig(port, "A", logFile) })

	// Warm up, then measure goroutines and heap before the reloads.
	_ = runReloads(t, port, 2, logFile)
	goroutinesBefore, heapBefore := settledCounts()

	const reloads = 50
	run := runReloads(t, port, reloads, logFile)
	t.Logf("%d requests, %d while a reload was in progress, %d answered after a connection error",
		run.answered.Load(), run.duringReloads.Load(), run.retried.Load())
	for _, f := range run.failures {
		t.Error(f)
	}
	if n, want := run.answered.Load(), int64(reloads*requestsBetween); n < want {
		t.Errorf("%d requests answered, want at least %d", n, want)
	}
	if err := waitForCounts(goroutinesBefore+10, heapBefore+32<<20); err != nil {
		t.Errorf("over %d reloads: %v", reloads, err)
	}

	// An invalid config is refused with the clear error; the old one serves on.
	code, body, err := postLoad(strings.Replace(reloadConfig(port, "A", logFile), "cors "+reloadOriginA, "cors "+reloadOriginA+"/", 1))
	if err != nil || code != http.StatusBadRequest || !strings.Contains(body, `origin \"https://a.example.com/\": must not end with a slash; did you mean \"https://a.example.com\"?`) {
		t.Errorf("invalid reload: status %d, body %s, err %v; want 400 naming the origin", code, body, err)
	}
	res, err := run.fetch(http.DefaultClient, http.MethodGet, reloadOriginA)
	if err != nil {
		t.Fatalf("after the refused reload: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Policy") == "" {
		t.Errorf("after the refused reload: status %d, X-Policy %q", res.StatusCode, res.Header.Get("X-Policy"))
	}

	// Go's client retries failed idempotent requests on reused
	// connections, and so does fetch: that could hide a panic, so read
	// Caddy's own log. (INFO level, so that the log is known to work: it
	// must not be empty.)
	logged, err := os.ReadFile(logFile)
	if err != nil || len(logged) == 0 {
		t.Fatalf("Caddy's log %s is missing or empty (%v): cannot check it for panics", logFile, err)
	}
	if strings.Contains(strings.ToLower(string(logged)), "panic") {
		t.Errorf("Caddy logged a panic:\n%s", logged)
	}
}

// settledCounts returns the goroutine count and live heap once the old
// servers' goroutines are gone: once the count is the same on three reads
// 100 ms apart (at most 50 reads). A count taken too early is only
// higher, which makes waitForCounts more lenient, never flaky.
func settledCounts() (goroutines int, heap uint64) {
	last, same := -1, 0
	for range 50 {
		n := runtime.NumGoroutine()
		if n == last {
			if same++; same == 2 {
				break
			}
		} else {
			last, same = n, 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last, liveHeap()
}

// waitForCounts waits until there are at most maxGoroutines goroutines
// and maxHeap bytes of live heap, reading them every 100 ms at most 100
// times (the old servers close their connections within their grace
// period); the error says what was left.
func waitForCounts(maxGoroutines int, maxHeap uint64) error {
	var goroutines int
	var heap uint64
	for range 100 {
		goroutines, heap = runtime.NumGoroutine(), liveHeap()
		if goroutines <= maxGoroutines && heap <= maxHeap {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stacks := make([]byte, 64<<10)
	stacks = stacks[:runtime.Stack(stacks, true)]
	return fmt.Errorf("after 10 s, %d goroutines (at most %d) and %d bytes of live heap (at most %d); goroutines:\n%s",
		goroutines, maxGoroutines, heap, maxHeap, stacks)
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
