package cors

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// regexpAdviceCases are origin_regexp configurations that load, and what
// they log: warnings (each matched as a regexp) and info notes (exact).
var regexpAdviceCases = []struct {
	name     string
	exprs    []string
	warnings []string
	notes    []string
}{
	{"unescaped host dots: a warning without credentials, and the prefix note",
		[]string{`https://app.example.com`},
		[]string{regexp.QuoteMeta("origin_regexp `https://app.example.com`: an unescaped \".\" matches any character, so it also allows \"https://appaexampleacom\"; write \\. for a dot: `https://app\\.example\\.com`")},
		[]string{"origin_regexp `https://app.example.com` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"https://app.example.com:8080\", for one, is not allowed"}},
	{"a subdomain expression: the prefix note only",
		[]string{`https://.*\.example\.com`}, nil,
		[]string{"origin_regexp `https://.*\\.example\\.com` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"https://a.example.com:8080\", for one, is not allowed"}},
	{"anchored with $: its author meant a whole match, nothing to say",
		[]string{`^https://a\.example\.com$`}, nil, nil},
	{"port written right: the prefix note names a longer host",
		[]string{`http://localhost(:[0-9]+)?`}, nil,
		[]string{"origin_regexp `http://localhost(:[0-9]+)?` must match the whole Origin (django-cors-headers' re.match only needs its start to match): \"http://localhost.example.net\", for one, is not allowed"}},
}

func TestRegexpAdvice(t *testing.T) {
	for _, tc := range regexpAdviceCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compile(&Handler{OriginRegexp: tc.exprs})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.warnings) != len(tc.warnings) {
				t.Fatalf("warnings = %q, want %d matching %q", p.warnings, len(tc.warnings), tc.warnings)
			}
			for i, w := range tc.warnings {
				if !regexp.MustCompile(`\A` + w + `\z`).MatchString(p.warnings[i]) {
					t.Errorf("warning %d:\n got %s\nwant %s", i, p.warnings[i], w)
				}
			}
			if !slices.Equal(p.notes, tc.notes) {
				t.Errorf("notes:\n got %q\nwant %q", p.notes, tc.notes)
			}
		})
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
