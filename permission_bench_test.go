package cors

import (
	"net/http"
	"testing"
)

// BenchmarkPermission: an origin the permission endpoint allowed, once
// cached, against the same request from a static exact origin, in one
// run; and denials from the cache. Debug logging is off, as in
// production; the endpoint is asked once per origin, before the loop.
func BenchmarkPermission(b *testing.B) {
	e := newPermissionEndpoint(b, map[string]string{tenantOrigin: "api.example.com"})
	static := benchHandler(b, Handler{Origins: []string{app}, Credentials: true})
	dynamic, _ := provisionWithPermission(b, Handler{Origins: []string{app}, PermissionRaw: permissionJSON(e.URL), Credentials: true})
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
