package origin

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// parseCases are valid patterns and their normalized form.
var parseCases = []struct{ in, want string }{
	{"https://example.com", "https://example.com"},
	{"HTTPS://Example.COM", "https://example.com"},
	{"https://example.com:443", "https://example.com"},
	{"http://example.com:80", "http://example.com"},
	{"http://example.com:443", "http://example.com:443"},
	{"https://example.com:8443", "https://example.com:8443"},
	{"http://localhost:*", "http://localhost:*"},
	{"https://*.example.com", "https://*.example.com"},
	{"https://*.example.com:*", "https://*.example.com:*"},
	{"https://*.Example.com:8443", "https://*.example.com:8443"},
	{"http://[::1]:8080", "http://[::1]:8080"},
	{"http://[0:0:0:0:0:0:0:1]", "http://[::1]"},
	{"http://127.0.0.1:3000", "http://127.0.0.1:3000"},
	{"https://bücher.example", "https://xn--bcher-kva.example"},
	{"capacitor://localhost", "capacitor://localhost"},
	{"chrome-extension://abcdefghijklmnopabcdefghijklmnop", "chrome-extension://abcdefghijklmnopabcdefghijklmnop"},
	{"null", "null"},
	{"file://", "file://"},
	{"FILE://", "file://"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		p, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// parseErrorCases are invalid patterns; the messages are checked in full
// in the module's config tests, here only that they are refused.
var parseErrorCases = []string{
	"", "example.com", "https://", "https://a.com/", "https://a.com/x", "https://a.com?q",
	"https://a.com#f", "https://u@a.com", "https://*", "https://*.", "https://a*.b.com",
	"https://a.*.com", "https://*.*.com", "*://a.com", "1http://a.com", "https://a.com:0",
	"https://a.com:65536", "https://a.com:08080", "https://a.com:", "https://a.com:x",
	"https://[::1", "https://[::1]x", "https://[127.0.0.1]", "http://*.127.0.0.1",
	"http://*.[::1]", "https://a..com", "https://-", "https://a b.com", "https://a.com:*:*",
	"https://" + strings.Repeat("a", 64) + ".com",
}

func TestParseErrors(t *testing.T) {
	for _, in := range parseErrorCases {
		if p, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, p.String())
		}
	}
}

// matchCases: pattern, origin, whether it matches.
var matchCases = []struct {
	pattern, origin string
	want            bool
}{
	{"https://example.com", "https://example.com", true},
	{"https://example.com", "https://example.com:443", false}, // compared as sent; browsers drop it
	{"https://example.com", "http://example.com", false},
	{"https://example.com", "https://a.example.com", false},
	{"https://example.com", "https://example.com.evil.net", false},
	{"https://example.com:8443", "https://example.com:8443", true},
	{"https://example.com:8443", "https://example.com", false},
	{"http://localhost:*", "http://localhost", true},
	{"http://localhost:*", "http://localhost:3000", true},
	{"http://localhost:*", "http://localhost:65535", true},
	{"http://localhost:*", "https://localhost:3000", false},
	{"http://localhost:*", "http://localhost.evil.net:3000", false},
	{"http://localhost:*", "http://localhost:", false},
	{"http://localhost:*", "http://localhost:0", false},
	{"https://*.example.com", "https://a.example.com", true},
	{"https://*.example.com", "https://a.b.example.com", true},
	{"https://*.example.com", "https://example.com", false},
	{"https://*.example.com", "https://evilexample.com", false},
	{"https://*.example.com", "https://.example.com", false},
	{"https://*.example.com", "https://a..example.com", false},
	{"https://*.example.com", "http://a.example.com", false},
	{"https://*.example.com", "https://a.example.com:8443", false},
	{"https://*.example.com", "https://a.example.com.evil.net", false},
	{"https://*.example.com", "https://A.example.com", false},
	{"https://*.example.com:*", "https://a.example.com:8443", true},
	{"https://*.example.com:*", "https://a.example.com", true},
	{"https://*.example.com:8443", "https://a.example.com:8443", true},
	{"https://*.example.com:8443", "https://a.example.com:9443", false},
	{"http://[::1]:*", "http://[::1]:8080", true},
	{"http://[::1]", "http://[::1]", true},
	{"http://[::1]", "http://[::2]", false},
	{"null", "null", true},
	{"null", "https://null", false},
	{"https://example.com", "null", false},
	{"file://", "file://", true},
	{"file://", "FILE://", false},
	{"file://", "file:///", false},
	{"file://", "null", false},
	{"null", "file://", false},
	{"https://example.com", "file://", false},
}

func TestMatch(t *testing.T) {
	for _, tc := range matchCases {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.pattern, err)
		}
		if got := p.Match(tc.origin); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.origin, got, tc.want)
		}
		// The Set must agree with the plain statement of the rules.
		if got := NewSet([]Pattern{p}, nil).Contains(tc.origin); got != tc.want {
			t.Errorf("Set{%q}.Contains(%q) = %v, want %v", tc.pattern, tc.origin, got, tc.want)
		}
	}
}

// regexpCases: expressions, origin, whether the anchored set matches.
var regexpCases = []struct {
	exprs  []string
	origin string
	want   bool
}{
	{[]string{`https://.*\.example\.com`}, "https://a.example.com", true},
	{[]string{`https://.*\.example\.com`}, "https://a.example.com.evil.net", false},
	{[]string{`https://.*\.example\.com`}, "xhttps://a.example.com", false},
	{[]string{`^https://a\.com$`}, "https://a.com", true},
	{[]string{`a`, `https://b\.com`}, "https://b.com", true},
	{[]string{`a`, `https://b\.com`}, "https://b.com/a", false},
	{[]string{`https://a|https://b`}, "https://ab", false},
	{[]string{`(?i)https://A\.com`}, "https://a.com", true},
	// \Q quotes to the end of its own expression, never into the anchor or
	// the next expression.
	{[]string{`\Q`}, "https://a.com", false},
	{[]string{`\Qhttps://a.com`}, "https://a.com", true},
	{[]string{`\Qhttps://a.`, `https://b\.com`}, "https://b.com", true},
	{[]string{`\Qhttps://a.`, `https://b\.com`}, "https://a.", true},
	{[]string{`\Qhttps://a.`, `https://b\.com`}, "https://ab", false},
	{[]string{`(?i)a`, `B`}, "b", false}, // a flag stays in its own expression
}

func TestRegexps(t *testing.T) {
	for _, tc := range regexpCases {
		re, errs := CompileRegexps(tc.exprs)
		if errs != nil {
			t.Fatalf("CompileRegexps(%q): %v", tc.exprs, errs)
		}
		if got := NewSet(nil, re).Contains(tc.origin); got != tc.want {
			t.Errorf("regexps %q on %q = %v, want %v", tc.exprs, tc.origin, got, tc.want)
		}
	}
	if _, errs := CompileRegexps([]string{"a)|(.*", "(b", "ok"}); len(errs) != 2 {
		t.Errorf("want one error for each of the two bad expressions, got %v", errs)
	}
}

// Many patterns together: each origin is matched by its own pattern and
// no other origin slips in.
func TestSetManyPatterns(t *testing.T) {
	var patterns []Pattern
	for i := range 1000 {
		for _, s := range []string{
			fmt.Sprintf("https://site%d.example", i),
			fmt.Sprintf("https://*.tenant%d.example", i),
			fmt.Sprintf("http://dev%d.local:*", i),
		} {
			p, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			patterns = append(patterns, p)
		}
	}
	s := NewSet(patterns, regexp.MustCompile(`^https://r[0-9]+\.example$`))
	for _, o := range []string{"https://site999.example", "https://a.tenant5.example", "http://dev7.local:3000", "https://r42.example"} {
		if !s.Contains(o) {
			t.Errorf("%q not matched", o)
		}
	}
	for _, o := range []string{"https://site1000.example", "https://tenant5.example", "https://dev7.local:3000", "https://r42.example.evil", strings.Repeat("a", MaxLength+1)} {
		if s.Contains(o) {
			t.Errorf("%q matched", o)
		}
	}
}

func TestContainsDoesNotAllocate(t *testing.T) {
	var patterns []Pattern
	for _, s := range []string{"https://a.com", "https://*.example.com", "http://localhost:*"} {
		p, _ := Parse(s)
		patterns = append(patterns, p)
	}
	re, _ := CompileRegexps([]string{`https://[a-z]+\.example\.org`})
	s := NewSet(patterns, re)
	for _, o := range []string{"https://a.com", "https://x.y.example.com", "http://localhost:3000", "https://q.example.org", "https://nope.net"} {
		if n := testing.AllocsPerRun(100, func() { s.Contains(o) }); n != 0 {
			t.Errorf("Contains(%q): %v allocations, want 0", o, n)
		}
	}
}
