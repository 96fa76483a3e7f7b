package origin

// phase is where in "scheme://host[:port]" a path through the expression is.
type phase uint8

const (
	phaseSchemeStart phase = iota // before the scheme's first letter
	phaseScheme                   // in the scheme
	phaseColon                    // after "scheme:"
	phaseSlash                    // after "scheme:/"
	phaseHost                     // in a host name or IPv4 address
	phaseIPv6                     // inside "[...]"
	phaseIPv6End                  // after "]"
)

// searchNode is one state of the search: a leaf of the program a path
// has reached, where in the origin it is, and the shape of its host. The
// path itself is kept by parent links, for the example.
type searchNode struct {
	parent int32
	pc     uint32 // the leaf this path waits at
	by     uint32 // the instruction that consumed c
	c      byte   // 0 for a start node
	pinned bool
	ph     phase
	host   hostShape
}

// finding is a path that ends a host the expression does not pin and
// then matches, with the port it ends with ("" for none).
type finding struct {
	node    int32
	port    string
	verdict hostVerdict
}

// Limits of one search. Expressions written by people stay far below
// them (a few hundred states and steps for a typical one); beyond them
// the check says it cannot tell. A step is one state reached, new or not:
// a long run of optional characters reaches many states from each.
// Findings past maxFindings only offer more examples to choose from.
const (
	maxSearchNodes = 1 << 16
	maxSearchSteps = 1 << 20
	maxFindings    = 16
)

// search walks every path through the program that reads an origin
// (a scheme, "://", then a host), breadth first so that examples are
// short, and records the paths that end at a host that is not pinned.
type search struct {
	g        *prog
	nodes    []searchNode
	seen     map[nodeKey]struct{}
	steps    int
	findings []finding
	found    map[string]bool // the host shapes (and port or not) of findings
	overflow bool
}

func (s *search) run() {
	s.seen = make(map[nodeKey]struct{})
	s.found = make(map[string]bool)
	for _, l := range s.g.leaves(uint32(s.g.p.Start), true) {
		s.push(searchNode{parent: -1, pc: l, ph: phaseSchemeStart, host: hostShape{loop: 0}})
	}
	for i := 0; i < len(s.nodes) && len(s.findings) < maxFindings; i++ {
		if len(s.nodes) > maxSearchNodes || s.steps > maxSearchSteps {
			s.overflow = true
			return
		}
		s.expand(int32(i))
	}
}

// nodeKey tells states apart: two paths that reach the same leaf, in the
// same phase, with the same host shape, go on alike.
type nodeKey struct {
	pc     uint32
	ph     phase
	flags  [2]byte
	window string
}

func (s *search) push(n searchNode) {
	s.steps++
	key := nodeKey{n.pc, n.ph, n.host.flags(), n.host.window}
	if _, ok := s.seen[key]; ok {
		return
	}
	s.seen[key] = struct{}{}
	s.nodes = append(s.nodes, n)
}

// expand follows node i by every character class that leads somewhere
// different: for a character the instruction pins, that character; for
// one it does not, one letter, one digit and a dot (which differ in what
// they make of a host), each written as the first the instruction allows.
func (s *search) expand(i int32) {
	n := s.nodes[i]
	if !consumes(&s.g.p.Inst[n.pc]) {
		ended := n.ph == phaseHost && n.host.window != "" || n.ph == phaseIPv6End
		if ended && s.g.acceptsAtEnd(n.pc) {
			s.endHost(i, "")
		}
		return
	}
	chars := s.g.chars[n.pc]
	switch n.ph {
	case phaseSchemeStart:
		s.stepScheme(i, chars.and(schemeFirst), phaseScheme)
	case phaseScheme:
		s.stepScheme(i, chars.and(schemeChars), phaseScheme)
		s.stepScheme(i, chars.and(charsOf(":")), phaseColon)
	case phaseColon:
		s.stepScheme(i, chars.and(charsOf("/")), phaseSlash)
	case phaseSlash:
		s.stepScheme(i, chars.and(charsOf("/")), phaseHost)
	case phaseHost:
		s.expandHost(i, chars)
	case phaseIPv6:
		pinned := s.g.pins(n.pc, ipv6Chars)
		if c, ok := chars.and(charsOf(ipv6Order)).first(ipv6Order); ok {
			s.stepHost(i, n.host, c, pinned, phaseIPv6)
		}
		if chars.has(']') {
			s.stepHost(i, n.host, ']', pinned, phaseIPv6End)
		}
	case phaseIPv6End:
		s.portAfter(i, chars)
	}
}

func (s *search) expandHost(i int32, chars charSet) {
	n := s.nodes[i]
	if n.host.window == "" {
		if chars.has('[') {
			s.stepHost(i, hostShape{ipv6: true, loop: -1}, '[', s.g.pins(n.pc, ipv6Chars), phaseIPv6)
		}
	} else {
		s.portAfter(i, chars)
	}
	allowed := chars.and(hostChars)
	if s.g.pins(n.pc, hostChars) {
		c, _ := allowed.first(labelOrder + labelSymbols + ".")
		s.stepHost(i, n.host, c, true, phaseHost)
		return
	}
	if c, ok := allowed.and(labelChars).and(notDigits).first(labelOrder + labelSymbols); ok {
		s.stepHost(i, n.host, c, false, phaseHost)
	}
	if c, ok := allowed.and(digitChars).first(labelOrder); ok {
		s.stepHost(i, n.host, c, false, phaseHost)
	}
	if allowed.has('.') {
		s.stepHost(i, n.host, '.', false, phaseHost)
	}
}

var notDigits = charSet{^digitChars[0], ^digitChars[1]}

// portAfter ends the host at a ":" that node i's instruction consumes,
// when some port then ends the input.
func (s *search) portAfter(i int32, chars charSet) {
	if !chars.has(':') {
		return
	}
	if port, ok := s.g.portAfter(s.nodes[i].pc); ok {
		s.endHost(i, port)
	}
}

// endHost judges the host that node i ends. Of the paths that end the
// same host shape, with a port or without, the first stands for all: the
// others would offer the same examples.
func (s *search) endHost(i int32, port string) {
	h := s.nodes[i].host
	v := h.judge()
	if v.skip || v.kind == ReachNone {
		return
	}
	key := h.key()
	if port != "" {
		key += ":"
	}
	if s.found[key] {
		return
	}
	s.found[key] = true
	s.findings = append(s.findings, finding{node: i, port: port, verdict: v})
}

func (s *search) stepScheme(i int32, allowed charSet, to phase) {
	c, ok := allowed.first("hts" + "abcdefgijklmnopqruvwxyz0123456789+-.:/")
	if !ok {
		return
	}
	n := s.nodes[i]
	for _, l := range s.g.leaves(s.g.p.Inst[n.pc].Out, false) {
		s.push(searchNode{parent: i, pc: l, by: n.pc, c: c, ph: to, host: n.host})
	}
}

func (s *search) stepHost(i int32, from hostShape, c byte, pinned bool, to phase) {
	n := s.nodes[i]
	h, ok := from.add(c, pinned)
	if !ok {
		return
	}
	for _, l := range s.g.leaves(s.g.p.Inst[n.pc].Out, false) {
		s.push(searchNode{parent: i, pc: l, by: n.pc, c: c, pinned: pinned, ph: to, host: h})
	}
}

// path returns the characters that lead to node i, and for each the
// instruction that consumed it and whether that pinned it.
func (s *search) path(i int32) (text []byte, by []uint32, pinned []bool) {
	for ; i >= 0; i = s.nodes[i].parent {
		n := s.nodes[i]
		if n.parent < 0 {
			break
		}
		text = append(text, n.c)
		by = append(by, n.by)
		pinned = append(pinned, n.pinned)
	}
	for l, r := 0, len(text)-1; l < r; l, r = l+1, r-1 {
		text[l], text[r] = text[r], text[l]
		by[l], by[r] = by[r], by[l]
		pinned[l], pinned[r] = pinned[r], pinned[l]
	}
	return text, by, pinned
}
