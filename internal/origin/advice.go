package origin

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// RegexpAdvice is what reading one origin_regexp as a django-cors-headers
// user wrote it reveals. Django matches with Python's re.match, anchored
// at the start only; that hides mistakes which matching the whole Origin,
// as this module does, brings out. The caller words the messages.
type RegexpAdvice struct {
	// PortTail is set when the expression ends in ":*" or a colon followed
	// by optional digits (":\d*", ":[0-9]*"): written as a port wildcard,
	// which matched against the whole Origin it is not. It holds the tail
	// as written.
	PortTail string
	// PortRefused is an origin the expression refuses although the tail
	// was meant to allow it.
	PortRefused string
	// PortOrigins are origins ending in ":*" that mean what was meant, when
	// the part before the tail spells a few fixed origins; PortRegexp is an
	// expression that does.
	PortOrigins []string
	PortRegexp  string

	// Escaped is the expression with every unescaped "." that stands
	// between parts of a host name written as "\.", or "" when there is
	// none. DotExample is an origin that the unescaped dots let in.
	Escaped    string
	DotExample string

	// PrefixOnly is an origin that a prefix match (django's) would allow
	// and whole matching refuses. It is "" when the expression already
	// ends in "$" or "\z", since its author then meant a whole match, and
	// when PortTail is set, which says more.
	PrefixOnly string
}

// portTailText finds a port-wildcard-looking tail in an expression's text,
// so that the fix can keep the rest of the expression as the user wrote it.
var portTailText = regexp.MustCompile(`\\?:(\*|\\d\*|\[0-9\]\*)(\$|\\z)?$`)

// AdviseRegexp reads one origin regexp; an expression that does not
// compile gets no advice (its error is reported elsewhere).
func AdviseRegexp(expr string) RegexpAdvice {
	var a RegexpAdvice
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return a
	}
	re, err := compileAnchored(tree)
	if err != nil {
		return a
	}
	subs := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpConcat {
		subs = tree.Sub
	}
	endAnchored := false
	for len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine) {
		subs = subs[:len(subs)-1]
		endAnchored = true
	}
	a.advisePortTail(expr, re, subs)

	if escaped, n := escapeHostDots(expr); n > 0 {
		a.Escaped = escaped
		if w, ok := (witnessMode{dot: 'a'}).witness(tree); ok && re.MatchString(w) {
			if fixed, err := CompileRegexp(escaped); err == nil && !fixed.MatchString(w) {
				a.DotExample = w
			}
		}
	}

	if !endAnchored && a.PortTail == "" {
		a.PrefixOnly = prefixOnlyExample(tree, re)
	}
	return a
}

// prefixOnlyExample returns an origin that re refuses although a prefix
// of it matches: a matching origin with a port or a domain appended. It
// tries a few ways of writing a matching origin until one has a valid host.
func prefixOnlyExample(tree *syntax.Regexp, re *regexp.Regexp) string {
	for _, mode := range [...]witnessMode{{dot: '.'}, {dot: 'a', repeat: true}, {dot: '.', repeat: true}} {
		w, ok := mode.witness(tree)
		if !ok || !re.MatchString(w) {
			continue
		}
		if _, host, _, ok := split(w); !ok || !validHost(host) {
			continue
		}
		for _, tail := range [...]string{":8080", ".example.net"} {
			if o := w + tail; isTupleOrigin(o) && !re.MatchString(o) {
				return o
			}
		}
	}
	return ""
}

// advisePortTail recognizes a last element that is ":" repeated, or a
// colon followed by a repeated digit class, in the expression's top-level
// sequence subs (end anchors removed).
func (a *RegexpAdvice) advisePortTail(expr string, re *regexp.Regexp, subs []*syntax.Regexp) {
	if len(subs) == 0 {
		return
	}
	last := subs[len(subs)-1]
	if last.Op != syntax.OpStar {
		return
	}
	var prefix []*syntax.Regexp
	switch inner := last.Sub[0]; {
	case isLiteral(inner, ":"):
		prefix = subs[:len(subs)-1]
	case isDigitClass(inner) && len(subs) >= 2 && subs[len(subs)-2].Op == syntax.OpLiteral:
		lit := subs[len(subs)-2]
		if n := len(lit.Rune); n == 0 || lit.Rune[n-1] != ':' {
			return
		}
		// The literal without its colon, then what came before it.
		trimmed := *lit
		trimmed.Rune = lit.Rune[:len(lit.Rune)-1]
		prefix = append(append([]*syntax.Regexp{}, subs[:len(subs)-2]...), &trimmed)
	default:
		return
	}
	loc := portTailText.FindStringIndex(expr)
	if loc == nil {
		return
	}
	a.PortTail = strings.TrimRight(strings.TrimSuffix(expr[loc[0]:], `\z`), "$")
	escaped, _ := escapeHostDots(expr[:loc[0]])
	fix, err := CompileRegexp(escaped + "(:[0-9]+)?")
	if err != nil {
		return // the text before the tail is no expression of its own
	}
	a.PortRegexp = escaped + "(:[0-9]+)?"
	head := &syntax.Regexp{Op: syntax.OpConcat, Sub: prefix}
	if w, ok := (witnessMode{dot: '.'}).witness(head); ok && isTupleOrigin(w) {
		for _, o := range [...]string{w + ":3000", w} {
			if !re.MatchString(o) && fix.MatchString(o) {
				a.PortRefused = o
				break
			}
		}
	}
	if origins, ok := enumerate(head, 8); ok {
		for _, o := range origins {
			p, err := Parse(o)
			if err != nil || p.Null || p.File || p.Subdomains || p.Port != 0 {
				a.PortOrigins = nil
				break
			}
			p.Port = anyPort
			a.PortOrigins = append(a.PortOrigins, p.String())
		}
	}
}

func isLiteral(re *syntax.Regexp, s string) bool {
	return re.Op == syntax.OpLiteral && string(re.Rune) == s
}

// isDigitClass reports whether re is a class of ASCII digits only.
func isDigitClass(re *syntax.Regexp) bool {
	if re.Op != syntax.OpCharClass || len(re.Rune) == 0 {
		return false
	}
	for i := 0; i < len(re.Rune); i += 2 {
		if re.Rune[i] < '0' || re.Rune[i+1] > '9' {
			return false
		}
	}
	return true
}

func isTupleOrigin(o string) bool {
	_, _, _, ok := split(o)
	return ok
}

// escapeHostDots writes "\." for every unescaped "." of expr that is not
// repeated and stands between parts of a host name ("app.example",
// "127.0", "[a-z]+.example", "(www|api).example"), and says how many it
// wrote. Character classes and \Q...\E quotes are left as they are.
func escapeHostDots(expr string) (string, int) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && strings.HasPrefix(expr[i:], `\Q`):
			end := strings.Index(expr[i+2:], `\E`)
			if end < 0 {
				b.WriteString(expr[i:])
				return b.String(), n
			}
			b.WriteString(expr[i : i+2+end+2])
			i += 2 + end + 1
			continue
		case c == '\\':
			b.WriteByte(c)
			if i+1 < len(expr) {
				i++
				b.WriteByte(expr[i])
			}
			continue
		case c == '[':
			end := classEnd(expr, i)
			b.WriteString(expr[i:end])
			i = end - 1
			continue
		case c == '.' && i > 0 && i+1 < len(expr) && hostBefore(expr, i) && hostAfter(expr[i+1]):
			b.WriteString(`\.`)
			n++
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), n
}

// hostBefore reports whether what ends at expr[i-1] is part of a host
// name: a letter or digit written as itself, or the end of a class, group
// or repetition.
func hostBefore(expr string, i int) bool {
	c := expr[i-1]
	if isAlnum(c) {
		return i < 2 || expr[i-2] != '\\' // "\d." is a class, not a label
	}
	return c == ']' || c == ')' || c == '+' || c == '*' || c == '}'
}

// hostAfter reports whether c can start the next part of a host name; a
// "." followed by a quantifier is meant as "any characters".
func hostAfter(c byte) bool {
	return isAlnum(c) || c == '[' || c == '('
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// classEnd returns the index just past the character class that starts at
// expr[i] == '['. A ']' first in the class is a literal, "[:name:]" is a
// named class, and an unterminated class runs to the end.
func classEnd(expr string, i int) int {
	j := i + 1
	if j < len(expr) && expr[j] == '^' {
		j++
	}
	if j < len(expr) && expr[j] == ']' {
		j++
	}
	for j < len(expr) {
		switch {
		case expr[j] == '\\':
			j += 2
			continue
		case strings.HasPrefix(expr[j:], "[:"):
			if end := strings.Index(expr[j+2:], ":]"); end >= 0 {
				j += 2 + end + 2
				continue
			}
		case expr[j] == ']':
			return j + 1
		}
		j++
	}
	return len(expr)
}

// witnessMode says how to write a string that an expression matches:
// which character stands for "any character", and whether "x*" is
// written as one x (else as nothing).
type witnessMode struct {
	dot    rune
	repeat bool
}

// witness returns a short string that re matches. The caller checks it,
// since word boundaries and such are not honoured here.
func (m witnessMode) witness(re *syntax.Regexp) (string, bool) {
	var b strings.Builder
	ok := m.write(&b, re)
	return b.String(), ok && b.Len() <= MaxLength
}

func (m witnessMode) write(b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		b.WriteRune(pickRune(re.Rune))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteRune(m.dot)
	case syntax.OpCapture, syntax.OpPlus:
		return m.write(b, re.Sub[0])
	case syntax.OpStar:
		if m.repeat {
			return m.write(b, re.Sub[0])
		}
	case syntax.OpRepeat:
		for range re.Min {
			if !m.write(b, re.Sub[0]) || b.Len() > MaxLength {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !m.write(b, sub) {
				return false
			}
		}
	case syntax.OpAlternate:
		return m.write(b, re.Sub[0])
	case syntax.OpNoMatch:
		return false
	}
	// Quest, empty matches and assertions contribute nothing.
	return true
}

// pickRune picks a readable member of a class: a lower-case letter or a
// digit if it has one, else its first rune.
func pickRune(ranges []rune) rune {
	for _, want := range [...]rune{'a', 'x', '0', '1'} {
		for i := 0; i < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want
			}
		}
	}
	if r := ranges[0]; utf8.ValidRune(r) {
		return r
	}
	return 'a'
}

// enumerate lists every string re matches, writing "." for any character
// (an unescaped dot in a host meant a dot), when there are at most limit
// of them and re is made of literals, small classes, alternations and
// optional parts only.
func enumerate(re *syntax.Regexp, limit int) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginText, syntax.OpBeginLine:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpAnyCharNotNL:
		return []string{"."}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if out = append(out, string(r)); len(out) > limit {
					return nil, false
				}
			}
		}
		return out, true
	case syntax.OpCapture:
		return enumerate(re.Sub[0], limit)
	case syntax.OpQuest:
		sub, ok := enumerate(re.Sub[0], limit)
		return append([]string{""}, sub...), ok && len(sub) < limit
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			sub, ok := enumerate(s, limit)
			if out = append(out, sub...); !ok || len(out) > limit {
				return nil, false
			}
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			sub, ok := enumerate(s, limit)
			if !ok || len(out)*len(sub) > limit {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(sub))
			for _, a := range out {
				for _, b := range sub {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}
