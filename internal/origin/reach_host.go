package origin

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// hostShape is what the reach analysis keeps of the host read so far on
// one path through the expression: its last labels, each character
// either pinned (written as itself) or not. A character the path reads
// through a class, a wildcard or a repetition is not pinned, and stands
// as '?' (a letter, '-' or '_'), '#' (a digit) or '!' (a dot); a run of
// them in one label is one '?' (or '#' if all are digits), since its
// length does not change which names it reaches. That keeps the shapes,
// and so the search, finite.
type hostShape struct {
	window   string // the last maxLabels labels
	dropped  bool   // labels were dropped on the left of window
	unpinned bool   // some character of the host is not pinned
	ipv6     bool   // the host is an IPv6 literal (window starts with '[')
	loop     int8   // how much of "127." the host starts with; -1: it does not
}

// maxLabels bounds the labels a shape keeps: more than any rule of the
// public suffix list has, plus the label that makes a registrable domain.
const maxLabels = 12

func (h hostShape) key() string {
	f := h.flags()
	return string(f[:]) + h.window
}

func (h hostShape) flags() [2]byte {
	var flags byte
	if h.dropped {
		flags |= 1
	}
	if h.unpinned {
		flags |= 2
	}
	if h.ipv6 {
		flags |= 4
	}
	return [2]byte{flags, byte(h.loop)}
}

func isSeparator(a byte) bool { return a == '.' || a == '!' }

func isPlaceholder(a byte) bool { return a == '?' || a == '#' }

// add reads c, pinned or not, into the shape. It reports false when the
// host would not be one a browser sends: an empty label, or a label of
// more than 63 characters.
func (h hostShape) add(c byte, pinned bool) (hostShape, bool) {
	a := c
	if !pinned {
		switch {
		case c == '.' && !h.ipv6:
			a = '!'
		case '0' <= c && c <= '9' && !h.ipv6:
			a = '#'
		default:
			a = '?'
		}
		h.unpinned = true
	}
	if h.loop >= 0 && h.loop < 4 {
		if c == "127."[h.loop] && (pinned || c == '.') {
			h.loop++
		} else {
			h.loop = -1
		}
	}
	if h.ipv6 {
		if a != '?' || !strings.HasSuffix(h.window, "?") {
			h.window += string(a)
		}
		return h, len(h.window) <= 64
	}
	return h.addToName(c, a)
}

// addToName adds a, the shape of c, to a host name's shape.
func (h hostShape) addToName(c, a byte) (hostShape, bool) {
	start := strings.LastIndexAny(h.window, ".!") + 1
	if c == '.' {
		if len(h.window) == start { // a leading dot or two in a row
			return h, false
		}
	} else if isPlaceholder(a) && len(h.window) > start && isPlaceholder(h.window[len(h.window)-1]) {
		if a == '?' {
			h.window = h.window[:len(h.window)-1] + "?"
		}
		return h, true
	} else if len(h.window)-start >= 63 {
		return h, false
	}
	h.window += string(a)
	if c == '.' {
		if strings.Count(h.window, ".")+strings.Count(h.window, "!") > maxLabels {
			h.window = h.window[strings.IndexAny(h.window, ".!")+1:]
			h.dropped = true
		}
		h.window = h.forgetDigits()
	}
	return h, true
}

// forgetDigits writes the digits that the shape's completed labels do not
// pin as '?' once the host can no longer be an IPv4 address (four numeric
// labels): they then differ from letters in nothing the judgement asks,
// and telling them apart would double the shapes for every label.
func (h hostShape) forgetDigits() string {
	if !strings.Contains(h.window, "#") {
		return h.window
	}
	labels, _ := splitShape(h.window)
	done := labels[:len(labels)-1]
	ipv4 := !h.dropped && len(done) < 4
	for _, l := range done {
		ipv4 = ipv4 && numericShape(l)
	}
	if ipv4 || len(done) < 2 {
		return h.window
	}
	// The label just completed is kept: in "app.1." it is the last.
	keep := strings.LastIndexAny(h.window[:len(h.window)-1], ".!")
	return strings.ReplaceAll(h.window[:keep], "#", "?") + h.window[keep:]
}

// hostVerdict is what a host shape lets in.
type hostVerdict struct {
	kind ReachKind // ReachNone when every host of the shape is pinned
	skip bool      // no browser sends such a host
	// parent is set for a pinned domain under which the public suffix
	// list has suffixes that the unpinned labels on its left can reach
	// (amazonaws.com, under which s3.amazonaws.com is one).
	parent string
}

// judge decides a host shape at the end of a host. Every host the shape
// stands for is let in by the expression, so the shape is refused when
// some of them has a registrable domain (or, with none, a host or an
// address) that is not pinned.
func (h hostShape) judge() hostVerdict {
	w := h.window
	if h.ipv6 {
		if h.unpinned {
			return hostVerdict{kind: ReachAddress}
		}
		return hostVerdict{}
	}
	if w != "" && isSeparator(w[len(w)-1]) {
		w = w[:len(w)-1] // "example.com.", the same site as "example.com"
	}
	if w == "" {
		return hostVerdict{skip: true}
	}
	if !h.unpinned {
		return hostVerdict{}
	}
	labels, seps := splitShape(w)
	n := len(labels)
	if numericShape(labels[n-1]) {
		return judgeIPv4(h, labels)
	}
	if labels[n-1] == "localhost" {
		return hostVerdict{} // every name under localhost is this machine
	}
	return judgeDomain(h, labels, seps)
}

// judgeDomain decides a host name by the public suffix list: its
// registrable domain must be pinned, and so must any label on its left
// that the list's suffixes below the pinned labels could take in.
func judgeDomain(h hostShape, labels []string, seps []byte) hostVerdict {
	n := len(labels)
	// Placeholders are no label of the list, so only its wildcards see them.
	ps, _ := publicsuffix.PublicSuffix(strings.Join(labels, "."))
	psLabels := strings.Count(ps, ".") + 1
	if psLabels >= n {
		// No registrable domain: a single label, or a public suffix
		// itself, or (past the window) a name this deep.
		if h.dropped {
			return hostVerdict{kind: ReachDomain}
		}
		return hostVerdict{kind: ReachHost}
	}
	first := n - psLabels - 1 // the registrable domain's first label
	for i := first; i < n; i++ {
		if strings.ContainsAny(labels[i], "?#") || i > first && seps[i-1] == '!' {
			return hostVerdict{kind: ReachDomain}
		}
	}
	// The registrable domain is pinned. What lies on its left is not all
	// pinned: unless the list has suffixes below the pinned labels, that
	// only makes subdomains.
	k := first
	for k > 0 && !strings.ContainsAny(labels[k-1], "?#") && seps[k-1] == '.' {
		k--
	}
	parent := strings.Join(labels[k:], ".")
	if below, ok := publicSuffixParents()[parent]; ok && (h.dropped || k >= int(below.depth)+1) {
		return hostVerdict{kind: ReachDomain, parent: parent}
	}
	return hostVerdict{}
}

// judgeIPv4 decides a shape whose last label is a number: browsers parse
// such a host as an IPv4 address and send it as four decimal numbers.
// Loopback addresses (127.0.0.0/8) are this machine, whatever the rest;
// any other address must be pinned.
func judgeIPv4(h hostShape, labels []string) hostVerdict {
	if h.dropped || len(labels) != 4 {
		return hostVerdict{skip: true}
	}
	for _, l := range labels {
		// An octet as browsers write it: at most three digits ('#' stands
		// for one or more), no leading zero, at most 255.
		if !numericShape(l) || len(l) > 3 || len(l) > 1 && l[0] == '0' || !strings.Contains(l, "#") && (len(l) == 3 && l > "255") {
			return hostVerdict{skip: true}
		}
	}
	if h.loop == 4 {
		return hostVerdict{}
	}
	return hostVerdict{kind: ReachAddress}
}

// splitShape splits a shape into labels and the separators between them.
func splitShape(w string) (labels []string, seps []byte) {
	start := 0
	for i := 0; i < len(w); i++ {
		if isSeparator(w[i]) {
			labels = append(labels, w[start:i])
			seps = append(seps, w[i])
			start = i + 1
		}
	}
	return append(labels, w[start:]), seps
}

func numericShape(label string) bool {
	if label == "" {
		return false
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; c != '#' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
