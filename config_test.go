package cors

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// configErrorCases have one case per configuration error; want is the
// whole message, so that its wording (the value, the fix) is reviewed.
var configErrorCases = []struct {
	name string
	cfg  Handler
	want string
}{
	{"no origins", Handler{},
		`no origins: list the allowed origins (e.g. origins https://app.example.com), add an origin_regexp or a permission endpoint, or use allow_all for a public API`},
	{"origin with path", Handler{Origins: []string{"https://a.com/api"}},
		`origin "https://a.com/api": must not have a path; did you mean "https://a.com"?`},
	{"origin with trailing slash", Handler{Origins: []string{"https://a.com/"}},
		`origin "https://a.com/": must not end with a slash; did you mean "https://a.com"?`},
	{"origin with query", Handler{Origins: []string{"https://a.com?x=1"}},
		`origin "https://a.com?x=1": must not have a query; did you mean "https://a.com"?`},
	{"origin with fragment", Handler{Origins: []string{"https://a.com#top"}},
		`origin "https://a.com#top": must not have a fragment; did you mean "https://a.com"?`},
	{"origin with userinfo", Handler{Origins: []string{"https://user:pw@a.com"}},
		`origin "https://user:pw@a.com": must not contain user information; did you mean "https://a.com"?`},
	{"origin without scheme", Handler{Origins: []string{"example.com"}},
		`origin "example.com": missing scheme; did you mean "https://example.com"?`},
	{"wildcard inside a label", Handler{Origins: []string{"https://a*.example.com"}},
		`origin "https://a*.example.com": '*' is only allowed as a whole leading label ("https://*.example.com") or as the port ("https://localhost:*")`},
	{"wildcard in the middle", Handler{Origins: []string{"https://a.*.example.com"}},
		`origin "https://a.*.example.com": '*' is only allowed as a whole leading label ("https://*.example.com") or as the port ("https://localhost:*")`},
	{"wildcard host alone", Handler{Origins: []string{"https://*"}},
		`origin "https://*": a wildcard must be followed by a domain, as in "https://*.example.com"; to allow every origin use allow_all`},
	{"wildcard scheme", Handler{Origins: []string{"*://a.com"}},
		`origin "*://a.com": invalid scheme "*"; a scheme is a letter followed by letters, digits, '+', '-' or '.'`},
	{"invalid port", Handler{Origins: []string{"http://a.com:99999"}},
		`origin "http://a.com:99999": invalid port "99999"; use a number from 1 to 65535, or '*' for any port`},
	{"subdomain of an IP address", Handler{Origins: []string{"http://*.127.0.0.1"}},
		`origin "http://*.127.0.0.1": an IP address has no subdomains; list the address itself`},
	{"invalid regexp", Handler{OriginRegexp: []string{`https://(a`}},
		"origin_regexp \"https://(a\": error parsing regexp: missing closing ): `https://(a`"},
	{"regexp escaping its anchors", Handler{OriginRegexp: []string{`a)|(.*`}},
		"origin_regexp \"a)|(.*\": error parsing regexp: unexpected ): `a)|(.*`"},
	{"regexp valid alone, too deep once combined", Handler{OriginRegexp: []string{strings.Repeat("(", 999) + "a" + strings.Repeat(")", 999)}},
		`origin_regexp: the expressions parse one by one but exceed Go's regexp limits once anchored and joined into one (expression nests too deeply); use fewer, shallower or shorter expressions`},
	{"allow_all with credentials", Handler{AllowAll: true, Credentials: true},
		`allow_all (or origin "*") with credentials: any site could read your users' authenticated responses; list the trusted origins instead, or turn credentials off`},
	{"origin * with credentials", Handler{Origins: []string{"*"}, Credentials: true},
		`allow_all (or origin "*") with credentials: any site could read your users' authenticated responses; list the trusted origins instead, or turn credentials off`},
	{"null with credentials", Handler{Origins: []string{"null"}, Credentials: true},
		`origin "null" with credentials: sandboxed iframes and local files on any site send "Origin: null", so any site could read your users' authenticated responses; remove "null" or turn credentials off`},
	{"public suffix wildcard with credentials", Handler{Origins: []string{"https://*.github.io"}, Credentials: true},
		`origin "https://*.github.io" with credentials: github.io is a public suffix, where anyone can register a subdomain, so any of them could read your users' authenticated responses; list your own origins instead`},
	{"wildcard over a domain with public suffixes below it, with credentials", Handler{Origins: []string{"https://*.amazonaws.com"}, Credentials: true},
		`origin "https://*.amazonaws.com" with credentials: it matches every name under amazonaws.com, and us-east-1.amazonaws.com is a public suffix, where anyone can register a subdomain (such as a.us-east-1.amazonaws.com), so any of them could read your users' authenticated responses; list your own origins instead`},
	{"TLD wildcard with credentials", Handler{Origins: []string{"https://*.com"}, Credentials: true},
		`origin "https://*.com" with credentials: com is a public suffix, where anyone can register a subdomain, so any of them could read your users' authenticated responses; list your own origins instead`},
	{"file:// with credentials", Handler{Origins: []string{"file://"}, Credentials: true},
		`origin "file://" with credentials: some browsers (Chrome on Android, WebViews) send "Origin: file://" for every page opened from a local file, on any machine, so any local file could read your users' authenticated responses; remove "file://" or turn credentials off`},
	{"django tutorial regexp: 127.0.0.1:*", Handler{OriginRegexp: []string{`(?:https?:\/\/)127.0.0.1:*`}},
		"origin_regexp `(?:https?:\\/\\/)127.0.0.1:*`: `:*` at the end is not a port wildcard, since the expression must match the whole Origin: \"http://127.0.0.1:3000\" is refused (django-cors-headers matches only the start, which hides this); for any port use origins http://127.0.0.1:* https://127.0.0.1:*, or origin_regexp `(?:https?:\\/\\/)127\\.0\\.0\\.1(:[0-9]+)?`"},
	{"django tutorial regexp: localhost:*", Handler{OriginRegexp: []string{`(?:https?:\/\/)localhost:*`}},
		"origin_regexp `(?:https?:\\/\\/)localhost:*`: `:*` at the end is not a port wildcard, since the expression must match the whole Origin: \"http://localhost:3000\" is refused (django-cors-headers matches only the start, which hides this); for any port use origins http://localhost:* https://localhost:*, or origin_regexp `(?:https?:\\/\\/)localhost(:[0-9]+)?`"},
	{"regexp ending in :\\d*", Handler{OriginRegexp: []string{`http://localhost:\d*`}},
		"origin_regexp `http://localhost:\\d*`: `:\\d*` at the end is not a port wildcard, since the expression must match the whole Origin: \"http://localhost\" is refused (django-cors-headers matches only the start, which hides this); for any port use origins http://localhost:*, or origin_regexp `http://localhost(:[0-9]+)?`"},
	{"regexp ending in :[0-9]*$", Handler{OriginRegexp: []string{`https://api\.example\.com:[0-9]*$`}},
		"origin_regexp `https://api\\.example\\.com:[0-9]*$`: `:[0-9]*` at the end is not a port wildcard, since the expression must match the whole Origin: \"https://api.example.com\" is refused (django-cors-headers matches only the start, which hides this); for any port use origins https://api.example.com:*, or origin_regexp `https://api\\.example\\.com(:[0-9]+)?`"},
	{"unescaped host dots with credentials", Handler{OriginRegexp: []string{`https://app.example.com`}, Credentials: true},
		"origin_regexp `https://app.example.com` with credentials: an unescaped \".\" matches any character, so \"https://appaexampleacom\" could read your users' authenticated responses too; write \\. for a dot: `https://app\\.example\\.com`"},
	{"regexp matching null, with credentials", Handler{OriginRegexp: []string{`null|https://app\.example\.com`}, Credentials: true},
		"origin_regexp `null|https://app\\.example\\.com` with credentials: it matches \"null\", which sandboxed iframes and local files on any site send, so any site could read your users' authenticated responses; match only your own origins (as in `https://[a-z0-9-]+\\.example\\.com`) or turn credentials off"},
	{"regexp reaching a registrable domain, with credentials: https://a.*", Handler{OriginRegexp: []string{`https://a.*`}, Credentials: true},
		"origin_regexp `https://a.*` with credentials: it matches \"https://a.com\", on a.com, a registrable domain it does not spell out, so whoever registers a.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a registrable domain: https://app.*", Handler{OriginRegexp: []string{`https://app.*`}, Credentials: true},
		"origin_regexp `https://app.*` with credentials: it matches \"https://app.com\", on app.com, a registrable domain it does not spell out, so whoever registers app.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a registrable domain: https://[a-m].*\\.com", Handler{OriginRegexp: []string{`https://[a-m].*\.com`}, Credentials: true},
		"origin_regexp `https://[a-m].*\\.com` with credentials: it matches \"https://a.com\", on a.com, a registrable domain it does not spell out, so whoever registers a.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a registrable domain: twelve letters and digits under .com", Handler{OriginRegexp: []string{`https://[a-z]{3}[a-z0-9]{9}\.com`}, Credentials: true},
		"origin_regexp `https://[a-z]{3}[a-z0-9]{9}\\.com` with credentials: it matches \"https://aaaaaaaaaaaa.com\", on aaaaaaaaaaaa.com, a registrable domain it does not spell out, so whoever registers aaaaaaaaaaaa.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a registrable domain: any name under .com", Handler{OriginRegexp: []string{`https://[a-z]+\.com`}, Credentials: true},
		"origin_regexp `https://[a-z]+\\.com` with credentials: it matches \"https://a.com\", on a.com, a registrable domain it does not spell out, so whoever registers a.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a registrable domain: example.co followed by anything", Handler{OriginRegexp: []string{`https://.*\.example\.co.*`}, Credentials: true},
		"origin_regexp `https://.*\\.example\\.co.*` with credentials: it matches \"https://a.example.coa.com\", on coa.com, a registrable domain it does not spell out, so whoever registers coa.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a registrable domain under a private public suffix", Handler{OriginRegexp: []string{`https://[a-z]+\.github\.io`}, Credentials: true},
		"origin_regexp `https://[a-z]+\\.github\\.io` with credentials: it matches \"https://a.github.io\", on a.github.io, a registrable domain (under the public suffix github.io) it does not spell out, so whoever registers a.github.io could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching public suffixes listed under the domain it spells", Handler{OriginRegexp: []string{`https://.*\.amazonaws\.com`}, Credentials: true},
		"origin_regexp `https://.*\\.amazonaws\\.com` with credentials: it matches \"https://a.us-east-1.amazonaws.com\", on a.us-east-1.amazonaws.com, a registrable domain (under the public suffix us-east-1.amazonaws.com) it does not spell out, so whoever registers a.us-east-1.amazonaws.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching a single-label host", Handler{OriginRegexp: []string{`http://[a-z]+(:[0-9]+)?`}, Credentials: true},
		"origin_regexp `http://[a-z]+(:[0-9]+)?` with credentials: it matches \"http://a\", on a, a host under no registrable domain that it does not spell out, so whichever machine answers to a could read your users' authenticated responses; spell out each host (as in `http://intranet(:[0-9]+)?`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp reaching an address that is not loopback", Handler{OriginRegexp: []string{`http://192\.168\.1\.[0-9]+`}, Credentials: true},
		"origin_regexp `http://192\\.168\\.1\\.[0-9]+` with credentials: it matches \"http://192.168.1.1\", on 192.168.1.1, an address it does not spell out (only loopback addresses may be left open), so whichever machine holds 192.168.1.1 could read your users' authenticated responses; spell out each address (as in `http://192\\.168\\.1\\.10(:[0-9]+)?`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp the check cannot tell, with credentials", Handler{OriginRegexp: []string{`https://example\.com(\.example\.com)*`}, Credentials: true},
		"origin_regexp `https://example\\.com(\\.example\\.com)*` with credentials: the check cannot tell which sites it lets in (a class, wildcard or repetition reaches into the registrable domain of origins it may match, but the check found no such origin to show), so it is refused; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp matching everything, with credentials", Handler{OriginRegexp: []string{`.*`}, Credentials: true},
		"origin_regexp `.*` with credentials: it matches \"https://a.com\", on a.com, a registrable domain it does not spell out, so whoever registers a.com could read your users' authenticated responses; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`), list origins patterns instead (such as https://*.example.com), or turn credentials off"},
	{"regexp matching file://, with credentials", Handler{OriginRegexp: []string{`https://app\.example\.com|file://`}, Credentials: true},
		"origin_regexp `https://app\\.example\\.com|file://` with credentials: it matches \"file://\", which local files on any machine send, so any local file could read your users' authenticated responses; match only your own origins (as in `https://[a-z0-9-]+\\.example\\.com`) or turn credentials off"},
	{"CORS response header in headers", Handler{Origins: []string{app}, Headers: []string{"Access-Control-Allow-Origin"}},
		`header "Access-Control-Allow-Origin": the response header this module sets from origins, never part of a request (a fetch() that sends it is mistaken); remove it`},
	{"CORS preflight request header in headers", Handler{Origins: []string{app}, Headers: []string{"access-control-request-method"}},
		`header "access-control-request-method": the preflight request header in which the browser names the method it will use, which browsers set themselves and scripts cannot; remove it`},
	{"unknown Access-Control- name in headers", Handler{Origins: []string{app}, Headers: []string{"Access-Control-Foo"}},
		`header "Access-Control-Foo": a name of the CORS protocol, which browsers and this module manage themselves; remove it`},
	{"CORS preflight request header in expose_headers", Handler{Origins: []string{app}, ExposeHeaders: []string{"Access-Control-Request-Method"}},
		`expose_headers "Access-Control-Request-Method": the preflight request header in which the browser names the method it will use, never part of a response; remove it`},
	{"CORS response header in expose_headers", Handler{Origins: []string{app}, ExposeHeaders: []string{"Access-Control-Allow-Credentials"}},
		`expose_headers "Access-Control-Allow-Credentials": the response header this module sets from credentials, which the browser reads itself; scripts have no use for it; remove it`},
	{"unknown Access-Control- name in expose_headers", Handler{Origins: []string{app}, ExposeHeaders: []string{"access-control-x"}},
		`expose_headers "access-control-x": a name of the CORS protocol, which browsers and this module manage themselves; remove it`},
	{"invalid method", Handler{Origins: []string{app}, Methods: []string{"GET POST"}},
		`method "GET POST": not a valid method name (an HTTP token, like PATCH)`},
	{"CONNECT", Handler{Origins: []string{app}, Methods: []string{"connect"}},
		`method "connect": browsers never send CONNECT, TRACE or TRACK, so allowing it cross-origin can only help attackers; remove it`},
	{"TRACE", Handler{Origins: []string{app}, Methods: []string{"TRACE"}},
		`method "TRACE": browsers never send CONNECT, TRACE or TRACK, so allowing it cross-origin can only help attackers; remove it`},
	{"TRACK", Handler{Origins: []string{app}, Methods: []string{"TRACK"}},
		`method "TRACK": browsers never send CONNECT, TRACE or TRACK, so allowing it cross-origin can only help attackers; remove it`},
	{"invalid header name", Handler{Origins: []string{app}, Headers: []string{"x:y"}},
		`header "x:y": not a valid header name`},
	{"forbidden header cookie", Handler{Origins: []string{app}, Headers: []string{"Cookie"}},
		`header "Cookie": a forbidden request header that browsers set themselves and scripts cannot; remove it`},
	{"forbidden header host", Handler{Origins: []string{app}, Headers: []string{"host"}},
		`header "host": a forbidden request header that browsers set themselves and scripts cannot; remove it`},
	{"forbidden header sec-", Handler{Origins: []string{app}, Headers: []string{"Sec-Fetch-Mode"}},
		`header "Sec-Fetch-Mode": a forbidden request header that browsers set themselves and scripts cannot; remove it`},
	{"forbidden header proxy-", Handler{Origins: []string{app}, Headers: []string{"Proxy-Authorization"}},
		`header "Proxy-Authorization": a forbidden request header that browsers set themselves and scripts cannot; remove it`},
	{"invalid expose header", Handler{Origins: []string{app}, ExposeHeaders: []string{"a b"}},
		`expose_headers "a b": not a valid header name`},
	{"set-cookie exposed", Handler{Origins: []string{app}, ExposeHeaders: []string{"Set-Cookie"}},
		`expose_headers "Set-Cookie": browsers never let scripts read Set-Cookie; remove it`},
	{"negative max_age", Handler{Origins: []string{app}, MaxAge: seconds(-5)},
		`max_age -5s: must not be negative; use 0 to disable preflight caching`},
	{"max_age above 24h", Handler{Origins: []string{app}, MaxAge: seconds(25 * 3600)},
		`max_age 25h0m0s: must be at most 24h (browsers cap it: Chromium at 2h, Firefox at 24h)`},
	{"max_age in JSON nanoseconds", Handler{Origins: []string{app}, MaxAge: durationPtr(600)},
		`max_age 600ns: must be whole seconds; a bare number in JSON counts nanoseconds, so did you mean "600s"?`},
	{"max_age fractional", Handler{Origins: []string{app}, MaxAge: durationPtr(1500 * time.Millisecond)},
		`max_age 1.5s: must be whole seconds, as Access-Control-Max-Age is; did you mean "2s"?`},
	{"preflight_status not 2xx", Handler{Origins: []string{app}, PreflightStatus: 301},
		`preflight_status 301: must be a 2xx status (browsers treat any other as a failed preflight); 204 is the default`},
}

func durationPtr(d time.Duration) *caddy.Duration {
	c := caddy.Duration(d)
	return &c
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range configErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.cfg
			if err := h.Provision(caddy.Context{}); err != nil {
				t.Fatalf("Provision: %v", err)
			}
			err := h.Validate()
			if err == nil {
				t.Fatalf("Validate: no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Validate:\n got %q\nwant %q", err, tc.want)
			}
		})
	}
}

// Every problem of one handler is reported at once.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	h := Handler{
		Origins:     []string{"https://a.com/", "example.com", "*"},
		Credentials: true,
		Methods:     []string{"TRACE"},
		Headers:     []string{"cookie"},
		MaxAge:      seconds(-1),
	}
	_ = h.Provision(caddy.Context{})
	err := h.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"https://a.com/"`, `"example.com"`, "allow_all", `"TRACE"`, `"cookie"`, "max_age -1s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// Valid configurations provision, and their normalization is what the
// Fetch standard compares.
func TestConfigNormalization(t *testing.T) {
	h, _ := provision(t, Handler{
		Origins: []string{"HTTPS://App.Example.COM:443", "http://localhost:80", "https://bücher.example", "http://[::1]:8080"},
		Methods: []string{"get", "patch", "Put"},
		Headers: []string{"X-Custom"},
	})
	for _, o := range []string{"https://app.example.com", "http://localhost", "https://xn--bcher-kva.example", "http://[::1]:8080"} {
		if !h.policy.origins.Contains(o) {
			t.Errorf("origin %q not allowed", o)
		}
	}
	for m, want := range map[string]bool{"GET": true, "PUT": true, "patch": true, "PATCH": false, "Put": false} {
		if got := h.policy.allowMethod(m); got != want {
			t.Errorf("allowMethod(%q) = %v, want %v", m, got, want)
		}
	}
	if _, _, ok := h.policy.allowHeaders([]string{"x-CUSTOM"}); !ok {
		t.Error("header names must compare case-insensitively")
	}
}

// Without credentials a public-suffix wildcard is allowed but logged.
func TestPublicSuffixWarning(t *testing.T) {
	h, _ := provision(t, Handler{Origins: []string{"https://*.github.io", "http://*.localhost:*"}})
	want := []string{`origin "https://*.github.io": github.io is a public suffix; any site registered under it is allowed`}
	if got := h.policy.warnings; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", got, want)
	}
}

// The docs' JSON example of the handler, with every field (found by its
// "passthrough_preflight": false, which only a list of every field
// writes), reads as it says. TestDocJSONBlocks loads every JSON block.
func TestDocJSONExample(t *testing.T) {
	b := docBlock(t, "json", `"passthrough_preflight": false`)
	h, err := loadCorsHandler(t, []byte(b.text))
	if err != nil {
		t.Fatalf("%s: %v", b.where(), err)
	}
	if h.MaxAge == nil || time.Duration(*h.MaxAge) != 10*time.Minute || !h.policy.origins.Contains("http://localhost:5173") {
		t.Errorf("%s read as %+v", b.where(), h)
	}
}

// decodeHandlerJSON decodes a handler's JSON as Caddy does: the module's
// name ("handler") is taken out and the rest is decoded strictly.
func decodeHandlerJSON(raw []byte) (Handler, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Handler{}, fmt.Errorf("decoding: %w", err)
	}
	if string(fields["handler"]) != `"cors"` {
		return Handler{}, fmt.Errorf(`"handler": %s, want "cors"`, fields["handler"])
	}
	delete(fields, "handler")
	rest, _ := json.Marshal(fields)
	var h Handler
	if err := caddy.StrictUnmarshalJSON(rest, &h); err != nil {
		return Handler{}, fmt.Errorf("decoding: %w", err)
	}
	return h, nil
}
