package cors

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corsedge/caddy-cors/internal/origin"
)

// checkRegexps reads each origin_regexp (which compile) for what it lets
// in besides what its author meant. Two kinds of mistake are common, and
// hidden by django-cors-headers' start-anchored re.match, so users who
// migrate bring them along: ":*" written as a port wildcard, and host
// dots left unescaped. And an expression can let in sites its author does
// not own: a registrable domain (or a host, or an address) that it
// matches through a class, a wildcard or a repetition rather than spells
// out, which anyone can register. With credentials, an expression that
// lets in origins nobody meant is an error, since those origins could
// read the signed-in user's responses; without, a warning. Every verdict
// comes from the expression alone, the same in every process.
func (p *policy) checkRegexps(exprs []string, credentials bool) []error {
	var errs []error
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
		reach := origin.RegexpReach(expr)
		if reach.Kind != origin.ReachNone && a.Escaped != "" && origin.RegexpReach(a.Escaped).Kind == origin.ReachNone {
			continue // the unescaped dots are the whole story, told above
		}
		switch {
		case reach.Kind == origin.ReachNone:
		case credentials:
			errs = append(errs, reachError(expr, reach))
		default:
			p.warnings = append(p.warnings, reachWarning(expr, reach))
		}
	}
	return errs
}

// spellOut is the fix for an expression that reaches a registrable
// domain it does not spell out.
const spellOut = "spell out each registrable domain (as in `https://[a-z0-9-]+\\.example\\.com`)"

// reachError refuses, with credentials, an expression that lets in sites
// nobody named, naming one.
func reachError(expr string, r origin.Reach) error {
	if r.Kind == origin.ReachUnknown {
		return fmt.Errorf("origin_regexp %s with credentials: the check cannot tell which sites it lets in (%s), so it is refused; %s, list origins patterns instead (such as https://*.example.com), or turn credentials off", quoteExpr(expr), r.Reason, spellOut)
	}
	what, who, fix := describeReach(r)
	if r.Kind == origin.ReachNull || r.Kind == origin.ReachFile {
		fix = "match only your own origins (as in `https://[a-z0-9-]+\\.example\\.com`) or turn credentials off"
	} else {
		fix += ", list origins patterns instead (such as https://*.example.com), or turn credentials off"
	}
	return fmt.Errorf("origin_regexp %s with credentials: it matches %s, so %s could read your users' authenticated responses; %s", quoteExpr(expr), what, who, fix)
}

// reachWarning is reachError's finding without credentials, where letting
// in any site may be meant.
func reachWarning(expr string, r origin.Reach) string {
	what, who, fix := describeReach(r)
	switch r.Kind {
	case origin.ReachUnknown:
		return fmt.Sprintf("origin_regexp %s: the check cannot tell which sites it lets in (%s); %s or list origins patterns instead, unless any site is meant", quoteExpr(expr), r.Reason, spellOut)
	case origin.ReachNull, origin.ReachFile:
		return fmt.Sprintf("origin_regexp %s: it matches %s, so it allows any site; if that is meant, use allow_all", quoteExpr(expr), what)
	}
	return fmt.Sprintf("origin_regexp %s: it matches %s, so it allows %s; %s unless that is meant", quoteExpr(expr), what, who, fix)
}

// describeReach words what an expression matches, who could send it, and
// how to write the expression so that it names what it lets in.
func describeReach(r origin.Reach) (what, who, fix string) {
	switch r.Kind {
	case origin.ReachNull:
		return `"null", which sandboxed iframes and local files on any site send`, "any site", ""
	case origin.ReachFile:
		return `"file://", which local files on any machine send`, "any local file", ""
	case origin.ReachAddress:
		return fmt.Sprintf("%q, on %s, an address it does not spell out (only loopback addresses may be left open)", r.Example, r.Owner),
			"whichever machine holds " + r.Owner, "spell out each address (as in `http://192\\.168\\.1\\.10(:[0-9]+)?`)"
	case origin.ReachHost:
		return fmt.Sprintf("%q, on %s, a host under no registrable domain that it does not spell out", r.Example, r.Owner),
			"whichever machine answers to " + r.Owner, "spell out each host (as in `http://intranet(:[0-9]+)?`)"
	}
	under := ""
	if strings.Contains(r.Suffix, ".") {
		under = fmt.Sprintf(" (under the public suffix %s)", r.Suffix)
	}
	return fmt.Sprintf("%q, on %s, a registrable domain%s it does not spell out", r.Example, r.Owner, under), "whoever registers " + r.Owner, spellOut
}

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

// quoteExpr quotes a regular expression for a message without doubling
// its backslashes, as %q would: `https://app\.example\.com`, the way it
// is written in a Caddyfile.
func quoteExpr(expr string) string {
	if strings.ContainsRune(expr, '`') || !utf8.ValidString(expr) || strings.ContainsFunc(expr, unicode.IsControl) {
		return strconv.Quote(expr)
	}
	return "`" + expr + "`"
}
