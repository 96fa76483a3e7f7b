package origin

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseRoundTrip: Parse never panics, and a parsed pattern's
// normalized form parses back to the same pattern.
func FuzzParseRoundTrip(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	for _, in := range parseErrorCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(p.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, p.String(), err)
		}
		if again != p {
			t.Fatalf("Parse(%q) = %+v, but its form %q parses to %+v", s, p, p.String(), again)
		}
	})
}

// FuzzPatternMatchStaysInside: a pattern never matches an origin outside
// its scheme, its domain (label-aware) and its port rule; an exact origin
// matches only itself; the Set agrees with Pattern.Match.
func FuzzPatternMatchStaysInside(f *testing.F) {
	for _, tc := range matchCases {
		f.Add(tc.pattern, tc.origin)
	}
	f.Fuzz(func(t *testing.T, pattern, o string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		matched := p.Match(o)
		if got := NewSet([]Pattern{p}, nil).Contains(o); got != matched {
			t.Fatalf("pattern %q, origin %q: Set.Contains = %v, Match = %v", p.String(), o, got, matched)
		}
		if !matched {
			return
		}
		if p.Null || p.File {
			if o != p.String() {
				t.Fatalf("%s matched %q", p.String(), o)
			}
			return
		}
		if !p.Subdomains && !p.AnyPort() && o != p.String() {
			t.Fatalf("exact origin %q matched %q", p.String(), o)
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme != p.Scheme || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("pattern %q matched %q, which is not a %s origin (%v)", p.String(), o, p.Scheme, err)
		}
		host := u.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if p.Subdomains {
			if !strings.HasSuffix(host, "."+p.Host) || strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
				t.Fatalf("pattern %q matched host %q outside its domain", p.String(), host)
			}
		} else if host != p.Host {
			t.Fatalf("pattern %q matched host %q", p.String(), host)
		}
		switch {
		case p.AnyPort():
		case p.Port == 0 && u.Port() != "":
			t.Fatalf("pattern %q (default port) matched port %q", p.String(), u.Port())
		case p.Port > 0 && u.Port() != strconv.Itoa(p.Port):
			t.Fatalf("pattern %q matched port %q", p.String(), u.Port())
		}
	})
}

// FuzzRegexpMatchesWholeOrigin: origin_regexps allow an origin only when
// one of the expressions matches all of it. The fuzzed text holds one
// expression per line, so the combination of several is fuzzed too.
func FuzzRegexpMatchesWholeOrigin(f *testing.F) {
	for _, tc := range regexpCases {
		f.Add(strings.Join(tc.exprs, "\n"), tc.origin)
	}
	f.Add(`a)|(.*`, "anything")
	f.Fuzz(func(t *testing.T, text, o string) {
		exprs := strings.Split(text, "\n")
		re, errs := CompileRegexps(exprs)
		if errs != nil {
			return
		}
		got := NewSet(nil, re).Contains(o)
		want := false
		for _, e := range exprs {
			plain := regexp.MustCompile(e)
			plain.Longest()
			loc := plain.FindStringIndex(o)
			if loc != nil && loc[0] == 0 && loc[1] == len(o) && len(o) <= MaxLength {
				want = true
			}
		}
		if got != want {
			t.Fatalf("regexps %q on %q: allowed = %v, some expression matches all of it = %v", exprs, o, got, want)
		}
	})
}

// FuzzAdviceHoldsTrue: whatever AdviseRegexp says of an expression is
// true of it, and reading any text never panics. The escaped form is a
// valid expression that refuses DotExample, which the original allows;
// the port fix compiles and allows the origin the tail refused; the
// prefix-only origin is refused although a prefix of it is allowed.
func FuzzAdviceHoldsTrue(f *testing.F) {
	for _, tc := range adviceCases {
		f.Add(tc.expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		a := AdviseRegexp(expr)
		if a.PortTail == "" && a.Escaped == "" && a.PrefixOnly == "" {
			if a.PortOrigins != nil || a.PortRefused != "" || a.PortRegexp != "" || a.DotExample != "" {
				t.Fatalf("%q: details without a finding: %#v", expr, a)
			}
			return
		}
		re, err := CompileRegexp(expr)
		if err != nil {
			t.Fatalf("advice %#v for %q, which does not compile: %v", a, expr, err)
		}
		if a.Escaped != "" {
			fixed, err := CompileRegexp(a.Escaped)
			if err != nil {
				t.Fatalf("escaped form %q of %q does not compile: %v", a.Escaped, expr, err)
			}
			if a.DotExample != "" && (!re.MatchString(a.DotExample) || fixed.MatchString(a.DotExample)) {
				t.Fatalf("%q: DotExample %q is not let in by the dots alone", expr, a.DotExample)
			}
		}
		if a.PortRegexp != "" {
			fix, err := CompileRegexp(a.PortRegexp)
			if err != nil {
				t.Fatalf("port fix %q of %q does not compile: %v", a.PortRegexp, expr, err)
			}
			if a.PortRefused != "" && (re.MatchString(a.PortRefused) || !fix.MatchString(a.PortRefused)) {
				t.Fatalf("%q: %q is not refused by the tail and allowed by the fix %q", expr, a.PortRefused, a.PortRegexp)
			}
			for _, o := range a.PortOrigins {
				if _, err := Parse(o); err != nil {
					t.Fatalf("%q: suggested origin %q does not parse: %v", expr, o, err)
				}
			}
		}
		if a.PrefixOnly != "" {
			if re.MatchString(a.PrefixOnly) {
				t.Fatalf("%q allows its prefix-only example %q", expr, a.PrefixOnly)
			}
			prefixAllowed := false
			for i := range len(a.PrefixOnly) {
				prefixAllowed = prefixAllowed || re.MatchString(a.PrefixOnly[:i])
			}
			if !prefixAllowed {
				t.Fatalf("%q: no prefix of %q is allowed", expr, a.PrefixOnly)
			}
		}
	})
}
