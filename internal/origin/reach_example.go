package origin

import (
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// bestExample turns the search's findings into the most telling example:
// an origin under a listed public suffix ("https://a.com") before an
// address, before a domain under a suffix nobody sells ("https://a.a"),
// before a bare host; then http(s) before other schemes; then without a
// port; then the shortest; then the first found. Each candidate is checked against the
// expression itself (see example), so an example is true whatever the
// search allowed itself.
func (a *reachAnalysis) bestExample(s *search) (Reach, bool) {
	var best Reach
	var bestRank [4]int
	found := false
	tried := make(map[string]bool)
	for _, f := range s.findings {
		for _, cand := range a.candidates(s, f) {
			if tried[cand] {
				continue
			}
			tried[cand] = true
			r, ok := owner(cand)
			if !ok {
				continue
			}
			// The rank needs only the text: check the rest only for a
			// candidate that would be chosen.
			_, _, port, _ := split(cand)
			rank := [4]int{kindRank(r), schemeRank(cand), len(port), len(cand)}
			if found && !less(rank, bestRank) || !a.example(cand, r) {
				continue
			}
			best, bestRank, found = r, rank, true
		}
		if found && bestRank[0] == 0 && bestRank[1] == 0 && bestRank[2] == 0 {
			// An https origin without a port, on a domain under a listed
			// suffix: later findings are longer paths, with examples no
			// more telling.
			break
		}
	}
	return best, found
}

func less(a, b [4]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func kindRank(r Reach) int {
	switch {
	case r.Kind == ReachDomain && listedSuffix(r.Suffix):
		return 0
	case r.Kind == ReachAddress:
		return 1
	case r.Kind == ReachDomain:
		return 2
	}
	return 3
}

// listedSuffix reports whether a public suffix is one the list names,
// rather than the last label of a name under no listed suffix.
func listedSuffix(ps string) bool {
	_, icann := publicsuffix.PublicSuffix(ps)
	return icann || strings.Contains(ps, ".")
}

func schemeRank(o string) int {
	switch {
	case strings.HasPrefix(o, "https://"):
		return 0
	case strings.HasPrefix(o, "http://"):
		return 1
	}
	return 2
}

// candidates writes the origins a finding stands for: the path as found;
// with its scheme as https or http; with a last label it does not pin
// written "com"; for a parent in the public suffix list, a name under one
// of its suffixes; and, so that an example can avoid a domain another
// path spells out, with other characters where the path pins none.
func (a *reachAnalysis) candidates(s *search, f finding) []string {
	text, by, pinned := s.path(f.node)
	whole := string(text)
	i := strings.Index(whole, "://")
	if i < 0 {
		return nil
	}
	scheme, host := whole[:i], whole[i+3:]
	hostPinned, hostBy := pinned[i+3:], by[i+3:]
	hosts := []string{host}
	if dot := strings.LastIndexByte(host, '.'); dot >= 0 && !slices.Contains(hostPinned[dot+1:], true) {
		hosts = append(hosts, host[:dot+1]+"com")
	}
	if strings.HasPrefix(host, "[") {
		// An address the search wrote with one character per class
		// ("[0]") is seldom valid: try a few that are.
		hosts = append(hosts, "[2001:db8::1]", "[fe80::1]")
	}
	if p := f.verdict.parent; p != "" {
		hosts = append(hosts, "a."+strings.ReplaceAll(publicSuffixParents()[p].sample, "*", "a"))
	}
	hosts = append(hosts, a.variants(host, hostPinned, hostBy)...)
	schemes := []string{scheme}
	for _, alt := range [...]string{"https", "http"} {
		if alt != scheme {
			schemes = append(schemes, alt)
		}
	}
	port := ""
	if f.port != "" {
		port = ":" + f.port
	}
	var out []string
	for _, sc := range schemes {
		for _, h := range hosts {
			out = append(out, sc+"://"+h+port)
		}
	}
	return out
}

// variants returns the host with one character the path does not pin
// replaced by another that its instruction allows, of the same kind
// (letter, digit or dot), for the first few such characters.
func (a *reachAnalysis) variants(host string, pinned []bool, by []uint32) []string {
	var out []string
	for j := 0; j < len(host) && len(out) < 12; j++ {
		if pinned[j] {
			continue
		}
		c := host[j]
		if c == '.' {
			continue
		}
		kind := labelChars.and(notDigits)
		if '0' <= c && c <= '9' {
			kind = digitChars
		}
		alts := a.g.chars[by[j]].and(kind)
		n := 0
		for k := 0; k < len(labelOrder) && n < 3; k++ {
			if alt := labelOrder[k]; alt != c && alts.has(alt) {
				out = append(out, host[:j]+string(alt)+host[j+1:])
				n++
			}
		}
	}
	return out
}

// owner returns what a third party would hold to send o, if o is written
// as a browser sends an origin (see Canonical) and is not this machine:
// its registrable domain, or its host when it has none, or its address.
func owner(o string) (Reach, bool) {
	if !Canonical(o) {
		return Reach{}, false
	}
	_, host, _, _ := split(o)
	r := Reach{Example: o, Owner: host}
	switch {
	case host[0] == '[':
		addr, _ := netip.ParseAddr(host[1 : len(host)-1])
		if addr.IsLoopback() {
			return Reach{}, false
		}
		r.Kind = ReachAddress
	case numericLabel(host[strings.LastIndexByte(host, '.')+1:]):
		addr, err := netip.ParseAddr(host)
		if err != nil || !addr.Is4() || addr.String() != host || addr.IsLoopback() {
			return Reach{}, false
		}
		r.Kind = ReachAddress
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		return Reach{}, false
	default:
		r.Kind = ReachHost
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			r.Kind, r.Owner = ReachDomain, d
			r.Suffix, _ = publicsuffix.PublicSuffix(host)
		}
	}
	return r, true
}

// example reports whether the expression matches o, o parses as an
// origin, and the expression does not write what r says a third party
// holds: no path through it pins those characters, and its text does not
// hold them as a whole name.
func (a *reachAnalysis) example(o string, r Reach) bool {
	if !a.re.MatchString(o) || writes(a.written, r.Owner) {
		return false
	}
	if p, err := Parse(o); err != nil || p.String() != o {
		return false // a host that IDNA refuses, as browsers do
	}
	alphabet := hostChars
	if r.Owner[0] == '[' {
		alphabet = ipv6Chars
	}
	scheme, host, _, _ := split(o)
	end := len(scheme) + len("://") + len(host)
	return !a.g.pinnedSpan(o, end-len(r.Owner), end, alphabet)
}

// ldhChars are the characters of a label as registries sell them.
var ldhChars = charsOf(labelOrder)

// writes reports whether text holds name as a whole name: not inside a
// longer label ("a" in "[a-z]" is no name written).
func writes(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !ldhChars.has(text[start-1])) && (end == len(text) || !ldhChars.has(text[end])) {
			return true
		}
		i = start + 1
	}
}

func numericLabel(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
