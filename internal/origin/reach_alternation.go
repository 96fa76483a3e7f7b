package origin

import "strings"

// spellAlternatives returns expr with each alternative of each alternation
// in a capturing group of its own: "https://(app|api)\.com" becomes
// "https://((app)|(api))\.com". Go's parser factors alternations, so that
// the names (app|api) write out become ap[ip], a class, which the reach
// analysis would read as a pattern; a capture is opaque to the factoring
// and matches the same strings.
//
// An alternation in a group that also sets flags with "(?i)" (and not
// "(?i:...)") is left as it is: those flags reach past a "|" to the end of
// the group, and would not reach out of a capture. Such an alternation
// is analyzed factored, which can only make the check refuse more.
func spellAlternatives(expr string) string {
	s := altScanner{s: expr}
	return s.sequence()
}

type altScanner struct {
	s string
	i int
}

// sequence reads up to the ")" that closes the current group (or the
// end), and returns it rewritten.
func (p *altScanner) sequence() string {
	var alts []string
	var cur strings.Builder
	setsFlags := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case strings.HasPrefix(p.s[p.i:], `\Q`):
			end := strings.Index(p.s[p.i+2:], `\E`)
			n := len(p.s) - p.i
			if end >= 0 {
				n = 2 + end + 2
			}
			cur.WriteString(p.s[p.i : p.i+n])
			p.i += n
		case c == '\\':
			n := min(2, len(p.s)-p.i)
			cur.WriteString(p.s[p.i : p.i+n])
			p.i += n
		case c == '[':
			end := classEnd(p.s, p.i)
			cur.WriteString(p.s[p.i:end])
			p.i = end
		case c == '(':
			open, setter := groupOpener(p.s[p.i:])
			cur.WriteString(open)
			p.i += len(open)
			if setter {
				setsFlags = true
				continue
			}
			cur.WriteString(p.sequence())
			if p.i < len(p.s) { // the closing ")"
				cur.WriteByte(')')
				p.i++
			}
		case c == ')':
			return joinAlternatives(append(alts, cur.String()), setsFlags)
		case c == '|':
			alts = append(alts, cur.String())
			cur.Reset()
			p.i++
		default:
			cur.WriteByte(c)
			p.i++
		}
	}
	return joinAlternatives(append(alts, cur.String()), setsFlags)
}

func joinAlternatives(alts []string, setsFlags bool) string {
	if len(alts) == 1 || setsFlags {
		return strings.Join(alts, "|")
	}
	return "(" + strings.Join(alts, ")|(") + ")"
}

// groupOpener returns how the group that starts s opens: "(", "(?:",
// "(?P<name>", "(?<name>" or "(?flags:"; setter is set for "(?flags)",
// which opens no group but sets flags.
func groupOpener(s string) (open string, setter bool) {
	if !strings.HasPrefix(s, "(?") {
		return "(", false
	}
	if strings.HasPrefix(s, "(?P<") || strings.HasPrefix(s, "(?<") {
		if end := strings.IndexByte(s, '>'); end >= 0 {
			return s[:end+1], false
		}
		return s, false
	}
	end := strings.IndexAny(s[2:], ":)")
	if end < 0 {
		return s, false
	}
	return s[:2+end+1], s[2+end] == ')'
}
