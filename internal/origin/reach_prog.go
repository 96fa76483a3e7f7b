package origin

import (
	"regexp/syntax"
	"slices"
	"unicode"
)

// charSet is a set of ASCII characters. The reach analysis needs no
// others: a browser serializes an origin in ASCII (a Unicode host as
// punycode), so an instruction's non-ASCII runes match nothing it sends.
type charSet [2]uint64

func (s charSet) has(c byte) bool { return c < 128 && s[c/64]&(1<<(c%64)) != 0 }

func (s *charSet) add(c byte) { s[c/64] |= 1 << (c % 64) }

func (s charSet) and(t charSet) charSet { return charSet{s[0] & t[0], s[1] & t[1]} }

func (s charSet) count() int { return popcount(s[0]) + popcount(s[1]) }

// first returns the first character of order that s holds.
func (s charSet) first(order string) (byte, bool) {
	for i := 0; i < len(order); i++ {
		if s.has(order[i]) {
			return order[i], true
		}
	}
	return 0, false
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func charsOf(s string) charSet {
	var set charSet
	for i := 0; i < len(s); i++ {
		set.add(s[i])
	}
	return set
}

// The characters of a host as a browser sends it: labels and dots, or an
// IPv6 literal in brackets. Letters are lower case; besides letters,
// digits, '-' and '_', the URL standard lets a label hold the symbols of
// labelSymbols, which no registry sells but a DNS zone can hold. An
// instruction pins a host character when it allows exactly one of these
// (so "(?i)e" and "[eE]" pin "e", and "[a-z]" or "." pin nothing).
const (
	labelOrder   = "abcdefghijklmnopqrstuvwxyz1234567890-_" // examples are written with these, in this order
	labelSymbols = "!$&'()*+,;=`{}~\""
	ipv6Order    = "0123456789abcdef:."
)

var (
	labelChars  = charsOf(labelOrder + labelSymbols)
	hostChars   = charsOf(labelOrder + labelSymbols + ".")
	ipv6Chars   = charsOf(ipv6Order + "[]")
	digitChars  = charsOf("0123456789")
	schemeFirst = charsOf("abcdefghijklmnopqrstuvwxyz")
	schemeChars = charsOf("abcdefghijklmnopqrstuvwxyz0123456789+-.")
)

// prog is an origin regexp compiled to regexp/syntax's NFA, with what the
// reach analysis asks of each instruction: which characters it consumes,
// whether it can consume more than once in one match, and where the empty
// moves after it lead.
type prog struct {
	p          *syntax.Prog
	chars      []charSet // per instruction that consumes a rune
	repeatable []bool    // the instruction lies on a cycle
	next       map[uint32][]uint32
	atEnd      map[uint32]bool
	ports      map[uint32]string // portAfter's answers; "" for none
}

func newProg(p *syntax.Prog) *prog {
	g := &prog{
		p:     p,
		chars: make([]charSet, len(p.Inst)),
		next:  make(map[uint32][]uint32),
		atEnd: make(map[uint32]bool),
		ports: make(map[uint32]string),
	}
	for pc := range p.Inst {
		g.chars[pc] = asciiChars(&p.Inst[pc])
	}
	g.repeatable = onCycle(p)
	return g
}

// asciiChars returns the ASCII characters an instruction consumes.
func asciiChars(inst *syntax.Inst) charSet {
	var set charSet
	switch inst.Op {
	case syntax.InstRuneAny:
		return charSet{^uint64(0), ^uint64(0)}
	case syntax.InstRuneAnyNotNL:
		return charSet{^uint64(1 << '\n'), ^uint64(0)}
	case syntax.InstRune1, syntax.InstRune:
	default:
		return set
	}
	if len(inst.Rune) == 1 {
		// A literal, with its other cases when it folds.
		r := inst.Rune[0]
		if r < 128 {
			set.add(byte(r))
		}
		if syntax.Flags(inst.Arg)&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				if f < 128 {
					set.add(byte(f))
				}
			}
		}
		return set
	}
	for i := 0; i+1 < len(inst.Rune) && inst.Rune[i] < 128; i += 2 {
		for c := inst.Rune[i]; c <= min(inst.Rune[i+1], 127); c++ {
			set.add(byte(c))
		}
	}
	return set
}

func consumes(inst *syntax.Inst) bool {
	switch inst.Op {
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		return true
	}
	return false
}

// pins reports whether the instruction at pc pins a character drawn from
// alphabet: it allows exactly one of them, and only once per match (a
// literal inside a repetition, as in "(ab)+", spells no fixed name).
func (g *prog) pins(pc uint32, alphabet charSet) bool {
	return !g.repeatable[pc] && g.chars[pc].and(alphabet).count() == 1
}

// leaves returns the instructions reachable from pc by empty moves that
// wait for input: runes to consume, a match, or an end-of-text assertion
// (which only the end of the input satisfies). A begin-of-text assertion
// holds only at the start. Word boundaries are taken to hold: the analysis
// then allows more than the expression does, never less, and an example
// it gives is checked against the expression itself.
func (g *prog) leaves(pc uint32, atStart bool) []uint32 {
	if !atStart {
		if l, ok := g.next[pc]; ok {
			return l
		}
	}
	var out []uint32
	seen := make(map[uint32]bool)
	var walk func(uint32)
	walk = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		inst := &g.p.Inst[pc]
		switch inst.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			walk(inst.Out)
			walk(inst.Arg)
		case syntax.InstCapture, syntax.InstNop:
			walk(inst.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(inst.Arg)
			switch {
			case op&(syntax.EmptyBeginLine|syntax.EmptyBeginText) != 0 && !atStart:
			case op&(syntax.EmptyEndLine|syntax.EmptyEndText) != 0:
				out = append(out, pc)
			default:
				walk(inst.Out)
			}
		case syntax.InstFail:
		default: // runes and match
			out = append(out, pc)
		}
	}
	walk(pc)
	slices.Sort(out)
	if !atStart {
		g.next[pc] = out
	}
	return out
}

// acceptsAtEnd reports whether the leaf pc matches when the input ends
// there: it is the match, or an end assertion from which empty moves
// reach it.
func (g *prog) acceptsAtEnd(pc uint32) bool {
	if v, ok := g.atEnd[pc]; ok {
		return v
	}
	seen := make(map[uint32]bool)
	var walk func(uint32) bool
	walk = func(pc uint32) bool {
		if seen[pc] {
			return false
		}
		seen[pc] = true
		inst := &g.p.Inst[pc]
		switch inst.Op {
		case syntax.InstMatch:
			return true
		case syntax.InstAlt, syntax.InstAltMatch:
			return walk(inst.Out) || walk(inst.Arg)
		case syntax.InstCapture, syntax.InstNop:
			return walk(inst.Out)
		case syntax.InstEmptyWidth:
			// At the end of a non-empty input: no begin assertion holds.
			if syntax.EmptyOp(inst.Arg)&(syntax.EmptyBeginLine|syntax.EmptyBeginText) != 0 {
				return false
			}
			return walk(inst.Out)
		}
		return false
	}
	v := walk(pc)
	g.atEnd[pc] = v
	return v
}

// portAfter returns the shortest port (digits, the first not 0, at most
// five) that the expression accepts to end the input after the leaf pc
// has consumed ":", or false when there is none.
func (g *prog) portAfter(pc uint32) (string, bool) {
	port, ok := g.ports[pc]
	if !ok {
		port = g.shortestPort(pc)
		g.ports[pc] = port
	}
	return port, port != ""
}

func (g *prog) shortestPort(pc uint32) string {
	type state struct {
		pcs    []uint32
		digits string
	}
	queue := []state{{pcs: g.leaves(g.p.Inst[pc].Out, false)}}
	seen := make(map[string]bool)
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s.digits != "" && slices.ContainsFunc(s.pcs, g.acceptsAtEnd) {
			return s.digits
		}
		if len(s.digits) == 5 {
			continue
		}
		for _, d := range []byte("1234567890") {
			if d == '0' && s.digits == "" {
				continue
			}
			var next []uint32
			for _, l := range s.pcs {
				if consumes(&g.p.Inst[l]) && g.chars[l].has(d) {
					next = append(next, g.leaves(g.p.Inst[l].Out, false)...)
				}
			}
			if len(next) == 0 {
				continue
			}
			slices.Sort(next)
			next = slices.Compact(next)
			key := string(rune('0'+len(s.digits))) + pcsKey(next)
			if seen[key] {
				continue
			}
			seen[key] = true
			queue = append(queue, state{next, s.digits + string(d)})
		}
	}
	return ""
}

func pcsKey(pcs []uint32) string {
	b := make([]byte, 0, 4*len(pcs))
	for _, pc := range pcs {
		b = append(b, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	return string(b)
}
