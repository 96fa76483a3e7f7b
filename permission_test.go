package cors

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// permissionEndpoint allows the origins in allowed for the hosts listed
// with them, denies the rest, and records each lookup's query.
type permissionEndpoint struct {
	*httptest.Server
	mu      sync.Mutex
	allowed map[string]string // origin -> host
	queries []string
	lookups atomic.Int64
}

func newPermissionEndpoint(t testing.TB, allowed map[string]string) *permissionEndpoint {
	t.Helper()
	e := &permissionEndpoint{allowed: allowed}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.lookups.Add(1)
		q := r.URL.Query()
		e.mu.Lock()
		e.queries = append(e.queries, r.URL.RawQuery)
		host, ok := e.allowed[q.Get("origin")]
		e.mu.Unlock()
		if ok && host == q.Get("host") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(e.Close)
	return e
}

func permissionJSON(endpoint string) json.RawMessage {
	return json.RawMessage(`{"module":"http","endpoint":"` + endpoint + `"}`)
}

// provisionWithPermission provisions h as Caddy does, in a context that
// can load its permission module; the module is cleaned up with the test.
// Its logs go to Caddy's default logger, at INFO as in production.
func provisionWithPermission(t testing.TB, h Handler) (*Handler, *observer.ObservedLogs) {
	t.Helper()
	if err := provisionAsCaddy(t, &h); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logger = zap.New(core)
	return &h, logs
}

const (
	tenantOrigin = "https://shop.customer.example"
	tenantHost   = "api.example.com" // the Host of the test requests
)

func TestPermissionServeHTTP(t *testing.T) {
	e := newPermissionEndpoint(t, map[string]string{tenantOrigin: tenantHost, "https://other.example": "other-tenant.example.com"})
	h, _ := provisionWithPermission(t, Handler{
		Origins:       []string{app},
		PermissionRaw: permissionJSON(e.URL),
		Credentials:   true,
		Headers:       []string{"content-type"},
	})
	cases := []struct {
		name       string
		method     string
		req        http.Header
		wantStatus int
		want       http.Header
		wantNext   bool
		lookups    int64 // after this case, in all
	}{
		{
			name: "static origin: allowed without asking the endpoint", method: "GET",
			req:        http.Header{"Origin": {app}},
			wantStatus: 200, wantNext: true, lookups: 0,
			want: http.Header{hdrACAO: {app}, hdrACAC: {"true"}, "Vary": {"Origin"}},
		},
		{
			name: "origin the endpoint allows: preflight with credentials", method: "OPTIONS",
			req:        http.Header{"Origin": {tenantOrigin}, hdrACRM: {"PUT"}, hdrACRH: {"content-type"}},
			wantStatus: 204, wantNext: false, lookups: 1,
			want: http.Header{hdrACAO: {tenantOrigin}, hdrACAC: {"true"}, hdrACAM: {"PUT"}, hdrACAH: {"content-type"}, "Vary": preflightVary},
		},
		{
			name: "then the actual request, from the cache", method: "PUT",
			req:        http.Header{"Origin": {tenantOrigin}},
			wantStatus: 200, wantNext: true, lookups: 1,
			want: http.Header{hdrACAO: {tenantOrigin}, hdrACAC: {"true"}, "Vary": {"Origin"}},
		},
		{
			name: "origin allowed for another tenant's host: denied preflight", method: "OPTIONS",
			req:        http.Header{"Origin": {"https://other.example"}, hdrACRM: {"PUT"}},
			wantStatus: 403, wantNext: false, lookups: 2,
			want: http.Header{},
		},
		{
			name: "and no CORS headers on its actual request", method: "GET",
			req:        http.Header{"Origin": {"https://other.example"}},
			wantStatus: 200, wantNext: true, lookups: 2,
			want: http.Header{"Vary": {"Origin"}},
		},
		{
			name: "null is never sent to the endpoint", method: "GET",
			req:        http.Header{"Origin": {"null"}},
			wantStatus: 200, wantNext: true, lookups: 2,
			want: http.Header{"Vary": {"Origin"}},
		},
		{
			name: "two Origin values are not an origin", method: "GET",
			req:        http.Header{"Origin": {tenantOrigin, tenantOrigin}},
			wantStatus: 200, wantNext: true, lookups: 2,
			want: http.Header{"Vary": {"Origin"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://"+tenantHost+"/x", nil)
			for k, v := range tc.req {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			next := spy{status: 200}
			if err := h.ServeHTTP(w, r, &next); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if next.called != tc.wantNext {
				t.Errorf("next called = %v, want %v", next.called, tc.wantNext)
			}
			if got := corsPart(w.Header()); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CORS headers:\n got %v\nwant %v", got, tc.want)
			}
			if n := e.lookups.Load(); n != tc.lookups {
				t.Errorf("%d lookups so far, want %d", n, tc.lookups)
			}
		})
	}
	if want := "origin=https%3A%2F%2Fshop.customer.example&host=api.example.com"; len(e.queries) == 0 || e.queries[0] != want {
		t.Errorf("first lookup's query %q, want %q", e.queries, want)
	}
}

// permission alone is a whole policy.
func TestPermissionAlone(t *testing.T) {
	e := newPermissionEndpoint(t, map[string]string{tenantOrigin: tenantHost})
	h, _ := provisionWithPermission(t, Handler{PermissionRaw: permissionJSON(e.URL)})
	r := httptest.NewRequest("GET", "http://"+tenantHost+"/x", nil)
	r.Header.Set("Origin", tenantOrigin)
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, &spy{status: 200}); err != nil {
		t.Fatal(err)
	}
	if want := (http.Header{hdrACAO: {tenantOrigin}, "Vary": {"Origin"}}); !reflect.DeepEqual(corsPart(w.Header()), want) {
		t.Errorf("CORS headers %v, want %v", corsPart(w.Header()), want)
	}
}

func TestPermissionConfigErrors(t *testing.T) {
	const allowAllMsg = `permission with allow_all (or origin "*"): allow_all already lets every origin read responses, so the endpoint would never be asked; remove one of them`
	for _, h := range []Handler{
		{AllowAll: true, PermissionRaw: permissionJSON("http://localhost/a")},
		{Origins: []string{"*"}, PermissionRaw: permissionJSON("http://localhost/a")},
	} {
		if _, err := compile(&h); err == nil || err.Error() != allowAllMsg {
			t.Errorf("error %v, want %q", err, allowAllMsg)
		}
	}
	// The module's own errors come through Provision with the whole message.
	h := Handler{PermissionRaw: json.RawMessage(`{"module":"http","endpoint":"{env.CORS_TEST_UNSET_ENDPOINT}"}`)}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	want := `permission: loading module 'http': provision http.handlers.cors.permission.http: endpoint "{env.CORS_TEST_UNSET_ENDPOINT}": evaluated placeholder {env.CORS_TEST_UNSET_ENDPOINT} is empty; set it, or write the URL itself`
	if err := h.Provision(ctx); err == nil || err.Error() != want {
		t.Errorf("Provision error:\n got %v\nwant %s", err, want)
	}
	h = Handler{PermissionRaw: json.RawMessage(`{"module":"redis"}`)}
	if err := h.Provision(ctx); err == nil || !strings.Contains(err.Error(), "unknown module: http.handlers.cors.permission.redis") {
		t.Errorf("Provision error %v, want the unknown module named", err)
	}
}

var permissionCaddyfileCases = []struct {
	name, input string
	want        string // PermissionRaw
}{
	{"short form", "cors {\n\tpermission http http://localhost:8000/allowed\n}", `{"endpoint":"http://localhost:8000/allowed","module":"http"}`},
	{"block", "cors https://a.com {\n\tpermission http {\n\t\tendpoint http://localhost:8000/allowed\n\t\tcache_ttl 10m\n\t\tmax_concurrent 4\n\t}\n\tcredentials\n}",
		`{"cache_ttl":600000000000,"endpoint":"http://localhost:8000/allowed","max_concurrent":4,"module":"http"}`},
}

func TestPermissionCaddyfile(t *testing.T) {
	for _, tc := range permissionCaddyfileCases {
		t.Run(tc.name, func(t *testing.T) {
			var h Handler
			if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input)); err != nil {
				t.Fatal(err)
			}
			if string(h.PermissionRaw) != tc.want {
				t.Errorf("permission %s, want %s", h.PermissionRaw, tc.want)
			}
		})
	}
	errorCases := []struct{ name, input, want string }{
		{"no module", "cors {\n\tpermission\n}", "wrong argument count or unexpected line ending after 'permission', at Testfile:2"},
		{"unknown module", "cors {\n\tpermission redis localhost\n}", "getting module named 'http.handlers.cors.permission.redis': module not registered: http.handlers.cors.permission.redis, at Testfile:2"},
		{"twice", "cors {\n\tpermission http http://localhost/a\n\tpermission http http://localhost/b\n}", "permission: already set; a cors handler asks one permission module, at Testfile:3"},
		{"module error", "cors {\n\tpermission http {\n\t\ttimeout soon\n\t}\n}", `timeout "soon": not a duration; use one like 30s or 5m, at Testfile:3`},
		{"with allow_all", "cors {\n\tallow_all\n\tpermission http http://localhost/a\n}", `permission with allow_all (or origin "*"): allow_all already lets every origin read responses, so the endpoint would never be asked; remove one of them, at Testfile:4`},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// The handler's guarantees hold with a permission module: one allocation
// for an actual request from a cached origin, none for a preflight denied
// from the cache.
func TestPermissionAllocations(t *testing.T) {
	e := newPermissionEndpoint(t, map[string]string{tenantOrigin: tenantHost})
	h, _ := provisionWithPermission(t, Handler{Origins: []string{app}, PermissionRaw: permissionJSON(e.URL), Credentials: true})
	h.logger = zap.NewNop()
	actual := request("GET", map[string]string{"Origin": tenantOrigin})
	denied := request("OPTIONS", map[string]string{"Origin": "https://evil.example.net", hdrACRM: "PUT"})
	w := &benchWriter{h: make(http.Header)}
	serve := func(r *http.Request) {
		clear(w.h)
		_ = h.ServeHTTP(w, r, okNext)
	}
	serve(actual)
	serve(denied)
	if n := testing.AllocsPerRun(100, func() { serve(actual) }); n != 1 {
		t.Errorf("actual request from a cached allowed origin: %v allocations, want 1", n)
	}
	if got := w.h.Get(hdrACAO); got != tenantOrigin {
		t.Errorf("ACAO %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { serve(denied) }); n != 0 {
		t.Errorf("preflight denied from the cache: %v allocations, want 0", n)
	}
	if w.status != http.StatusForbidden {
		t.Errorf("status %d", w.status)
	}
	if n := e.lookups.Load(); n != 2 {
		t.Errorf("%d lookups, want 2", n)
	}
}

// The Caddyfile adapts to the JSON form of the permission field.
func TestPermissionAdapt(t *testing.T) {
	input := `:8885 {
	cors /api/* https://app.example.com {
		credentials
		permission http {
			endpoint http://localhost:8000/cors-allowed?site=shop
			cache_ttl 10m
			max_concurrent 8
		}
	}
	respond "ok"
}`
	want := `
{
	"apps": {
		"http": {
			"servers": {
				"srv0": {
					"listen": [
						":8885"
					],
					"routes": [
						{
							"match": [
								{
									"path": [
										"/api/*"
									]
								}
							],
							"handle": [
								{
									"credentials": true,
									"handler": "cors",
									"origins": [
										"https://app.example.com"
									],
									"permission": {
										"cache_ttl": 600000000000,
										"endpoint": "http://localhost:8000/cors-allowed?site=shop",
										"max_concurrent": 8,
										"module": "http"
									}
								}
							]
						},
						{
							"handle": [
								{
									"body": "ok",
									"handler": "static_response"
								}
							]
						}
					]
				}
			}
		}
	}
}
`
	if !caddytest.CompareAdapt(t, "Caddyfile", input, "caddyfile", strings.TrimSpace(want)) {
		t.Error("adapted JSON differs (diff above)")
	}
}

// The docs' JSON example of the permission field (found by its
// "module": "http") loads its module.
func TestDocPermissionJSON(t *testing.T) {
	b := docBlock(t, "json", `"module": "http"`)
	h, err := loadCorsHandler(t, []byte(b.text))
	if err != nil {
		t.Fatalf("%s: %v", b.where(), err)
	}
	if h.permission == nil {
		t.Fatalf("%s: no permission module loaded", b.where())
	}
}
