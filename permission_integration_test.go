package cors

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// A real Caddy (caddytest, see testcaddy_test.go) with a permission
// endpoint, credentials and reverse_proxy, on a port of its own.
func permissionCaddyfile(port int, endpoint, backend, marker string) string {
	return fmt.Sprintf(`{
	skip_install_trust
	admin %[4]s
	auto_https off
	default_bind 127.0.0.1
	grace_period 1ns
}

http://localhost:%[5]d {
	header X-Config %[1]s
	cors /api/* https://static.example.com {
		credentials
		headers content-type
		permission http %[2]s
	}
	reverse_proxy /api/* %[3]s
}
`, marker, endpoint, backend, adminAddress(), port)
}

func TestPermissionIntegration(t *testing.T) {
	e := newPermissionEndpoint(t, map[string]string{tenantOrigin: "localhost"})
	backend := backendWithOwnCORS(t)
	tester, port := startCaddy(t, func(port int) string {
		return permissionCaddyfile(port, e.URL+"/allowed", backend.Listener.Addr().String(), "one")
	})
	site := fmt.Sprintf("http://localhost:%d", port)

	do := func(method string, headers map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, site+"/api/data", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := tester.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	check := func(name string, res *http.Response, body string, wantStatus int, wantBody string, want http.Header) {
		t.Helper()
		if res.StatusCode != wantStatus || body != wantBody {
			t.Errorf("%s: status %d body %q, want %d %q", name, res.StatusCode, body, wantStatus, wantBody)
		}
		if got := corsPart(res.Header); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CORS headers:\n got %v\nwant %v", name, got, want)
		}
	}

	res, body := do("OPTIONS", map[string]string{"Origin": tenantOrigin, hdrACRM: "PUT", hdrACRH: "content-type"})
	check("preflight from an origin the endpoint allows", res, body, 204, "",
		http.Header{hdrACAO: {tenantOrigin}, hdrACAC: {"true"}, hdrACAM: {"PUT"}, hdrACAH: {"content-type"}, "Vary": preflightVary})
	res, body = do("PUT", map[string]string{"Origin": tenantOrigin, "Cookie": "session=1"})
	check("actual request through reverse_proxy, with credentials", res, body, 200, "backend",
		http.Header{hdrACAO: {tenantOrigin}, hdrACAC: {"true"}, "Vary": {"Accept-Encoding", "Origin"}})
	res, body = do("OPTIONS", map[string]string{"Origin": "https://evil.example.net", hdrACRM: "PUT"})
	check("preflight from an origin the endpoint denies", res, body, 403, "", http.Header{})
	res, body = do("GET", map[string]string{"Origin": "https://evil.example.net"})
	check("the backend's ACAO * removed for a denied origin", res, body, 200, "backend", http.Header{"Vary": {"Accept-Encoding", "Origin"}})
	res, body = do("GET", map[string]string{"Origin": "https://static.example.com"})
	check("a static origin", res, body, 200, "backend", http.Header{hdrACAO: {"https://static.example.com"}, hdrACAC: {"true"}, "Vary": {"Accept-Encoding", "Origin"}})
	if n := e.lookups.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2 (one per dynamic origin; the static one never asks)", n)
	}
	if want := "origin=https%3A%2F%2Fshop.customer.example&host=localhost"; e.queries[0] != want {
		t.Errorf("lookup query %q, want %q", e.queries[0], want)
	}

	// A reload through the admin API with the same permission config
	// (something else changed, or Caddy would skip it) keeps the cache.
	if code, body, err := postLoad(permissionCaddyfile(port, e.URL+"/allowed", backend.Listener.Addr().String(), "two")); err != nil || code != 200 {
		t.Fatalf("reload: %d %s %v", code, body, err)
	}
	res, body = do("GET", map[string]string{"Origin": tenantOrigin})
	if res.Header.Get("X-Config") != "two" {
		t.Fatalf("X-Config %q: the reload did not happen", res.Header.Get("X-Config"))
	}
	check("after a reload, from the kept cache", res, body, 200, "backend",
		http.Header{hdrACAO: {tenantOrigin}, hdrACAC: {"true"}, "Vary": {"Accept-Encoding", "Origin"}})
	if n := e.lookups.Load(); n != 2 {
		t.Errorf("%d lookups after a reload with the same permission config, want still 2", n)
	}

	// A changed endpoint starts with an empty cache.
	if code, body, err := postLoad(permissionCaddyfile(port, e.URL+"/allowed?v=2", backend.Listener.Addr().String(), "three")); err != nil || code != 200 {
		t.Fatalf("reload: %d %s %v", code, body, err)
	}
	res, body = do("GET", map[string]string{"Origin": tenantOrigin})
	check("after a reload with a changed endpoint", res, body, 200, "backend",
		http.Header{hdrACAO: {tenantOrigin}, hdrACAC: {"true"}, "Vary": {"Accept-Encoding", "Origin"}})
	if n := e.lookups.Load(); n != 3 {
		t.Errorf("%d lookups after a reload that changed the endpoint, want 3", n)
	}

	// The metrics are at Caddy's metrics endpoint.
	mres, err := http.Get("http://" + adminAddress() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	for _, name := range []string{"caddy_cors_permission_lookups_total{result=\"allowed\"}", "caddy_cors_permission_cache_hits_total", "caddy_cors_permission_lookup_duration_seconds_bucket"} {
		if !strings.Contains(string(metricsText), name) {
			t.Errorf("%s missing from the admin metrics endpoint", name)
		}
	}
}

// An endpoint that is down when Caddy starts: the config loads, and
// origins it would decide are denied (static ones still work).
func TestPermissionEndpointDownAtStart(t *testing.T) {
	backend := backendWithOwnCORS(t)
	dead := deadAddress(t)
	tester, port := startCaddy(t, func(port int) string {
		return permissionCaddyfile(port, "http://"+dead+"/allowed", backend.Listener.Addr().String(), "down")
	})
	for _, tc := range []struct {
		name, method, origin string
		status               int
		want                 http.Header
	}{
		{"preflight denied", "OPTIONS", tenantOrigin, 403, http.Header{}},
		{"actual request without CORS headers", "GET", tenantOrigin, 200, http.Header{"Vary": {"Accept-Encoding", "Origin"}}},
		{"a static origin still allowed", "GET", "https://static.example.com", 200, http.Header{hdrACAO: {"https://static.example.com"}, hdrACAC: {"true"}, "Vary": {"Accept-Encoding", "Origin"}}},
	} {
		req, _ := http.NewRequest(tc.method, fmt.Sprintf("http://localhost:%d/api/data", port), nil)
		req.Header.Set("Origin", tc.origin)
		if tc.method == "OPTIONS" {
			req.Header.Set(hdrACRM, "PUT")
		}
		res, err := tester.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, res.StatusCode, tc.status)
		}
		if got := corsPart(res.Header); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: CORS headers:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}
