package check

import (
	"slices"
	"sync"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// decided collects the decisions the cors handlers report about one
// request, through decision's hook on the request's context: which cors
// handlers ran, what each decided and why. The handler reports before
// ServeHTTP returns; a lock all the same, since a handler may write the
// response (which is when a decision waiting for a permission lookup is
// reported) from a goroutine of its own.
type decided struct {
	mu        sync.Mutex
	decisions []decision.Decision
}

// report is the hook. d is the handler's pooled value: it is copied.
func (s *decided) report(d *decision.Decision) {
	s.mu.Lock()
	s.decisions = append(s.decisions, *d)
	s.mu.Unlock()
}

// explain lists the refusals among the decisions, as the handlers log
// them, and every decision as its metric counts it ("preflights/allowed",
// "requests/not_allowed", ...), sorted. method and uri are the request's.
func (s *decided) explain(method, uri string) (denials []Denial, handled []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.decisions {
		d := &s.decisions[i]
		if !d.Allowed() {
			denials = append(denials, denialOf(d, method, uri))
		}
		handled = append(handled, d.Counter()+"/"+d.Result())
	}
	slices.Sort(handled)
	return denials, handled
}
