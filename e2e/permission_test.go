package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Ports of this file's Caddy site, apart from the rest of the suite's.
const (
	permissionPort = 9190
	permissionAPI  = "http://api.example.test:9190"
	tenantPage     = "http://shop.tenant.test:9190/"
	tenantOrigin   = "http://shop.tenant.test:9190"
)

// TestBrowserPermission: a page on an origin that the permission endpoint
// allows reads the API with credentials; once the endpoint says no and
// the cached answer's TTL has passed, the browser refuses the response.
func TestBrowserPermission(t *testing.T) {
	ctx := browser(t)
	b := newBackend(t)
	var allow atomic.Bool
	allow.Store(true)
	var lookups atomic.Int64
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lookups.Add(1)
		q := r.URL.Query()
		if allow.Load() && q.Get("origin") == tenantOrigin && q.Get("host") == "api.example.test" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusForbidden)
	}))
	defer endpoint.Close()
	const ttl = 3 * time.Second
	loadCaddy(t, fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	http_port %[1]d
}

%[2]s {
	cors {
		credentials
		permission http {
			endpoint %[3]s/cors-allowed
			cache_ttl %[4]s
			negative_ttl %[4]s
		}
	}
	reverse_proxy %[5]s
}

%[6]s {
	header Content-Type "text/html; charset=utf-8"
	respond "<!doctype html><title>tenant</title><body></body>"
}
`, permissionPort, permissionAPI, endpoint.URL, ttl, b.Listener.Addr(), tenantOrigin))

	start := time.Now()
	wantResolved(t, fetchFrom(t, ctx, tenantPage, permissionAPI+"/data", `{credentials: "include"}`), 200, "backend")
	wantResolved(t, fetchFrom(t, ctx, tenantPage, permissionAPI+"/data", `{method: "PUT", credentials: "include", headers: {"Content-Type": "application/json"}}`), 200, "backend")
	if n := lookups.Load(); n != 1 {
		t.Errorf("%d lookups for one origin, want 1 (the preflight and the second request come from the cache)", n)
	}

	allow.Store(false)
	if time.Since(start) < ttl-time.Second {
		// Still within the TTL: the cached answer stands.
		wantResolved(t, fetchFrom(t, ctx, tenantPage, permissionAPI+"/data", `{credentials: "include"}`), 200, "backend")
	}
	time.Sleep(time.Until(start.Add(ttl + 500*time.Millisecond)))
	wantRejected(t, fetchFrom(t, ctx, tenantPage, permissionAPI+"/data", `{credentials: "include"}`))
	if n := lookups.Load(); n != 2 {
		t.Errorf("%d lookups, want 2 (asked again once the TTL passed)", n)
	}
}
