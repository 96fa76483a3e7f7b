package cors

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/corsedge/caddy-cors/internal/origin"
)

// checkRegexps reads each origin_regexp (which compile) for what it lets
// in besides what its author meant. Two kinds of mistake are common, and
// hidden by django-cors-headers' start-anchored re.match, so users who
// migrate bring them along: ":*" written as a port wildcard, and host
// dots left unescaped. With credentials, an expression that lets in
// origins nobody meant is an error, since those origins could read the
// signed-in user's responses; without, a warning.
func (p *policy) checkRegexps(exprs []string, credentials bool) []error {
	var errs []error
	probes := probeOrigins()
	for _, expr := range exprs {
		a := origin.AdviseRegexp(expr)
		if a.PortTail != "" {
			errs = append(errs, portTailError(expr, a))
		}
		if a.Escaped != "" {
			let := "other hosts"
			if a.DotExample != "" {
				let = fmt.Sprintf("%q", a.DotExample)
			}
			if credentials {
				errs = append(errs, fmt.Errorf(`origin_regexp %s with credentials: an unescaped "." matches any character, so %s could read your users' authenticated responses too; write \. for a dot: %s`, quoteExpr(expr), let, quoteExpr(a.Escaped)))
			} else {
				p.warnings = append(p.warnings, fmt.Sprintf(`origin_regexp %s: an unescaped "." matches any character, so it also allows %s; write \. for a dot: %s`, quoteExpr(expr), let, quoteExpr(a.Escaped)))
			}
		}
		if a.PrefixOnly != "" {
			p.notes = append(p.notes, fmt.Sprintf("origin_regexp %s must match the whole Origin (django-cors-headers' re.match only needs its start to match): %q, for one, is not allowed", quoteExpr(expr), a.PrefixOnly))
		}
		if probe := matchedProbe(expr, probes); probe != "" {
			if credentials {
				errs = append(errs, fmt.Errorf("origin_regexp %s with credentials: it matches %s, so any site could read your users' authenticated responses; match only your own origins (as in %s) or turn credentials off", quoteExpr(expr), describeProbe(probe), quoteExpr(`https://[a-z0-9-]+\.example\.com`)))
			} else {
				p.warnings = append(p.warnings, fmt.Sprintf("origin_regexp %s: it matches %s, so it allows any site; if that is meant, use allow_all", quoteExpr(expr), describeProbe(probe)))
			}
		}
	}
	return errs
}

// probeOrigins are drawn once per process, when the first configuration
// with origin_regexp is checked: unknown to anyone writing a config, yet
// the same for the Caddyfile adapter's check and the load that follows,
// and for every reload, so that a config does not pass one and fail the
// next. An expression that matches all random origins of a shape (".*",
// "https://[a-z0-9-]+\.com") is refused whatever the draw.
var probeOrigins = sync.OnceValue(origin.Probes)

// portTailError refuses an expression that ends in ":*" or ":\d*": matched
// against the whole Origin, neither means "any port".
func portTailError(expr string, a origin.RegexpAdvice) error {
	var b strings.Builder
	fmt.Fprintf(&b, "origin_regexp %s: %s at the end is not a port wildcard, since the expression must match the whole Origin", quoteExpr(expr), quoteExpr(a.PortTail))
	if a.PortRefused != "" {
		fmt.Fprintf(&b, ": %q is refused", a.PortRefused)
	}
	b.WriteString(" (django-cors-headers matches only the start, which hides this); for any port use ")
	var fixes []string
	if len(a.PortOrigins) > 0 {
		fixes = append(fixes, "origins "+strings.Join(a.PortOrigins, " "))
	}
	if a.PortRegexp != "" {
		fixes = append(fixes, "origin_regexp "+quoteExpr(a.PortRegexp))
	}
	if fixes == nil {
		fixes = []string{"(:[0-9]+)? in place of the tail"}
	}
	b.WriteString(strings.Join(fixes, ", or "))
	return fmt.Errorf("%s", b.String())
}

// matchedProbe returns the first probe origin expr matches, or "".
func matchedProbe(expr string, probes []string) string {
	re, err := origin.CompileRegexp(expr)
	if err != nil {
		return ""
	}
	for _, o := range probes {
		if re.MatchString(o) {
			return o
		}
	}
	return ""
}

func describeProbe(o string) string {
	switch o {
	case "null":
		return `"null", which sandboxed iframes and local files on any site send`
	case "file://":
		return `"file://", which local files on any machine send`
	}
	return fmt.Sprintf("%q, a random origin nobody listed", o)
}

// quoteExpr quotes a regular expression for a message without doubling
// its backslashes, as %q would: `https://app\.example\.com`, the way it
// is written in a Caddyfile.
func quoteExpr(expr string) string {
	if strings.ContainsRune(expr, '`') || !utf8.ValidString(expr) || strings.ContainsFunc(expr, unicode.IsControl) {
		return strconv.Quote(expr)
	}
	return "`" + expr + "`"
}
