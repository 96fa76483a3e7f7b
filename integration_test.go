package cors

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// These tests run a real Caddy in this process (caddytest: one instance per
// test binary, see testcaddy_test.go), so they never run in parallel.

// backendWithOwnCORS answers like an application that already sends CORS
// headers of its own.
func backendWithOwnCORS(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(hdrACAO, "*")
		w.Header().Set(hdrACAC, "true")
		w.Header().Set(hdrACEH, "X-Backend")
		w.Header().Set("Vary", "Accept-Encoding")
		w.Header().Set("X-Backend", "yes")
		_, _ = io.WriteString(w, "backend")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// deadAddress returns a loopback address nothing listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

const integrationOrigin = "https://app.example.com"

// startIntegrationCaddy loads the sites of TestIntegration and returns the
// tester and their port.
func startIntegrationCaddy(t *testing.T) (*caddytest.Tester, int) {
	t.Helper()
	backend := backendWithOwnCORS(t)
	// A file for file_server, which sends it with ReadFrom (sendfile).
	static := t.TempDir()
	if err := os.WriteFile(filepath.Join(static, "a.txt"), []byte("static file"), 0o644); err != nil {
		t.Fatal(err)
	}
	dead := deadAddress(t)
	return startCaddy(t, func(port int) string {
		return fmt.Sprintf(`{
	skip_install_trust
	admin %[6]s
	auto_https off
	default_bind 127.0.0.1
	grace_period 1ns
}

http://localhost:%[7]d {
	cors /api/* %[1]s {
		credentials
		headers authorization content-type
		expose_headers X-Backend
	}
	cors /public/* {
		allow_all
	}

	basic_auth /api/private/* {
		alice $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}
	reverse_proxy /api/backend/* %[2]s
	reverse_proxy /api/dead/* %[3]s
	handle_path /api/static/* {
		root * %[4]s
		file_server
	}
	handle /api/gzip/* {
		encode gzip
		respond "%[5]s"
	}
	respond /api/private/* "secret"
	respond /api/data "api"
	respond /public/* "public"
	respond /other "other"
}

# README's recipe: a public API for everyone, and your own app with cookies.
http://127.0.0.1:%[7]d {
	@app header Origin %[1]s
	cors @app %[1]s {
		credentials
	}
	cors {
		allow_all
	}
	respond "mixed"
}
`, integrationOrigin, backend.Listener.Addr(), dead, static, strings.Repeat("compressible ", 100), adminAddress(), port)
	})
}

type integrationCase struct {
	name       string
	host       string // the site's host name; default localhost
	method     string
	path       string
	headers    map[string]string
	wantStatus int
	wantBody   string
	want       http.Header // exact CORS headers and Vary
}

func TestIntegration(t *testing.T) {
	tester, port := startIntegrationCaddy(t)
	cases := []integrationCase{
		{
			name: "preflight answered before basic_auth", method: "OPTIONS", path: "/api/private/data",
			headers:    map[string]string{"Origin": integrationOrigin, hdrACRM: "GET", hdrACRH: "authorization"},
			wantStatus: 204, wantBody: "",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACAM: {"GET"}, hdrACAH: {"authorization"}, "Vary": preflightVary},
		},
		{
			name: "basic_auth's 401 carries CORS headers", method: "GET", path: "/api/private/data",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 401, wantBody: "",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Backend"}, "Vary": {"Origin"}},
		},
		{
			name: "a backend's own CORS headers are replaced: one ACAO", method: "GET", path: "/api/backend/x",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 200, wantBody: "backend",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Backend"}, "Vary": {"Accept-Encoding", "Origin"}},
		},
		{
			name: "a backend's ACAO * is removed for a disallowed origin", method: "GET", path: "/api/backend/x",
			headers:    map[string]string{"Origin": "https://evil.example.net"},
			wantStatus: 200, wantBody: "backend",
			want: http.Header{"Vary": {"Accept-Encoding", "Origin"}},
		},
		{
			name: "reverse_proxy's 502 with the upstream down carries CORS headers", method: "GET", path: "/api/dead/x",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 502, wantBody: "",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Backend"}, "Vary": {"Origin"}},
		},
		{
			name: "file_server (ReadFrom) response carries CORS headers", method: "GET", path: "/api/static/a.txt",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 200, wantBody: "static file",
			// file_server varies on Accept-Encoding itself (precompressed files).
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Backend"}, "Vary": {"Accept-Encoding", "Origin"}},
		},
		{
			name: "encode gzip: one ACAO, Vary keeps Accept-Encoding and adds Origin", method: "GET", path: "/api/gzip/x",
			headers:    map[string]string{"Origin": integrationOrigin, "Accept-Encoding": "gzip"},
			wantStatus: 200, wantBody: strings.Repeat("compressible ", 100),
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Backend"}, "Vary": {"Accept-Encoding", "Origin"}},
		},
		{
			name: "denied preflight never reaches respond", method: "OPTIONS", path: "/api/data",
			headers:    map[string]string{"Origin": integrationOrigin, hdrACRM: "PUT", hdrACRH: "x-secret"},
			wantStatus: 403, wantBody: "",
			want: http.Header{},
		},
		{
			name: "cors /api/* leaves /other untouched", method: "GET", path: "/other",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 200, wantBody: "other",
			want: http.Header{},
		},
		{
			name: "second cors directive with another matcher: allow_all on /public/*", method: "GET", path: "/public/x",
			headers:    map[string]string{"Origin": "https://anyone.example.org"},
			wantStatus: 200, wantBody: "public",
			want: http.Header{hdrACAO: {"*"}, "Vary": {"Origin"}},
		},
		{
			name: "first cors directive on /api/*", method: "GET", path: "/api/data",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 200, wantBody: "api",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Backend"}, "Vary": {"Origin"}},
		},

		// Everyone anonymously, the app with credentials: every response
		// varies on Origin, so a shared cache never serves the "*" copy to
		// the app's credentialed request.
		{
			name: "public + credentialed app: no Origin gets ACAO * and Vary Origin", host: "127.0.0.1", method: "GET", path: "/x",
			wantStatus: 200, wantBody: "mixed",
			want: http.Header{hdrACAO: {"*"}, "Vary": {"Origin"}},
		},
		{
			name: "public + credentialed app: the app gets its origin and credentials", host: "127.0.0.1", method: "GET", path: "/x",
			headers:    map[string]string{"Origin": integrationOrigin},
			wantStatus: 200, wantBody: "mixed",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, "Vary": {"Origin"}},
		},
		{
			name: "public + credentialed app: another origin gets ACAO * without credentials", host: "127.0.0.1", method: "GET", path: "/x",
			headers:    map[string]string{"Origin": "https://anyone.example.org"},
			wantStatus: 200, wantBody: "mixed",
			want: http.Header{hdrACAO: {"*"}, "Vary": {"Origin"}},
		},
		{
			name: "public + credentialed app: the app's preflight allows credentials", host: "127.0.0.1", method: "OPTIONS", path: "/x",
			headers:    map[string]string{"Origin": integrationOrigin, hdrACRM: "PUT"},
			wantStatus: 204, wantBody: "",
			want: http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACAM: {"PUT"}, "Vary": preflightVary},
		},
		{
			name: "public + credentialed app: another origin's preflight gets ACAO *", host: "127.0.0.1", method: "OPTIONS", path: "/x",
			headers:    map[string]string{"Origin": "https://anyone.example.org", hdrACRM: "PUT"},
			wantStatus: 204, wantBody: "",
			want: http.Header{hdrACAO: {"*"}, hdrACAM: {"PUT"}, "Vary": preflightVary},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := tc.host
			if host == "" {
				host = "localhost"
			}
			req, err := http.NewRequest(tc.method, "http://"+net.JoinHostPort(host, strconv.Itoa(port))+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			res, err := tester.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var reader io.Reader = res.Body
			if tc.headers["Accept-Encoding"] == "gzip" {
				if got := res.Header.Get("Content-Encoding"); got != "gzip" {
					t.Fatalf("Content-Encoding = %q, want gzip: encode did not run", got)
				}
				gz, err := gzip.NewReader(res.Body)
				if err != nil {
					t.Fatal(err)
				}
				reader = gz
			}
			body, _ := io.ReadAll(reader)
			if res.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.wantStatus)
			}
			if string(body) != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			if got := corsPart(res.Header); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CORS headers:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}
