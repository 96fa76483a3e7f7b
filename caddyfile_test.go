package cors

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

var caddyfileCases = []struct {
	name  string
	input string
	want  Handler
}{
	{"origins on the directive line", `cors https://a.com https://b.com`,
		Handler{Origins: []string{"https://a.com", "https://b.com"}}},
	{"every subdirective", `cors https://a.com {
		origins https://b.com http://localhost:*
		origins https://*.example.com
		origin_regexp ^https://[a-z]+\.example\.org$
		methods GET PUT
		methods PATCH
		headers content-type
		headers x-custom
		expose_headers X-Request-Id
		expose_headers X-Total
		credentials
		max_age 2h
		private_network
		preflight_status 200
		passthrough_preflight
	}`, Handler{
		Origins:              []string{"https://a.com", "https://b.com", "http://localhost:*", "https://*.example.com"},
		OriginRegexp:         []string{`^https://[a-z]+\.example\.org$`},
		Methods:              []string{"GET", "PUT", "PATCH"},
		Headers:              []string{"content-type", "x-custom"},
		ExposeHeaders:        []string{"X-Request-Id", "X-Total"},
		Credentials:          true,
		MaxAge:               seconds(7200),
		PrivateNetwork:       true,
		PreflightStatus:      200,
		PassthroughPreflight: true,
	}},
	{"allow_all", `cors {
		allow_all
	}`, Handler{AllowAll: true}},
	{"explicit true and false", `cors https://a.com {
		credentials true
		private_network false
	}`, Handler{Origins: []string{"https://a.com"}, Credentials: true}},
	{"max_age in seconds", `cors https://a.com {
		max_age 90
	}`, Handler{Origins: []string{"https://a.com"}, MaxAge: seconds(90)}},
	{"max_age 0", `cors https://a.com {
		max_age 0
	}`, Handler{Origins: []string{"https://a.com"}, MaxAge: seconds(0)}},
}

func TestUnmarshalCaddyfile(t *testing.T) {
	for _, tc := range caddyfileCases {
		t.Run(tc.name, func(t *testing.T) {
			var got Handler
			if err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input)); err != nil {
				t.Fatalf("UnmarshalCaddyfile: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// caddyfileErrorCases have one case per Caddyfile error; the configuration
// errors of config_test.go come through the same way, with a location.
var caddyfileErrorCases = []struct {
	name, input, want string
}{
	{"unknown subdirective", "cors https://a.com {\n\torigin https://b.com\n}",
		`unrecognized cors subdirective "origin", at Testfile:2`},
	{"origins without arguments", "cors {\n\torigins\n}", "wrong argument count or unexpected line ending after 'origins', at Testfile:2"},
	{"origin_regexp without arguments", "cors https://a.com {\n\torigin_regexp\n}", "wrong argument count or unexpected line ending after 'origin_regexp', at Testfile:2"},
	{"methods without arguments", "cors https://a.com {\n\tmethods\n}", "wrong argument count or unexpected line ending after 'methods', at Testfile:2"},
	{"headers without arguments", "cors https://a.com {\n\theaders\n}", "wrong argument count or unexpected line ending after 'headers', at Testfile:2"},
	{"expose_headers without arguments", "cors https://a.com {\n\texpose_headers\n}", "wrong argument count or unexpected line ending after 'expose_headers', at Testfile:2"},
	{"allow_all with an argument", "cors {\n\tallow_all yes\n}", "wrong argument count or unexpected line ending after 'yes', at Testfile:2"},
	{"passthrough_preflight with an argument", "cors https://a.com {\n\tpassthrough_preflight yes\n}", "wrong argument count or unexpected line ending after 'yes', at Testfile:2"},
	{"credentials not a boolean", "cors https://a.com {\n\tcredentials yes\n}", `credentials "yes": must be true or false (or nothing, meaning true), at Testfile:2`},
	{"credentials with two arguments", "cors https://a.com {\n\tcredentials true false\n}", "wrong argument count or unexpected line ending after 'false', at Testfile:2"},
	{"private_network not a boolean", "cors https://a.com {\n\tprivate_network 1\n}", `private_network "1": must be true or false (or nothing, meaning true), at Testfile:2`},
	{"max_age without argument", "cors https://a.com {\n\tmax_age\n}", "wrong argument count or unexpected line ending after 'max_age', at Testfile:2"},
	{"max_age unparseable", "cors https://a.com {\n\tmax_age soon\n}", `max_age "soon": not a duration; use a number of seconds or a duration like 2h or 90s, at Testfile:2`},
	{"max_age overflowing", "cors https://a.com {\n\tmax_age 18446744074\n}", `max_age "18446744074": must be at most 24h (browsers cap it: Chromium at 2h, Firefox at 24h), at Testfile:2`},
	{"max_age with two arguments", "cors https://a.com {\n\tmax_age 1 2\n}", "wrong argument count or unexpected line ending after '2', at Testfile:2"},
	{"preflight_status without argument", "cors https://a.com {\n\tpreflight_status\n}", "wrong argument count or unexpected line ending after 'preflight_status', at Testfile:2"},
	{"preflight_status not a number", "cors https://a.com {\n\tpreflight_status ok\n}", `preflight_status "ok": not a number; use a 2xx status such as 204 or 200, at Testfile:2`},
	{"preflight_status with two arguments", "cors https://a.com {\n\tpreflight_status 200 204\n}", "wrong argument count or unexpected line ending after '204', at Testfile:2"},
	// Value errors: the same checks as JSON, all at once.
	{"no origins", "cors {\n\tcredentials\n}", "no origins: list the allowed origins"},
	{"bad values reported together", "cors https://a.com/ {\n\tmethods TRACE\n\tmax_age 25h\n}",
		`origin "https://a.com/": must not end with a slash; did you mean "https://a.com"?` + "\n" +
			`method "TRACE": browsers never send CONNECT, TRACE or TRACK, so allowing it cross-origin can only help attackers; remove it` + "\n" +
			`max_age 25h0m0s: must be at most 24h (browsers cap it: Chromium at 2h, Firefox at 24h), at Testfile:4`},
	{"max_age negative", "cors https://a.com {\n\tmax_age -5\n}", "max_age -5s: must not be negative"},
	{"preflight_status not 2xx", "cors https://a.com {\n\tpreflight_status 404\n}", "preflight_status 404: must be a 2xx status"},
	{"credentials with allow_all", "cors * {\n\tcredentials\n}", `allow_all (or origin "*") with credentials`},
}

func TestUnmarshalCaddyfileErrors(t *testing.T) {
	for _, tc := range caddyfileErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n got %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
