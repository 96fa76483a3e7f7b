package cors

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// spy is the next handler: it records whether it ran, adds headers the way
// reverse_proxy copies a backend's (Header().Add), then writes.
type spy struct {
	called  bool
	headers http.Header // added to the response, as a backend would
	status  int         // 0: write nothing (as a handler that returns an error)
	err     error
}

func (s *spy) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	s.called = true
	for k, vs := range s.headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
		_, _ = w.Write([]byte("next"))
	}
	return s.err
}

// provision builds a handler as Caddy would, failing the test on a config
// error, with a logger that records what it logs at debug level.
func provision(t testing.TB, h Handler) (*Handler, *observer.ObservedLogs) {
	t.Helper()
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logger = zap.New(core)
	return &h, logs
}

// corsPart is the part of a response header map a CORS test compares:
// the CORS response headers and Vary.
func corsPart(h http.Header) http.Header {
	out := http.Header{}
	for name, v := range h {
		if strings.HasPrefix(strings.ToLower(name), "access-control-") || name == hdrVary {
			out[name] = v
		}
	}
	return out
}

func seconds(n int) *caddy.Duration {
	d := caddy.Duration(time.Duration(n) * time.Second)
	return &d
}

const (
	app  = "https://app.example.com"
	evil = "https://evil.example.net"
)

var preflightVary = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}

type handlerCase struct {
	name   string
	cfg    Handler
	method string      // default GET
	req    http.Header // request headers
	preset http.Header // response headers set before cors ran
	next   spy

	wantStatus int
	want       http.Header // exact CORS headers and Vary
	wantNext   bool
	wantBody   string
	wantErr    bool
	wantLog    string // a debug message that must have been logged
}

var handlerCases = []handlerCase{
	// Actual requests.
	{
		name: "no Origin: passed on, Vary Origin only",
		cfg:  Handler{Origins: []string{app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "allow_all without Origin: ACAO * and Vary Origin (another cors handler on the route may vary)",
		cfg:  Handler{AllowAll: true}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"*"}, "Vary": {"Origin"}},
	},
	{
		name: "allow_all with an Origin: ACAO *",
		cfg:  Handler{AllowAll: true}, req: http.Header{"Origin": {evil}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"*"}, "Vary": {"Origin"}},
	},
	{
		name: "origin * is allow_all",
		cfg:  Handler{Origins: []string{"*"}}, req: http.Header{"Origin": {evil}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"*"}, "Vary": {"Origin"}},
	},
	{
		name: "file:// listed: allowed byte for byte",
		cfg:  Handler{Origins: []string{"https://example.com", "file://"}}, req: http.Header{"Origin": {"file://"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"file://"}, "Vary": {"Origin"}},
	},
	{
		name: "file:// listed: file:/// is another value",
		cfg:  Handler{Origins: []string{"file://"}}, req: http.Header{"Origin": {"file:///"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "django tutorial's regexps translated: localhost on any port",
		cfg:  Handler{Origins: []string{"http://localhost:*", "http://127.0.0.1:*"}}, req: http.Header{"Origin": {"http://localhost:8081"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"http://localhost:8081"}, "Vary": {"Origin"}},
	},
	{
		name: "django tutorial's regexps translated: 127.0.0.1 on any port",
		cfg:  Handler{Origins: []string{"http://localhost:*", "http://127.0.0.1:*"}}, req: http.Header{"Origin": {"http://127.0.0.1:3000"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"http://127.0.0.1:3000"}, "Vary": {"Origin"}},
	},
	{
		name: "django tutorial's regexps translated: the dots are dots",
		cfg:  Handler{Origins: []string{"http://localhost:*", "http://127.0.0.1:*"}}, req: http.Header{"Origin": {"http://127a0b0c1"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "django tutorial's regexps translated: the portless origin too",
		cfg:  Handler{Origins: []string{"http://localhost:*", "http://127.0.0.1:*"}}, req: http.Header{"Origin": {"http://localhost"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"http://localhost"}, "Vary": {"Origin"}},
	},
	{
		name: "allowed origin",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, "Vary": {"Origin"}},
	},
	{
		name: "disallowed origin: no CORS headers, Vary Origin, logged",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {evil}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want:    http.Header{"Vary": {"Origin"}},
		wantLog: "origin not allowed; response sent without CORS headers",
	},
	{
		name: "origin compared as sent: upper case does not match",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {"https://APP.example.com"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "two Origin lines are no origin",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app, app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "credentials",
		cfg:  Handler{Origins: []string{app}, Credentials: true}, req: http.Header{"Origin": {app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, hdrACAC: {"true"}, "Vary": {"Origin"}},
	},
	{
		name: "expose_headers listed",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"X-Request-Id", "X-Total"}}, req: http.Header{"Origin": {app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, hdrACEH: {"X-Request-Id, X-Total"}, "Vary": {"Origin"}},
	},
	{
		name: "expose_headers * without credentials is sent as *",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"*"}}, req: http.Header{"Origin": {app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, hdrACEH: {"*"}, "Vary": {"Origin"}},
	},
	{
		name:       "expose_headers * with credentials lists the response's own names",
		cfg:        Handler{Origins: []string{app}, ExposeHeaders: []string{"*"}, Credentials: true},
		req:        http.Header{"Origin": {app}},
		next:       spy{status: 200, headers: http.Header{"X-Custom": {"1"}, "X-Another": {"2"}, "Set-Cookie": {"a=b"}, "Content-Type": {"text/plain"}, "Cache-Control": {"no-store"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACEH: {"X-Another, X-Custom"}, "Vary": {"Origin"}},
	},
	{
		name: "expose_headers not sent to a disallowed origin",
		cfg:  Handler{Origins: []string{app}, ExposeHeaders: []string{"X-Request-Id"}}, req: http.Header{"Origin": {evil}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "OPTIONS without Access-Control-Request-Method is an actual request",
		cfg:  Handler{Origins: []string{app}}, method: "OPTIONS", req: http.Header{"Origin": {app}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, "Vary": {"Origin"}},
	},
	{
		name: "OPTIONS with Access-Control-Request-Method but no Origin is an actual request",
		cfg:  Handler{Origins: []string{app}}, method: "OPTIONS", req: http.Header{hdrACRM: {"PUT"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "null origin listed",
		cfg:  Handler{Origins: []string{"null"}}, req: http.Header{"Origin": {"null"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"null"}, "Vary": {"Origin"}},
	},
	{
		name: "null origin not listed",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {"null"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "subdomain pattern",
		cfg:  Handler{Origins: []string{"https://*.example.com"}}, req: http.Header{"Origin": {"https://a.b.example.com"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"https://a.b.example.com"}, "Vary": {"Origin"}},
	},
	{
		name: "regexp is anchored",
		cfg:  Handler{OriginRegexp: []string{`https://.*\.example\.com`}}, req: http.Header{"Origin": {"https://a.example.com.evil.net"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		// "\Q" quotes to the end of its expression; combining it with the
		// others once made provisioning panic.
		name: "regexp with an unterminated \\Q",
		cfg:  Handler{OriginRegexp: []string{`\Qhttps://a.example.com`, `https://b\.example\.com`}}, req: http.Header{"Origin": {"https://a.example.com"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {"https://a.example.com"}, "Vary": {"Origin"}},
	},

	// The handler owns the CORS headers; Vary is merged.
	{
		name: "a backend's CORS headers are replaced, not duplicated",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		next:       spy{status: 200, headers: http.Header{hdrACAO: {"*"}, hdrACAC: {"true"}, hdrACEH: {"X-Secret"}, hdrACAM: {"GET"}, hdrACMA: {"86400"}, "Vary": {"Accept-Encoding"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, "Vary": {"Accept-Encoding", "Origin"}},
	},
	{
		name: "a backend's ACAO is removed for a disallowed origin",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {evil}},
		next:       spy{status: 200, headers: http.Header{hdrACAO: {evil}, hdrACAC: {"true"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name: "a header directive's ACAO set before cors is replaced",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		preset: http.Header{hdrACAO: {"*"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, "Vary": {"Origin"}},
	},
	{
		name: "Vary * is kept as it is",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		next:       spy{status: 200, headers: http.Header{"Vary": {"*"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, "Vary": {"*"}},
	},
	{
		name: "Vary origin in any case is not added twice",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {app}},
		next:       spy{status: 200, headers: http.Header{"Vary": {"accept-encoding, origin"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, "Vary": {"accept-encoding, origin"}},
	},
	{
		name: "error from next (basic_auth's 401): headers set for Caddy's error response",
		cfg:  Handler{Origins: []string{app}, Credentials: true}, req: http.Header{"Origin": {app}},
		next:       spy{err: caddyhttp.Error(401, errors.New("unauthorized"))},
		wantStatus: 200, wantNext: true, wantErr: true, // the recorder's default: Caddy writes the 401
		want: http.Header{hdrACAO: {app}, hdrACAC: {"true"}, "Vary": {"Origin"}},
	},

	// Preflights.
	{
		name:   "preflight allowed",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}, hdrACRH: {"authorization,content-type"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, hdrACAH: {"authorization,content-type"}, "Vary": preflightVary},
	},
	{
		name:   "preflight Vary merged into an earlier Vary, each name once",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}},
		preset:     http.Header{"Vary": {"origin, Accept-Encoding"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, "Vary": {"origin, Accept-Encoding", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
	},
	{
		name: "a CORS header set under a non-canonical key is removed too",
		cfg:  Handler{Origins: []string{app}}, req: http.Header{"Origin": {evil}},
		preset: http.Header{"access-control-allow-origin": {"*"}}, next: spy{status: 200},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": {"Origin"}},
	},
	{
		name:   "preflight without requested headers sends no ACAH",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"DELETE"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"DELETE"}, "Vary": preflightVary},
	},
	{
		name:   "preflight header list: any case, spaces, empty elements, several lines",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}, hdrACRH: {" Content-Type , ,\tAuthorization", "X-Requested-With,"}},
		wantStatus: 204,
		// Echoed line by line, as the request's own slice; a browser combines them.
		want: http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, hdrACAH: {" Content-Type , ,\tAuthorization", "X-Requested-With,"}, "Vary": preflightVary},
	},
	{
		name:   "preflight denied: origin",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {evil}, hdrACRM: {"PUT"}},
		preset:     http.Header{hdrACAO: {"*"}},
		wantStatus: 403, want: http.Header{},
		wantLog: "preflight denied: origin not allowed",
	},
	{
		name:   "preflight denied: method",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PURGE"}},
		wantStatus: 403, want: http.Header{},
		wantLog: "preflight denied: method not allowed",
	},
	{
		name:   "preflight method names are case-sensitive",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"patch"}},
		wantStatus: 403, want: http.Header{},
		wantLog: "preflight denied: method not allowed",
	},
	{
		name:   "preflight for a safelisted method is allowed whatever methods says",
		cfg:    Handler{Origins: []string{app}, Methods: []string{"PUT"}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"POST"}, hdrACRH: {"content-type"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"POST"}, hdrACAH: {"content-type"}, "Vary": preflightVary},
	},
	{
		name:   "preflight denied: header",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}, hdrACRH: {"content-type,x-secret"}},
		wantStatus: 403, want: http.Header{},
		wantLog: "preflight denied: header not allowed",
	},
	{
		name:   "preflight denied: malformed header list",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}, hdrACRH: {"content-type;x"}},
		wantStatus: 403, want: http.Header{},
	},
	{
		name:   "preflight denied: two Access-Control-Request-Method lines",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT", "DELETE"}},
		wantStatus: 403, want: http.Header{},
	},
	{
		name:   "preflight with credentials",
		cfg:    Handler{Origins: []string{app}, Credentials: true},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACAM: {"PUT"}, "Vary": preflightVary},
	},
	{
		name:   "headers * echoes the requested names, Authorization with credentials included",
		cfg:    Handler{Origins: []string{app}, Headers: []string{"*"}, Credentials: true},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"GET"}, hdrACRH: {"authorization,x-anything"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACAM: {"GET"}, hdrACAH: {"authorization,x-anything"}, "Vary": preflightVary},
	},
	{
		name:   "methods * with credentials echoes the method",
		cfg:    Handler{Origins: []string{app}, Methods: []string{"*"}, Credentials: true},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PURGE"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACAM: {"PURGE"}, "Vary": preflightVary},
	},
	{
		name:   "methods * still refuses CONNECT",
		cfg:    Handler{Origins: []string{app}, Methods: []string{"*"}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"CONNECT"}},
		wantStatus: 403, want: http.Header{},
	},
	{
		name:   "allow_all preflight: ACAO *",
		cfg:    Handler{AllowAll: true},
		method: "OPTIONS", req: http.Header{"Origin": {evil}, hdrACRM: {"PUT"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {"*"}, hdrACAM: {"PUT"}, "Vary": preflightVary},
	},
	{
		name:   "max_age 0 is sent",
		cfg:    Handler{Origins: []string{app}, MaxAge: seconds(0)},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, hdrACMA: {"0"}, "Vary": preflightVary},
	},
	{
		name:   "max_age in whole seconds",
		cfg:    Handler{Origins: []string{app}, MaxAge: seconds(7200)},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, hdrACMA: {"7200"}, "Vary": preflightVary},
	},
	{
		name:   "private network access granted when asked and configured",
		cfg:    Handler{Origins: []string{app}, PrivateNetwork: true},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"GET"}, hdrACRPN: {"true"}},
		wantStatus: 204,
		want: http.Header{hdrACAO: {app}, hdrACAM: {"GET"}, hdrACAPN: {"true"},
			"Vary": {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"}},
	},
	{
		name:   "private network access not granted when not asked",
		cfg:    Handler{Origins: []string{app}, PrivateNetwork: true},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"GET"}},
		wantStatus: 204,
		want: http.Header{hdrACAO: {app}, hdrACAM: {"GET"},
			"Vary": {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"}},
	},
	{
		name:   "private network access not granted when not configured",
		cfg:    Handler{Origins: []string{app}},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"GET"}, hdrACRPN: {"true"}},
		wantStatus: 204,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"GET"}, "Vary": preflightVary},
	},
	{
		name:   "preflight_status 200",
		cfg:    Handler{Origins: []string{app}, PreflightStatus: 200},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}},
		wantStatus: 200,
		want:       http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, "Vary": preflightVary},
	},
	{
		name:   "passthrough_preflight: next answers, with the preflight headers",
		cfg:    Handler{Origins: []string{app}, PassthroughPreflight: true},
		method: "OPTIONS", req: http.Header{"Origin": {app}, hdrACRM: {"PUT"}, hdrACRH: {"content-type"}},
		next:       spy{status: 200, headers: http.Header{hdrACAO: {"*"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{hdrACAO: {app}, hdrACAM: {"PUT"}, hdrACAH: {"content-type"}, "Vary": preflightVary},
	},
	{
		name:   "passthrough_preflight denied: next answers, without CORS headers",
		cfg:    Handler{Origins: []string{app}, PassthroughPreflight: true},
		method: "OPTIONS", req: http.Header{"Origin": {evil}, hdrACRM: {"PUT"}},
		next:       spy{status: 200, headers: http.Header{hdrACAO: {"*"}}},
		wantStatus: 200, wantNext: true, wantBody: "next",
		want: http.Header{"Vary": preflightVary},
	},
}

func TestServeHTTP(t *testing.T) {
	for _, tc := range handlerCases {
		t.Run(tc.name, func(t *testing.T) {
			h, logs := provision(t, tc.cfg)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			r := httptest.NewRequest(method, "http://api.example.com/x", nil)
			for k, v := range tc.req {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			for k, v := range tc.preset {
				w.Header()[k] = v
			}
			next := tc.next // a copy per run
			err := h.ServeHTTP(w, r, &next)

			if (err != nil) != tc.wantErr {
				t.Errorf("error = %v, want error: %v", err, tc.wantErr)
			}
			if next.called != tc.wantNext {
				t.Errorf("next called = %v, want %v", next.called, tc.wantNext)
			}
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if got := w.Body.String(); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			if got := corsPart(w.Header()); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CORS headers:\n got %v\nwant %v", got, tc.want)
			}
			if tc.wantLog != "" && logs.FilterMessage(tc.wantLog).Len() != 1 {
				t.Errorf("debug log %q not written; logged: %v", tc.wantLog, logs.All())
			}
		})
	}
}

// A downstream handler that edits response header values in place, as
// Caddy's header directive does with replace, must not reach the next
// request's response. (Each request has its own header map, as in a real
// server: echoed values may be the request's own slices.)
func TestHeaderValuesAreNotShared(t *testing.T) {
	h, _ := provision(t, Handler{
		Origins: []string{app}, Credentials: true, ExposeHeaders: []string{"X-Total"}, MaxAge: seconds(60),
	})
	for _, headers := range []map[string]string{
		{"Origin": app},
		{"Origin": app, hdrACRM: "PUT", hdrACRH: "content-type"},
	} {
		method := "GET"
		if _, ok := headers[hdrACRM]; ok {
			method = "OPTIONS"
		}
		first := httptest.NewRecorder()
		if err := h.ServeHTTP(first, request(method, headers), &spy{status: 200}); err != nil {
			t.Fatal(err)
		}
		want := corsPart(first.Header().Clone())
		for _, values := range first.Header() {
			for i := range values {
				values[i] = "corrupted"
			}
		}
		second := httptest.NewRecorder()
		if err := h.ServeHTTP(second, request(method, headers), &spy{status: 200}); err != nil {
			t.Fatal(err)
		}
		if got := corsPart(second.Header()); !reflect.DeepEqual(got, want) {
			t.Errorf("%s after in-place edits of an earlier response:\n got %v\nwant %v", method, got, want)
		}
	}
}

// The writer settles the headers however the response starts.
func TestWriterSettlesHeadersOnEveryPath(t *testing.T) {
	paths := map[string]func(w http.ResponseWriter){
		"WriteHeader": func(w http.ResponseWriter) { w.WriteHeader(201) },
		"Write":       func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) },
		"Flush":       func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() },
		"ReadFrom":    func(w http.ResponseWriter) { _, _ = io.Copy(w, strings.NewReader("x")) },
		"nothing":     func(w http.ResponseWriter) {},
	}
	for name, write := range paths {
		t.Run(name, func(t *testing.T) {
			h, _ := provision(t, Handler{Origins: []string{app}})
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Origin", app)
			w := httptest.NewRecorder()
			var sent http.Header
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set(hdrACAO, "*") // a backend's value
				write(w)
				sent = w.Header().Clone()
				return nil
			})
			if err := h.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}
			if name != "nothing" {
				if got := sent[hdrACAO]; !reflect.DeepEqual(got, []string{app}) {
					t.Errorf("ACAO when the response started = %q, want %q", got, app)
				}
			}
			if got := w.Header()[hdrACAO]; !reflect.DeepEqual(got, []string{app}) {
				t.Errorf("ACAO = %q, want %q", got, app)
			}
		})
	}
}

// Concurrent requests through one handler, each from its own origin, and
// every response header value edited in place once the response is out:
// by the next handler after WriteHeader (actual requests, and preflights
// with passthrough_preflight), and after the cors handler returns, as an
// outer handler would (Caddy's header directive with defer), which also
// reaches the preflights the handler answers itself. Each response must
// carry exactly its own CORS headers, and the request its own headers. A
// value shared with an earlier response shows that response's edit in the
// next request of the same goroutine, which checks it without the race
// detector; the goroutines running side by side are for -race.
func TestConcurrentRequestsDoNotShareHeaderValues(t *testing.T) {
	for _, passthrough := range []bool{false, true} {
		t.Run(fmt.Sprintf("passthrough_preflight=%v", passthrough), func(t *testing.T) {
			h, _ := provision(t, Handler{
				Origins: []string{"https://*.example.com"}, Credentials: true,
				ExposeHeaders: []string{"X-Total"}, MaxAge: seconds(60), PassthroughPreflight: passthrough,
			})
			h.logger = zap.NewNop()
			concurrentEditedRequests(t, h, passthrough)
		})
	}
}

// editInPlace overwrites every value of h without replacing any slice.
func editInPlace(h http.Header, by string) {
	for _, values := range h {
		for i := range values {
			values[i] = "edited by " + by
		}
	}
}

func concurrentEditedRequests(t *testing.T, h *Handler, passthrough bool) {
	t.Helper()
	var nextRuns atomic.Int64
	editAfterWrite := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		nextRuns.Add(1)
		by := r.Header.Get("Origin")
		w.WriteHeader(http.StatusOK)
		editInPlace(w.Header(), by)
		return nil
	})
	const goroutines, perGoroutine = 8, 300
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perGoroutine {
				if msg := editedRequest(h, editAfterWrite, fmt.Sprintf("https://c%d-%d.example.com", g, i), i%2 == 1, passthrough); msg != "" {
					errs <- msg
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if len(errs) > 0 {
		for e := range errs {
			t.Error(e)
		}
		return
	}
	// Every actual request reaches next, and with passthrough_preflight
	// every preflight too: both halves meet the editing handler.
	want := int64(goroutines * perGoroutine / 2)
	if passthrough {
		want *= 2
	}
	if n := nextRuns.Load(); n != want {
		t.Errorf("the editing handler ran %d times, want %d", n, want)
	}
}

// editedRequest sends one request from origin, checks the CORS headers its
// response went out with (the recorder's copy, taken at WriteHeader) and
// that its request headers are untouched, then edits the response in
// place. It returns what was wrong, or "".
func editedRequest(h *Handler, next caddyhttp.Handler, origin string, preflight, passthrough bool) string {
	headers := map[string]string{"Origin": origin}
	method := "GET"
	want := http.Header{hdrACAO: {origin}, hdrACAC: {"true"}, hdrACEH: {"X-Total"}, "Vary": {"Origin"}}
	wantStatus := http.StatusOK
	if preflight {
		method = "OPTIONS"
		headers[hdrACRM] = "PUT"
		headers[hdrACRH] = "content-type"
		want = http.Header{hdrACAO: {origin}, hdrACAC: {"true"}, hdrACAM: {"PUT"}, hdrACAH: {"content-type"}, hdrACMA: {"60"}, "Vary": preflightVary}
		if !passthrough {
			wantStatus = http.StatusNoContent
		}
	}
	r := request(method, headers)
	wantRequest := r.Header.Clone()
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, next); err != nil {
		return fmt.Sprintf("%s from %s: %v", method, origin, err)
	}
	sent := w.Result()
	var problem string
	switch {
	case sent.StatusCode != wantStatus:
		problem = fmt.Sprintf("%s from %s: status %d, want %d", method, origin, sent.StatusCode, wantStatus)
	case !reflect.DeepEqual(corsPart(sent.Header), want):
		problem = fmt.Sprintf("%s from %s: sent with CORS headers\n got %v\nwant %v", method, origin, corsPart(sent.Header), want)
	}
	// As an outer handler would, once the cors handler has returned.
	editInPlace(w.Header(), origin)
	if problem == "" && !reflect.DeepEqual(r.Header, wantRequest) {
		problem = fmt.Sprintf("%s from %s: request headers after in-place edits of the response\n got %v\nwant %v", method, origin, r.Header, wantRequest)
	}
	return problem
}
