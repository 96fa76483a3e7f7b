package cors

import (
	"math/bits"
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
	if d.Kind == decision.Preflight {
		return decidePreflightValues(d)
	}
	out := decided{expose: d.ExposeFromResponse}
	if d.ACAO == "" { // Vary alone: no Origin, same-origin, not allowed
		v := new([1]string)
		v[0] = d.Vary
		out.vals, out.set = v[:], 1<<slotVary
		return out
	}
	// An allowed actual request: ACAO, ACAC and ACEH when sent, Vary.
	var v []string
	switch {
	case d.ACAC != "" && (d.ACEH != "" || out.expose):
		v = new([4]string)[:]
	case d.ACAC != "" || d.ACEH != "" || out.expose:
		v = new([3]string)[:]
	default:
		v = new([2]string)[:]
	}
	v[0], out.set = d.ACAO, 1<<slotACAO
	j := 1
	if d.ACAC != "" {
		v[j], out.set = d.ACAC, out.set|1<<slotACAC
		j++
	}
	if d.ACEH != "" || out.expose {
		v[j], out.set = d.ACEH, out.set|1<<slotACEH
		j++
	}
	v[j], out.set = d.Vary, out.set|1<<slotVary
	out.vals = v
	return out
}

// decidePreflightValues is decide for a preflight, whose response has
// up to all eight slots.
func decidePreflightValues(d *decision.Decision) decided {
	var all [numSlots]string
	all[slotACAO], all[slotACAC], all[slotACEH] = d.ACAO, d.ACAC, d.ACEH
	all[slotACAM], all[slotACMA], all[slotACAPN], all[slotVary] = d.ACAM, d.ACMA, d.ACAPN, d.Vary
	var out decided
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
	if n == 0 {
		return out
	}
	out.vals = make([]string, 0, n)
	for _, v := range all {
		if v != "" {
			out.vals = append(out.vals, v)
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
	if out.acah != nil {
		h[hdrACAH] = out.acah
	}
	j := 0
	for set := out.set &^ (1 << slotVary); set != 0; set &= set - 1 {
		i := bits.TrailingZeros8(set)
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
