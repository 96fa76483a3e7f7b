package origin

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Reach is what one origin regexp lets in beyond the names written in it:
// an origin whose registrable domain (or host, or address) it matches
// through a character class, a wildcard or a repetition, so that whoever
// registers that domain can send a matching Origin. It is decided from the
// expression's program (regexp/syntax), the same in every process.
type Reach struct {
	Kind ReachKind
	// Example is an origin the expression matches and a third party could
	// hold: "https://a.com" for "https://[a-z]+\.com". It is checked
	// against the expression, parses as an origin, and what Owner names is
	// not written in the expression.
	Example string
	// Owner is what a third party would hold to send Example: the
	// registrable domain ("a.com", "a.github.io"), the host when it has
	// none ("a", a single label), or the address.
	Owner string
	// Suffix is the public suffix Owner is registered under, for
	// ReachDomain ("com", "github.io").
	Suffix string
	// Reason says why the check cannot tell, for ReachUnknown.
	Reason string
}

// ReachKind is the kind of a Reach.
type ReachKind uint8

const (
	// ReachNone: every registrable domain, host and address that the
	// expression matches is written in it, or is this machine (localhost,
	// 127.0.0.0/8, [::1]).
	ReachNone ReachKind = iota
	// ReachDomain: a registrable domain that the expression does not
	// spell out.
	ReachDomain
	// ReachHost: a host with no registrable domain (a single label, or a
	// public suffix itself) that the expression does not spell out.
	ReachHost
	// ReachAddress: an IP address other than loopback that the expression
	// does not spell out.
	ReachAddress
	// ReachNull: the expression matches "null".
	ReachNull
	// ReachFile: the expression matches "file://".
	ReachFile
	// ReachUnknown: the check cannot tell; Reason says why.
	ReachUnknown
)

// RegexpReach reads one origin regexp (matched against the whole Origin)
// for the sites it lets in that it does not name. An expression that does
// not compile reaches nothing here; its error is reported elsewhere.
//
// Every origin a browser sends is "null", "file://" or
// scheme://host[:port]. The analysis walks the expression's program over
// that shape: for each path that ends a host, it keeps which characters
// of the host the path pins (reads through an instruction that allows one
// character only, once), and judges the host by the public suffix list.
// Alternatives are kept apart from one another (see spellAlternatives),
// so that "(app|api)" spells out two names, where the class "ap[ip]" is a
// pattern.
// A registrable domain is written in the expression when all its
// characters are pinned on the path; so "https://pr-[0-9]+\.example\.com"
// reaches nothing, and "https://[a-z]+\.com" and "https://a.*" reach
// "https://a.com".
func RegexpReach(expr string) Reach {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return Reach{}
	}
	spelled, err := syntax.Parse(spellAlternatives(expr), syntax.Perl)
	if err != nil {
		spelled = tree // deeper than the parser allows, say: analyzed factored
	}
	p, err := syntax.Compile(spelled.Simplify())
	if err != nil {
		return Reach{}
	}
	g := newProg(p)
	s := &search{g: g}
	s.run()
	if len(s.findings) > 0 {
		// Examples are checked against the expression itself, compiled as
		// the origin set compiles it.
		re, err := compileAnchored(tree)
		if err != nil {
			return Reach{}
		}
		a := &reachAnalysis{re: re, g: g, written: writtenText(expr)}
		if r, ok := a.bestExample(s); ok {
			return r
		}
	}
	switch {
	case g.matches("null"):
		return Reach{Kind: ReachNull, Example: "null"}
	case g.matches(fileOrigin):
		return Reach{Kind: ReachFile, Example: fileOrigin}
	case s.overflow:
		return Reach{Kind: ReachUnknown, Reason: "it is too large for the check to follow"}
	case len(s.findings) > 0:
		return Reach{Kind: ReachUnknown, Reason: unknownReason(s.findings)}
	}
	return Reach{}
}

// reachAnalysis is one expression under analysis.
type reachAnalysis struct {
	re      *regexp.Regexp // the expression, anchored
	g       *prog
	written string // the expression's text as names: see writtenText
}

// writtenText is the expression in lower case without backslashes, so
// that `app\.example\.com` and `app.example.com` both write
// "app.example.com". An example never names a domain written in it as a
// whole name (see writes), even one that the expression's unescaped dots
// only seem to write: a message saying "example.com is not spelled out"
// of `app.example.com` would mislead.
func writtenText(expr string) string {
	return strings.ToLower(strings.ReplaceAll(expr, `\`, ""))
}

func unknownReason(findings []finding) string {
	for _, f := range findings {
		if p := f.verdict.parent; p != "" {
			below := publicSuffixParents()[p]
			return fmt.Sprintf("it lets in names under %s, where the public suffix list has suffixes under which others register names (%s, for one), but no such name it matches was found", p, below.sample)
		}
	}
	return "a class, wildcard or repetition reaches into the registrable domain of origins it may match, but the check found no such origin to show"
}
