package cors

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		name    string
		tls     bool
		trusted bool   // the server's trusted_proxies vouched for the peer
		xfp     string // X-Forwarded-Proto
		host    string
		origin  string
		want    bool
	}{
		{name: "http, default port", host: "api.example.com", origin: "http://api.example.com", want: true},
		{name: "http, explicit default port in Host", host: "api.example.com:80", origin: "http://api.example.com", want: true},
		{name: "http, same port", host: "localhost:8080", origin: "http://localhost:8080", want: true},
		{name: "http, other port", host: "localhost:8080", origin: "http://localhost:3000", want: false},
		{name: "http, port vs default", host: "localhost:8080", origin: "http://localhost", want: false},
		{name: "Host in another case", host: "API.Example.com", origin: "http://api.example.com", want: true},
		{name: "another host", host: "api.example.com", origin: "http://app.example.com", want: false},
		{name: "a longer host", host: "api.example.com", origin: "http://api.example.com.evil.net", want: false},
		{name: "a shorter host", host: "api.example.com.evil.net", origin: "http://api.example.com", want: false},
		{name: "https over TLS", tls: true, host: "api.example.com", origin: "https://api.example.com", want: true},
		{name: "https over TLS, port 443 in Host", tls: true, host: "api.example.com:443", origin: "https://api.example.com", want: true},
		{name: "http origin to a TLS request", tls: true, host: "api.example.com", origin: "http://api.example.com", want: false},
		{name: "https origin without TLS", host: "api.example.com", origin: "https://api.example.com", want: false},
		{name: "https origin, X-Forwarded-Proto from an untrusted peer", xfp: "https", host: "api.example.com", origin: "https://api.example.com", want: false},
		{name: "https origin, X-Forwarded-Proto from a trusted proxy", trusted: true, xfp: "https", host: "api.example.com", origin: "https://api.example.com", want: true},
		{name: "trusted proxy without X-Forwarded-Proto", trusted: true, host: "api.example.com", origin: "https://api.example.com", want: false},
		{name: "IPv6 literal", host: "[::1]:8080", origin: "http://[::1]:8080", want: true},
		{name: "IPv6 literal, other port", host: "[::1]:8080", origin: "http://[::1]:9090", want: false},
		{name: "IPv6 literal, default port", host: "[::1]", origin: "http://[::1]", want: true},
		{name: "null", host: "api.example.com", origin: "null", want: false},
		{name: "file://", host: "api.example.com", origin: "file://", want: false},
		{name: "empty Host", host: "", origin: "http://api.example.com", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", nil)
			r.Host = tc.host
			if !tc.tls {
				r.TLS = nil
			} else {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			vars := map[string]any{caddyhttp.TrustedProxyVarKey: tc.trusted}
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
			if got := sameOrigin(r, tc.origin); got != tc.want {
				t.Errorf("sameOrigin(Host %q, Origin %q) = %v, want %v", tc.host, tc.origin, got, tc.want)
			}
		})
	}
}

// The site's own POST (browsers send Origin on same-origin POST, PUT and
// DELETE) is not a CORS request: next runs, the response gets Vary:
// Origin only, a backend's CORS headers are removed as on every response,
// and the permission source is not asked.
func TestSameOriginRequestIsNotCORS(t *testing.T) {
	checker := &scriptedChecker{known: true, allowed: true}
	for _, method := range []string{"POST", "OPTIONS"} {
		h, _ := provision(t, Handler{Origins: []string{"https://app.example.com"}, Credentials: true})
		h.policy.permission, h.policy.cached = checker, checker
		r := httptest.NewRequest(method, "http://api.example.com/x", nil)
		r.Header.Set("Origin", "http://api.example.com")
		r.Header.Set(hdrACRM, "PUT")
		w := httptest.NewRecorder()
		next := spy{status: 200, headers: http.Header{hdrACAO: {"*"}}}
		if err := h.ServeHTTP(w, r, &next); err != nil {
			t.Fatal(err)
		}
		if !next.called || w.Code != 200 {
			t.Errorf("%s: next called %v, status %d; want next to answer 200", method, next.called, w.Code)
		}
		if got, want := corsPart(w.Header()), (http.Header{"Vary": {"Origin"}}); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CORS headers %v, want %v", method, got, want)
		}
	}
	if n := checker.asked.Load(); n != 0 {
		t.Errorf("permission asked %d times, want never", n)
	}
}
