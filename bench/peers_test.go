package bench

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	chicors "github.com/go-chi/cors"
	rscors "github.com/rs/cors"

	cors "github.com/corsedge/caddy-cors"
)

// The same policy for every middleware: two exact origins and a subdomain
// pattern, credentials, the default methods and django-cors-headers'
// default request headers, a 10-minute preflight cache.
var (
	origins = []string{"https://app.example.com", "https://admin.example.com", "https://*.tenant.example.com"}
	methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	headers = []string{"accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with"}
)

// ok is the application behind each middleware.
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

func ours(b *testing.B) http.Handler {
	maxAge := caddy.Duration(10 * time.Minute)
	h := &cors.Handler{Origins: origins, Methods: methods, Headers: headers, Credentials: true, MaxAge: &maxAge}
	if err := h.Provision(productionContext(b)); err != nil {
		b.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		b.Fatal(err)
	}
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ok.ServeHTTP(w, r)
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.ServeHTTP(w, r, next)
	})
}

// productionContext is the context of a running Caddy with default
// logging (info level), so that the module's debug logging is off, as in
// production; caddy.Context{} would give a development logger at debug level.
func productionContext(b *testing.B) caddy.Context {
	if err := caddy.Load([]byte(`{"admin": {"disabled": true}}`), true); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = caddy.Stop() })
	return caddy.ActiveContext()
}

func rs() http.Handler {
	return rscors.New(rscors.Options{
		AllowedOrigins: origins, AllowedMethods: methods, AllowedHeaders: headers,
		AllowCredentials: true, MaxAge: 600,
	}).Handler(ok)
}

func chi() http.Handler {
	return chicors.Handler(chicors.Options{
		AllowedOrigins: origins, AllowedMethods: methods, AllowedHeaders: headers,
		AllowCredentials: true, MaxAge: 600,
	})(ok)
}

// writer is reused across iterations so that only the middleware is
// measured; clearing its header map keeps the map's storage.
type writer struct {
	h      http.Header
	status int
}

func (w *writer) Header() http.Header         { return w.h }
func (w *writer) Write(b []byte) (int, error) { return len(b), nil }
func (w *writer) WriteHeader(status int)      { w.status = status }

func req(method string, hdr map[string]string) *http.Request {
	r, _ := http.NewRequest(method, "http://api.example.com/x", nil)
	for k, v := range hdr {
		r.Header[k] = []string{v}
	}
	return r
}

func preflight(origin, acrh string) *http.Request {
	return req("OPTIONS", map[string]string{"Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": acrh})
}

var cases = []struct {
	name string
	r    *http.Request
}{
	{"actual_no_origin", req("GET", nil)},
	{"actual_exact", req("GET", map[string]string{"Origin": "https://app.example.com"})},
	{"actual_subdomain", req("GET", map[string]string{"Origin": "https://a.tenant.example.com"})},
	{"actual_disallowed", req("GET", map[string]string{"Origin": "https://evil.example.net"})},
	{"preflight_allowed", preflight("https://app.example.com", "authorization,content-type")},
	{"preflight_denied_origin", preflight("https://evil.example.net", "authorization,content-type")},
	{"preflight_denied_header", preflight("https://app.example.com", "authorization,x-secret")},
	{"preflight_1MiB_commas", preflight("https://app.example.com", strings.Repeat(",", 1<<20))},
}

// BenchmarkPeers runs each case through each middleware, named so that
// `benchstat -col /impl` puts the three side by side.
func BenchmarkPeers(b *testing.B) {
	middlewares := []struct {
		name string
		h    http.Handler
	}{{"ours", ours(b)}, {"rs_cors", rs()}, {"chi_cors", chi()}}
	for _, c := range cases {
		for _, m := range middlewares {
			b.Run("case="+c.name+"/impl="+m.name, func(b *testing.B) {
				w := &writer{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					m.h.ServeHTTP(w, c.r)
				}
			})
		}
	}
}
