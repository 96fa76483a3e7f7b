package cors

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/corsedge/caddy-cors/internal/fetch"
)

// referenceAllowHeaders states the Access-Control-Request-Headers rule
// plainly, with the same bounds, for FuzzPreflightHeaderList to compare with.
func referenceAllowHeaders(p *policy, lines []string) bool {
	if len(lines) > maxACRHLines || len(strings.Join(lines, "")) > maxACRHBytes {
		return false
	}
	names, empties := 0, 0
	for _, line := range lines {
		for _, elem := range strings.Split(line, ",") {
			elem = strings.Trim(elem, " \t")
			if elem == "" {
				empties++
				if empties > maxACRHEmpty {
					return false
				}
				continue
			}
			names++
			if names > maxACRHNames || !fetch.IsToken(elem) {
				return false
			}
			if _, ok := p.headers[strings.ToLower(elem)]; !p.anyHeader && !ok {
				return false
			}
		}
	}
	return true
}

// FuzzPreflightHeaderList: the Access-Control-Request-Headers parser never
// panics and accepts exactly the lists whose names are all allowed, with
// headers listed and with headers *.
func FuzzPreflightHeaderList(f *testing.F) {
	for _, tc := range handlerCases {
		for _, line := range tc.req[hdrACRH] {
			f.Add(line, "")
		}
	}
	f.Add("content-type,x-custom", "Authorization")
	f.Add(strings.Repeat(",", 100), "")
	f.Add(strings.Repeat(" ", 1000)+"accept", "")
	f.Add("X-CUSTOM , \taccept", ",,")
	f.Add("a\x00b", "ÿ")
	listed, _ := provision(f, Handler{Origins: []string{app}, Headers: []string{"accept", "authorization", "content-type", "x-custom"}})
	any, _ := provision(f, Handler{Origins: []string{app}, Headers: []string{"*"}})
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		for _, lines := range [][]string{{line1}, {line1, line2}} {
			for _, h := range []*Handler{listed, any} {
				_, _, got := h.policy.allowHeaders(lines)
				if want := referenceAllowHeaders(h.policy, lines); got != want {
					t.Fatalf("allowHeaders(%q) with anyHeader=%v = %v, want %v", lines, h.policy.anyHeader, got, want)
				}
			}
		}
	})
}

// FuzzCaddyfileTokens: any token stream either gives an error or a handler
// that provisions, validates and serves without panicking.
func FuzzCaddyfileTokens(f *testing.F) {
	for _, tc := range caddyfileCases {
		f.Add(tc.input)
	}
	for _, tc := range caddyfileErrorCases {
		f.Add(tc.input)
	}
	f.Add("cors {\n\tmax_age 9999999999999999999\n}")
	f.Add("cors https://a.com {\n\tpreflight_status -1\n}")
	f.Fuzz(func(t *testing.T, input string) {
		tokens, err := caddyfile.Tokenize([]byte(input), "Fuzzfile")
		if err != nil || len(tokens) == 0 {
			return
		}
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens)); err != nil {
			return
		}
		if err := h.Provision(caddy.Context{}); err != nil {
			t.Fatalf("%q parsed but did not provision: %v", input, err)
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("%q parsed but did not validate: %v", input, err)
		}
		h.logger = zap.NewNop()
		for _, r := range []*http.Request{
			request("GET", map[string]string{"Origin": app}),
			request("OPTIONS", map[string]string{"Origin": app, hdrACRM: "PUT", hdrACRH: "x-a"}),
		} {
			_ = h.ServeHTTP(httptest.NewRecorder(), r, &spy{status: 200})
		}
	})
}
