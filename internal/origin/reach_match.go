package origin

import "regexp/syntax"

// pinnedSpan reports whether some path through the program matches all
// of s and pins every character of s[from:to], in the sense of pins with
// the given alphabet. It runs the program as a Pike VM whose threads
// carry whether the span is pinned so far; a thread that still has it
// supersedes one that lost it.
func (g *prog) pinnedSpan(s string, from, to int, alphabet charSet) bool {
	cur := make(map[uint32]bool)
	g.addThread(cur, uint32(g.p.Start), true, -1, firstRune(s))
	for i := 0; i < len(s); i++ {
		next := make(map[uint32]bool)
		after := rune(-1)
		if i+1 < len(s) {
			after = rune(s[i+1])
		}
		for pc, ok := range cur {
			inst := &g.p.Inst[pc]
			if !consumes(inst) || !g.chars[pc].has(s[i]) {
				continue
			}
			if from <= i && i < to {
				ok = ok && g.pins(pc, alphabet)
			}
			g.addThread(next, inst.Out, ok, rune(s[i]), after)
		}
		cur = next
	}
	for pc, ok := range cur {
		if ok && g.p.Inst[pc].Op == syntax.InstMatch {
			return true
		}
	}
	return false
}

// matches reports whether the program matches all of s.
func (g *prog) matches(s string) bool {
	return g.pinnedSpan(s, 0, 0, charSet{})
}

func firstRune(s string) rune {
	if s == "" {
		return -1
	}
	return rune(s[0])
}

// addThread follows empty moves from pc between the runes before and
// after (-1 at either end), adding the threads that wait for a rune or
// match.
func (g *prog) addThread(list map[uint32]bool, pc uint32, ok bool, before, after rune) {
	if had, seen := list[pc]; seen && (had || !ok) {
		return
	}
	list[pc] = ok
	inst := &g.p.Inst[pc]
	switch inst.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		g.addThread(list, inst.Out, ok, before, after)
		g.addThread(list, inst.Arg, ok, before, after)
	case syntax.InstCapture, syntax.InstNop:
		g.addThread(list, inst.Out, ok, before, after)
	case syntax.InstEmptyWidth:
		op := syntax.EmptyOp(inst.Arg)
		if op&^syntax.EmptyOpContext(before, after) == 0 {
			g.addThread(list, inst.Out, ok, before, after)
		}
	}
}
