package origin

import "regexp/syntax"

// onCycle marks the instructions that lie on a cycle of the program:
// those in a strongly connected component of more than one instruction,
// or with an edge to themselves (Tarjan's algorithm, without recursion,
// since a program can have many thousands of instructions).
func onCycle(p *syntax.Prog) []bool {
	t := tarjan{
		p:       p,
		index:   make([]int, len(p.Inst)),
		low:     make([]int, len(p.Inst)),
		onStack: make([]bool, len(p.Inst)),
		cyclic:  make([]bool, len(p.Inst)),
	}
	for pc := range t.index {
		t.index[pc] = -1
	}
	for pc := range p.Inst {
		if t.index[pc] < 0 {
			t.visit(pc)
		}
	}
	return t.cyclic
}

type tarjan struct {
	p               *syntax.Prog
	index, low      []int
	onStack, cyclic []bool
	stack           []int
	counter         int
}

// successors are the instructions pc can go to next.
func (t *tarjan) successors(pc int) []int {
	inst := &t.p.Inst[pc]
	switch inst.Op {
	case syntax.InstMatch, syntax.InstFail:
		return nil
	case syntax.InstAlt, syntax.InstAltMatch:
		return []int{int(inst.Out), int(inst.Arg)}
	}
	return []int{int(inst.Out)}
}

func (t *tarjan) enter(pc int) {
	t.index[pc], t.low[pc] = t.counter, t.counter
	t.counter++
	t.stack = append(t.stack, pc)
	t.onStack[pc] = true
}

// visit runs the depth-first search from root with a stack of frames,
// each an instruction and how many of its successors it has followed.
func (t *tarjan) visit(root int) {
	type frame struct{ pc, next int }
	frames := []frame{{root, 0}}
	t.enter(root)
	for len(frames) > 0 {
		f := &frames[len(frames)-1]
		if succ := t.successors(f.pc); f.next < len(succ) {
			w := succ[f.next]
			f.next++
			switch {
			case w == f.pc:
				t.cyclic[w] = true
			case t.index[w] < 0:
				t.enter(w)
				frames = append(frames, frame{w, 0})
			case t.onStack[w]:
				t.low[f.pc] = min(t.low[f.pc], t.index[w])
			}
			continue
		}
		v := f.pc
		frames = frames[:len(frames)-1]
		if len(frames) > 0 {
			parent := frames[len(frames)-1].pc
			t.low[parent] = min(t.low[parent], t.low[v])
		}
		if t.low[v] == t.index[v] {
			t.pop(v)
		}
	}
}

// pop takes the component rooted at v off the stack.
func (t *tarjan) pop(v int) {
	i := len(t.stack) - 1
	for t.stack[i] != v {
		i--
	}
	component := t.stack[i:]
	t.stack = t.stack[:i]
	for _, w := range component {
		t.onStack[w] = false
		t.cyclic[w] = t.cyclic[w] || len(component) > 1
	}
}
