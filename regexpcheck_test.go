package cors

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// regexpAdviceCases are origin_regexp configurations that load without
// credentials, and what they log: warnings and info notes, whole.
var regexpAdviceCases = []struct {
	name     string
	exprs    []string
	warnings []string
	notes    []string
}{
	{"unescaped host dots: a warning without credentials, and the prefix note",
		[]string{`https://app.example.com`},
		[]string{"origin_regexp `https://app.example.com`: an unescaped \".\" matches any character, so it also allows \"https://appaexampleacom\"; write \\. for a dot: `https://app\\.example\\.com`"},
		[]string{"origin_regexp `https://app.example.com` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"https://app.example.com:8080\", for one, is not allowed"}},
	{"a subdomain expression: the prefix note only",
		[]string{`https://.*\.example\.com`}, nil,
		[]string{"origin_regexp `https://.*\\.example\\.com` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"https://a.example.com:8080\", for one, is not allowed"}},
	{"anchored with $: its author meant a whole match, nothing to say",
		[]string{`^https://a\.example\.com$`}, nil, nil},
	{"port written right: the prefix note names a longer host",
		[]string{`http://localhost(:[0-9]+)?`}, nil,
		[]string{"origin_regexp `http://localhost(:[0-9]+)?` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"http://localhost.example.net\", for one, is not allowed"}},
	{"matches any site: a warning without credentials",
		[]string{`.*`},
		[]string{"origin_regexp `.*`: it matches \"https://a.com\", on a.com, a registrable domain it does not spell out, so it allows whoever registers a.com; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`) unless that is meant"}, nil},
	{"a class in the registrable domain, under a public suffix of two labels",
		[]string{`https://[a-z]+\.github\.io$`},
		[]string{"origin_regexp `https://[a-z]+\\.github\\.io$`: it matches \"https://a.github.io\", on a.github.io, a registrable domain (under the public suffix github.io) it does not spell out, so it allows whoever registers a.github.io; spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`) unless that is meant"}, nil},
	{"any single-label host",
		[]string{`http://[a-z]+(:[0-9]+)?$`},
		[]string{"origin_regexp `http://[a-z]+(:[0-9]+)?$`: it matches \"http://a\", on a, a host under no registrable domain that it does not spell out, so it allows whichever machine answers to a; spell out each host (as in `http://intranet(:[0-9]+)?`) unless that is meant"}, nil},
	{"an address range that is not loopback",
		[]string{`http://192\.168\.1\.[0-9]+$`},
		[]string{"origin_regexp `http://192\\.168\\.1\\.[0-9]+$`: it matches \"http://192.168.1.1\", on 192.168.1.1, an address it does not spell out (only loopback addresses may be left open), so it allows whichever machine holds 192.168.1.1; spell out each address (as in `http://192\\.168\\.1\\.10(:[0-9]+)?`) unless that is meant"}, nil},
	{"null",
		[]string{`null|https://app\.example\.com$`},
		[]string{"origin_regexp `null|https://app\\.example\\.com$`: it matches \"null\", which sandboxed iframes and local files on any site send, so it allows any site; if that is meant, use allow_all"}, nil},
	{"a name the check cannot tell",
		[]string{`https://example\.com(\.example\.com)*$`},
		[]string{"origin_regexp `https://example\\.com(\\.example\\.com)*$`: the check cannot tell which sites it lets in (a class, wildcard or repetition reaches into the registrable domain of origins it may match, but the check found no such origin to show); spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`) or list origins patterns instead, unless any site is meant"}, nil},
}

func TestRegexpAdvice(t *testing.T) {
	for _, tc := range regexpAdviceCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compile(&Handler{OriginRegexp: tc.exprs})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.warnings, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", p.warnings, tc.warnings)
			}
			if !slices.Equal(p.notes, tc.notes) {
				t.Errorf("notes:\n got %q\nwant %q", p.notes, tc.notes)
			}
		})
	}
}

// credentialedRegexps spell out every registrable domain they match, or
// match only this machine: they load with credentials, and nothing is
// said of them.
var credentialedRegexps = []string{
	`https://pr-[0-9]+\.preview\.example\.com$`,
	`https://([a-z0-9-]+\.)?example\.com(:[0-9]+)?$`,
	`https://(app|admin)\.example\.(com|net)$`,
	`(?i)https://APP\.example\.com$`,
	`https://[a-z0-9-]+\.example\.co\.uk$`,
	`http://localhost(:[0-9]+)?$`,
	`http://[a-z0-9-]+\.localhost(:[0-9]+)?$`,
	`http://127\.0\.0\.1(:[0-9]+)?$`,
	`http://127\.0\.0\.[0-9]+(:[0-9]+)?$`,
	`http://\[::1\](:[0-9]+)?$`,
}

func TestCredentialedRegexpsLoad(t *testing.T) {
	for _, expr := range credentialedRegexps {
		p, err := compile(&Handler{OriginRegexp: []string{expr}, Credentials: true})
		if err != nil {
			t.Errorf("%s with credentials: %v", expr, err)
			continue
		}
		if len(p.warnings) > 0 || len(p.notes) > 0 {
			t.Errorf("%s: warnings %q, notes %q; want none", expr, p.warnings, p.notes)
		}
	}
}

// JSON max_age values that are not durations get the module's wording.
func TestMaxAgeJSON(t *testing.T) {
	errorCases := []struct{ json, want string }{
		{`{"origins":["https://a.com"],"max_age":"10"}`, `max_age "10": a duration needs a unit; did you mean "10s"?`},
		{`{"origins":["https://a.com"],"max_age":"ten"}`, `max_age "ten": not a duration; use a duration like "2h" or "90s"`},
		{`{"origins":["https://a.com"],"max_age":true}`, `max_age true: not a duration; use a string like "2h" or "90s"`},
	}
	for _, tc := range errorCases {
		var h Handler
		err := caddy.StrictUnmarshalJSON([]byte(tc.json), &h)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.json, err, tc.want)
		}
	}
	okCases := []struct {
		json string
		want *caddy.Duration
	}{
		{`{"origins":["https://a.com"],"max_age":"10m"}`, durationPtr(10 * time.Minute)},
		{`{"origins":["https://a.com"],"max_age":600000000000}`, durationPtr(10 * time.Minute)},
		{`{"origins":["https://a.com"],"max_age":null}`, nil},
		{`{"origins":["https://a.com"]}`, nil},
	}
	for _, tc := range okCases {
		var h Handler
		if err := caddy.StrictUnmarshalJSON([]byte(tc.json), &h); err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if (h.MaxAge == nil) != (tc.want == nil) || h.MaxAge != nil && *h.MaxAge != *tc.want {
			t.Errorf("%s: max_age = %v, want %v", tc.json, h.MaxAge, tc.want)
		}
		if len(h.Origins) != 1 || h.Origins[0] != "https://a.com" {
			t.Errorf("%s: origins = %q", tc.json, h.Origins)
		}
	}
	// Decoding stays strict, as Caddy's is.
	var h Handler
	if err := caddy.StrictUnmarshalJSON([]byte(`{"origin":["https://a.com"]}`), &h); err == nil || !strings.Contains(err.Error(), `unknown field "origin"`) {
		t.Errorf("unknown field: got %v", err)
	}
	// Marshalling is untouched: what Caddyfile adapts to decodes back.
	b, err := json.Marshal(Handler{Origins: []string{"https://a.com"}, MaxAge: durationPtr(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.StrictUnmarshalJSON(b, &h); err != nil || h.MaxAge == nil || time.Duration(*h.MaxAge) != time.Hour {
		t.Errorf("round trip of %s: %v, max_age %v", b, err, h.MaxAge)
	}
}
