package cors

import (
	"net/http"
	"slices"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// Slots of the headers a decision implies, in the order they are written.
const (
	slotACAO = iota
	slotACAC
	slotACEH
	slotACAM
	slotACAH
	slotACMA
	slotACAPN
	slotVary // names merged into Vary
	numSlots
)

// slotNames are the header names of the slots but Vary, which is merged.
var slotNames = [numSlots - 1]string{hdrACAO, hdrACAC, hdrACEH, hdrACAM, hdrACAH, hdrACMA, hdrACAPN}

// decided is what a response gets from a decision: the values of its CORS
// headers, in an array that belongs to this response alone (the one
// allocation of a request), never a slice shared with another response or
// with the request. A downstream handler that edits values in place, as
// Caddy's header directive does, so reaches nothing else, and net/http
// may serialize the header map after ServeHTTP has returned.
type decided struct {
	vals   []string // the present values, in slot order
	set    uint8    // bit i: slot i is present
	expose bool     // ACEH lists the response's own names (expose_headers * with credentials)
	acah   []string // ACAH when a client split its request list over lines: rare
}

// decide turns d into the values a response carries.
func decide(d *decision.Decision) decided {
	var all [numSlots]string
	all[slotACAO], all[slotACAC], all[slotACEH] = d.ACAO, d.ACAC, d.ACEH
	all[slotACAM], all[slotACMA], all[slotACAPN], all[slotVary] = d.ACAM, d.ACMA, d.ACAPN, d.Vary
	out := decided{expose: d.ExposeFromResponse}
	switch len(d.ACAH) {
	case 0:
	case 1:
		all[slotACAH] = d.ACAH[0]
	default:
		out.acah = slices.Clone(d.ACAH)
	}
	n := 0
	for i, v := range all {
		if v != "" {
			out.set |= 1 << i
			n++
		}
	}
	if out.expose {
		out.set |= 1 << slotACEH // filled in when the response is written
		if all[slotACEH] == "" {
			n++
		}
	}
	switch n {
	case 0:
		return out
	case 1: // Vary alone: no Origin, same-origin, not allowed
		out.vals = new([1]string)[:]
	case 2, 3: // an actual request allowed: ACAO, (ACAC,) Vary
		out.vals = new([3]string)[:]
	default:
		out.vals = make([]string, n)
	}
	j := 0
	for i, v := range all {
		if out.set&(1<<i) != 0 {
			out.vals[j] = v
			j++
		}
	}
	return out
}

// writeTo makes the CORS headers of h exactly the decided ones: whatever
// else set them is removed, and Vary is merged, not replaced.
func (out *decided) writeTo(h http.Header) {
	deleteCORS(h)
	var exposed string
	if out.expose {
		exposed = exposableNames(h) // before any CORS header is set
	}
	j := 0
	for i := range numSlots - 1 {
		if out.set&(1<<i) == 0 {
			if i == slotACAH && out.acah != nil {
				h[hdrACAH] = out.acah
			}
			continue
		}
		if i == slotACEH && out.expose {
			if out.vals[j] = exposed; exposed == "" {
				j++
				continue // nothing to expose
			}
		}
		h[slotNames[i]] = out.vals[j : j+1 : j+1]
		j++
	}
	if out.set&(1<<slotVary) != 0 {
		mergeVary(h, out.vals[j:j+1:j+1])
	}
}
