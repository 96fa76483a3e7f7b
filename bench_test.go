package cors

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// benchWriter is a reused response writer, so that only the module is
// measured: clearing its header map keeps the map's storage.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }

// okNext stands for the rest of the route: it starts a 200 response.
var okNext = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusOK)
	return nil
})

func benchHandler(b *testing.B, cfg Handler) *Handler {
	b.Helper()
	h, _ := provision(b, cfg)
	h.logger = zap.NewNop() // as in production: debug disabled
	return h
}

func request(method string, headers map[string]string) *http.Request {
	r, _ := http.NewRequest(method, "http://api.example.com/x", nil)
	for k, v := range headers {
		r.Header[k] = []string{v}
	}
	return r
}

func runBench(b *testing.B, h *Handler, r *http.Request, wantStatus int) {
	b.Helper()
	w := &benchWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		if err := h.ServeHTTP(w, r, okNext); err != nil {
			b.Fatal(err)
		}
	}
	if w.status != wantStatus {
		b.Fatalf("status %d, want %d", w.status, wantStatus)
	}
}

// benchConfig is a typical configuration: exact origins, a subdomain
// pattern, a regexp, credentials and the default methods and headers.
func benchConfig() Handler {
	return Handler{
		Origins:      []string{"https://app.example.com", "https://admin.example.com", "https://*.tenant.example.com"},
		OriginRegexp: []string{`https://pr-[0-9]+\.preview\.example\.com`},
		Credentials:  true,
		MaxAge:       seconds(600),
	}
}

// adversarial Access-Control-Request-Headers values.
var (
	thousandNames = func() string {
		names := make([]string, 1000)
		for i := range names {
			names[i] = fmt.Sprintf("x-h%d", i)
		}
		return strings.Join(names, ",")
	}()
	mebibyteOfCommas = strings.Repeat(",", 1<<20)
)

func BenchmarkServeHTTP(b *testing.B) {
	preflight := func(origin, acrh string) *http.Request {
		return request("OPTIONS", map[string]string{"Origin": origin, hdrACRM: "PUT", hdrACRH: acrh})
	}
	cases := []struct {
		name   string
		r      *http.Request
		status int
	}{
		{"actual/no_origin", request("GET", nil), 200},
		{"actual/exact", request("GET", map[string]string{"Origin": "https://app.example.com"}), 200},
		{"actual/subdomain", request("GET", map[string]string{"Origin": "https://a.tenant.example.com"}), 200},
		{"actual/regexp", request("GET", map[string]string{"Origin": "https://pr-42.preview.example.com"}), 200},
		{"actual/disallowed", request("GET", map[string]string{"Origin": "https://evil.example.net"}), 200},
		{"preflight/allowed", preflight("https://app.example.com", "authorization,content-type"), 204},
		{"preflight/denied_origin", preflight("https://evil.example.net", "authorization,content-type"), 403},
		{"preflight/denied_header", preflight("https://app.example.com", "authorization,x-secret"), 403},
		{"preflight/1000_names", preflight("https://app.example.com", thousandNames), 403},
		{"preflight/1MiB_commas", preflight("https://app.example.com", mebibyteOfCommas), 403},
	}
	h := benchHandler(b, benchConfig())
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { runBench(b, h, c.r, c.status) })
	}
}

// BenchmarkScale: the cost of matching must not grow with the number of
// configured origins or subdomain patterns. The origin asked for is the
// last one configured.
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		origins := make([]string, n)
		for i := range origins {
			origins[i] = fmt.Sprintf("https://app%d.example.com", i)
		}
		h := benchHandler(b, Handler{Origins: origins})
		r := request("GET", map[string]string{"Origin": origins[n-1]})
		b.Run(fmt.Sprintf("kind=exact/n=%d", n), func(b *testing.B) { runBench(b, h, r, 200) })
	}
	for _, n := range []int{1, 100, 10000} {
		origins := make([]string, n)
		for i := range origins {
			origins[i] = fmt.Sprintf("https://*.tenant%d.example.com", i)
		}
		h := benchHandler(b, Handler{Origins: origins})
		r := request("GET", map[string]string{"Origin": fmt.Sprintf("https://a.tenant%d.example.com", n-1)})
		b.Run(fmt.Sprintf("kind=subdomain/n=%d", n), func(b *testing.B) { runBench(b, h, r, 200) })
	}
}

// BenchmarkProvision measures loading a configuration of 1,000 origins
// with credentials, written as exact origins (the baseline), as
// origin_regexp expressions that spell out their domains (accepted), and
// as expressions that reach domains they do not (refused, each with an
// example origin). Each expression's verdict is decided from its program
// at load, so this is what a reload of such a configuration pays.
func BenchmarkProvision(b *testing.B) {
	const n = 1000
	configs := []struct {
		name string
		cfg  Handler
		ok   bool
	}{
		{"origins", Handler{Credentials: true}, true},
		{"regexps_accepted", Handler{Credentials: true}, true},
		{"regexps_refused", Handler{Credentials: true}, false},
	}
	for i := range n {
		configs[0].cfg.Origins = append(configs[0].cfg.Origins, fmt.Sprintf("https://pr-%d.preview.example.com", i))
		configs[1].cfg.OriginRegexp = append(configs[1].cfg.OriginRegexp, fmt.Sprintf(`https://pr-[0-9]+\.preview%d\.example\.com$`, i))
		configs[2].cfg.OriginRegexp = append(configs[2].cfg.OriginRegexp, fmt.Sprintf(`https://pr-[0-9]+\.preview%d\.example\.co.*$`, i))
	}
	for _, c := range configs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h := c.cfg
				if err := h.Provision(caddy.Context{}); err != nil {
					b.Fatal(err)
				}
				if err := h.Validate(); (err == nil) != c.ok {
					b.Fatalf("Validate: %v", err)
				}
			}
		})
	}
}
