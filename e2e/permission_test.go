package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// permissionEndpoint answers the permission lookups of TestBrowserPermission.
// It allows the page origins whose host names it was given, for the API's
// host, with that name's TTL as Cache-Control max-age (which the module
// takes over its own cache_ttl), until denyAll; it counts the lookups per
// host name.
type permissionEndpoint struct {
	*httptest.Server
	maxAge  map[string]int // seconds, per host name of the origin
	mu      sync.Mutex
	denied  bool
	lookups map[string]int
}

func newPermissionEndpoint(t *testing.T, apiHost string, maxAge map[string]int) *permissionEndpoint {
	t.Helper()
	e := &permissionEndpoint{maxAge: maxAge, lookups: map[string]int{}}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		origin, err := url.Parse(q.Get("origin"))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		name := origin.Hostname()
		e.mu.Lock()
		e.lookups[name]++
		age, known := e.maxAge[name]
		allowed := known && !e.denied && origin.Scheme == "http" && q.Get("host") == apiHost
		e.mu.Unlock()
		if !allowed {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", age))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(e.Close)
	return e
}

// denyAll makes the endpoint say no from now on.
func (e *permissionEndpoint) denyAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.denied = true
}

func (e *permissionEndpoint) lookupsFor(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lookups[name]
}

// TestBrowserPermission: a page on an origin that the permission endpoint
// allows reads the API with credentials, and goes on reading it from the
// cache while the answer's TTL lasts, although the endpoint now says no;
// once the TTL has passed, the module asks again and the browser refuses
// the response. The endpoint gives each page its TTL: a day for the
// first, so that no machine is slow enough to see it pass, and one second
// for the second, whose expiry the test waits for in bounded steps.
func TestBrowserPermission(t *testing.T) {
	ctx := browser(t)
	b := newBackend(t)
	const apiHost, longName, shortName = "api.example.test", "shop.tenant.test", "shop2.tenant.test"
	endpoint := newPermissionEndpoint(t, apiHost, map[string]int{longName: 24 * 60 * 60, shortName: 1})
	port := reservePort()
	loadCaddy(t, fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	default_bind 127.0.0.1
}

http://%[2]s:%[1]d {
	cors {
		credentials
		permission http {
			endpoint %[3]s/cors-allowed
			cache_ttl 1h
			negative_ttl 1h
		}
	}
	reverse_proxy %[4]s
}

http://%[5]s:%[1]d, http://%[6]s:%[1]d {
	header Content-Type "text/html; charset=utf-8"
	respond "<!doctype html><title>tenant</title><body></body>"
}
`, port, apiHost, endpoint.URL, b.Listener.Addr(), longName, shortName))
	data := fmt.Sprintf("http://%s:%d/data", apiHost, port)
	longPage, shortPage := fmt.Sprintf("http://%s:%d/", longName, port), fmt.Sprintf("http://%s:%d/", shortName, port)
	const get, put = `{credentials: "include"}`, `{method: "PUT", credentials: "include", headers: {"Content-Type": "application/json"}}`

	wantResolved(t, fetchFrom(t, ctx, longPage, data, get), 200, "backend")
	wantResolved(t, fetchFrom(t, ctx, longPage, data, put), 200, "backend")
	if n := endpoint.lookupsFor(longName); n != 1 {
		t.Errorf("%d lookups for one origin, want 1 (the preflight and the second request come from the cache)", n)
	}
	wantResolved(t, fetchFrom(t, ctx, shortPage, data, get), 200, "backend")
	if n := endpoint.lookupsFor(shortName); n != 1 {
		t.Errorf("%d lookups for the second origin, want 1", n)
	}

	endpoint.denyAll()
	// Within the day's TTL the cached answer stands, without a lookup.
	wantResolved(t, fetchFrom(t, ctx, longPage, data, get), 200, "backend")
	if n := endpoint.lookupsFor(longName); n != 1 {
		t.Errorf("%d lookups once the endpoint said no, want still 1 (the answer is cached for a day)", n)
	}

	// The second origin's TTL is one second: until it passes its answer
	// comes from the cache, then the module asks again and is told no.
	// At most 50 fetches, 200 ms apart.
	var refused verdict
	for try := 1; ; try++ {
		v := fetchFrom(t, ctx, shortPage, data, get)
		if !v.OK {
			refused = v
			break
		}
		wantResolved(t, v, 200, "backend")
		if n := endpoint.lookupsFor(shortName); n != 1 {
			t.Fatalf("fetch %d was allowed after %d lookups: only the first lookup allowed it", try, n)
		}
		if try == 50 {
			t.Fatalf("the browser still read the response after %d fetches over at least %s: the one-second TTL never passed", try, time.Duration(try-1)*200*time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
	}
	wantRejected(t, refused)
	if n := endpoint.lookupsFor(shortName); n != 2 {
		t.Errorf("%d lookups for the second origin, want 2 (asked again once the TTL passed)", n)
	}
}
