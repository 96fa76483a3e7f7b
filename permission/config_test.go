package permission

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	cases := []struct {
		name, input string
		want        HTTP
	}{
		{"short form", "http http://localhost:8000/allowed", HTTP{Endpoint: "http://localhost:8000/allowed"}},
		{"block", `http {
			endpoint       http://localhost:8000/allowed?tenant=1
			cache_ttl      10m
			negative_ttl   1m
			error_ttl      2s
			timeout        500ms
			max_concurrent 8
			cache_size     5000
		}`, HTTP{
			Endpoint: "http://localhost:8000/allowed?tenant=1", CacheTTL: caddy.Duration(10 * time.Minute),
			NegativeTTL: caddy.Duration(time.Minute), ErrorTTL: caddy.Duration(2 * time.Second),
			Timeout: caddy.Duration(500 * time.Millisecond), MaxConcurrent: 8, CacheSize: 5000,
		}},
		{"endpoint on the line and a block", "http http://localhost:8000/a {\n\ttimeout 1s\n}", HTTP{Endpoint: "http://localhost:8000/a", Timeout: caddy.Duration(time.Second)}},
		{"placeholder kept for provision", "http {env.CORS_PERMISSION_URL}", HTTP{Endpoint: "{env.CORS_PERMISSION_URL}"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got HTTP
			if err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

var caddyfileErrorCases = []struct{ name, input, want string }{
	{"no endpoint", "http", "permission http: an endpoint is required, as in: permission http http://localhost:8000/cors-allowed, at Testfile:1"},
	{"no endpoint in the block", "http {\n\ttimeout 1s\n}", "permission http: an endpoint is required"},
	{"two arguments", "http http://a http://b", "wrong argument count or unexpected line ending after 'http://b', at Testfile:1"},
	{"two endpoints", "http http://localhost/a {\n\tendpoint http://localhost/b\n}", `endpoint "http://localhost/b": the endpoint is already "http://localhost/a", at Testfile:2`},
	{"subdirective without argument", "http http://localhost/a {\n\ttimeout\n}", "wrong argument count or unexpected line ending after 'timeout', at Testfile:2"},
	{"subdirective with two arguments", "http http://localhost/a {\n\tcache_size 1 2\n}", "wrong argument count or unexpected line ending after '1', at Testfile:2"},
	{"unknown subdirective", "http http://localhost/a {\n\tttl 1m\n}", `unrecognized permission http subdirective "ttl", at Testfile:2`},
	{"bad duration", "http http://localhost/a {\n\tcache_ttl forever\n}", `cache_ttl "forever": not a duration; use one like 30s or 5m, at Testfile:2`},
	{"bad number", "http http://localhost/a {\n\tmax_concurrent many\n}", `max_concurrent "many": not a whole number, at Testfile:2`},
	{"not a URL", "http localhost:8000/allowed", `endpoint "localhost:8000/allowed": must be an absolute http or https URL, as in "http://localhost:8000/cors-allowed", at Testfile:1`},
	{"ftp", "http ftp://localhost/allowed", `endpoint "ftp://localhost/allowed": must be an absolute http or https URL`},
	{"fragment", "http http://localhost/allowed#x", `endpoint "http://localhost/allowed#x": must not have a fragment or user information, at Testfile:1`},
	{"origin in the query", "http http://localhost/allowed?origin=x", `endpoint "http://localhost/allowed?origin=x": its query must not have origin or host parameters; the module adds them to every lookup, at Testfile:1`},
	{"negative TTL", "http http://localhost/a {\n\tnegative_ttl -1s\n}", "negative_ttl -1s: must not be negative, at Testfile:2"},
	{"max_concurrent negative", "http http://localhost/a {\n\tmax_concurrent -1\n}", "max_concurrent -1: must be at least 1, at Testfile:2"},
	{"cache_size negative", "http http://localhost/a {\n\tcache_size -5\n}", "cache_size -5: must be at least 1, at Testfile:2"},
	{"cache_size 0", "http http://localhost/a {\n\tcache_size 0\n}", "cache_size 0: must be at least 1, at Testfile:2"},
}

func TestUnmarshalCaddyfileErrors(t *testing.T) {
	for _, tc := range caddyfileErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			var p HTTP
			err := p.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n got %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestProvisionErrors(t *testing.T) {
	t.Setenv("CORS_TEST_EMPTY", "")
	cases := []struct {
		name string
		cfg  HTTP
		want string // the whole message
	}{
		{"no endpoint", HTTP{}, `endpoint: required; the URL to ask, as in "http://localhost:8000/cors-allowed"`},
		{"placeholder empty", HTTP{Endpoint: "{env.CORS_TEST_EMPTY}"}, `endpoint "{env.CORS_TEST_EMPTY}": evaluated placeholder {env.CORS_TEST_EMPTY} is empty; set it, or write the URL itself`},
		{"placeholder unset", HTTP{Endpoint: "http://{env.CORS_TEST_UNSET_XYZ}/allowed"}, `endpoint "http://{env.CORS_TEST_UNSET_XYZ}/allowed": evaluated placeholder {env.CORS_TEST_UNSET_XYZ} is empty; set it, or write the URL itself`},
		{"not a URL once replaced", HTTP{Endpoint: "localhost{env.CORS_TEST_EMPTY_OK}"}, ""},
		{"negative timeout", HTTP{Endpoint: "http://localhost/a", Timeout: -1}, "timeout -1ns: must not be negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
			defer cancel()
			p := tc.cfg
			err := p.Provision(ctx)
			defer p.Cleanup()
			if tc.want == "" {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestPlaceholderReplacedAtProvision(t *testing.T) {
	e := newEndpoint(t, status(200))
	t.Setenv("CORS_TEST_ENDPOINT", e.URL)
	p, _, _ := provisionHTTP(t, &HTTP{Endpoint: "{env.CORS_TEST_ENDPOINT}/allowed"}, newFakeClock())
	if !p.Allowed(context.Background(), appOrigin, apiHost) || e.lookups.Load() != 1 {
		t.Errorf("the endpoint from the environment was not asked")
	}
}

// A module provisioned with the same configuration (a reload) shares the
// cache of the one it replaces; a changed configuration starts empty.
func TestStateSurvivesReload(t *testing.T) {
	e := newEndpoint(t, status(200))
	old := &HTTP{Endpoint: e.URL + "/allowed"}
	ctx1, cancel1 := caddy.NewContext(caddy.Context{Context: context.Background()})
	if err := old.Provision(ctx1); err != nil {
		t.Fatal(err)
	}
	old.Allowed(context.Background(), appOrigin, apiHost)

	// The new config is provisioned before the old one is cleaned up.
	same, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL + "/allowed"}, nil)
	changed, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL + "/allowed?v=2"}, nil)
	if err := old.Cleanup(); err != nil {
		t.Fatal(err)
	}
	cancel1()
	if !same.Allowed(context.Background(), appOrigin, apiHost) {
		t.Fatal("denied")
	}
	if n := e.lookups.Load(); n != 1 {
		t.Errorf("%d lookups after a reload with the same config, want 1 (cached)", n)
	}
	if !changed.Allowed(context.Background(), appOrigin, apiHost) {
		t.Fatal("denied")
	}
	if n := e.lookups.Load(); n != 2 {
		t.Errorf("%d lookups after a reload that changed the endpoint, want 2", n)
	}
	if same.state == changed.state {
		t.Error("a changed configuration shares the old state")
	}
}

// When the last module of a configuration leaves, its state goes.
func TestStateDestroyedWithLastModule(t *testing.T) {
	e := newEndpoint(t, status(200))
	p := &HTTP{Endpoint: e.URL + "/destroyed"}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	if err := p.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.state
	if err := p.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if s.ctx.Err() == nil {
		t.Error("the state's lookups were not stopped")
	}
	q := &HTTP{Endpoint: e.URL + "/destroyed"}
	if err := q.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Cleanup()
	if q.state == s {
		t.Error("a destroyed state was reused")
	}
}
