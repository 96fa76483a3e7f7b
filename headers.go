package cors

import (
	"net/http"
	"slices"
	"strings"
)

// CORS header names, canonical so that map access needs no conversion.
const (
	hdrOrigin = "Origin"
	hdrVary   = "Vary"

	// Request headers of a CORS-preflight request.
	hdrACRM  = "Access-Control-Request-Method"
	hdrACRH  = "Access-Control-Request-Headers"
	hdrACRPN = "Access-Control-Request-Private-Network"

	// Response headers, all owned by this handler.
	hdrACAO  = "Access-Control-Allow-Origin"
	hdrACAC  = "Access-Control-Allow-Credentials"
	hdrACAM  = "Access-Control-Allow-Methods"
	hdrACAH  = "Access-Control-Allow-Headers"
	hdrACEH  = "Access-Control-Expose-Headers"
	hdrACMA  = "Access-Control-Max-Age"
	hdrACAPN = "Access-Control-Allow-Private-Network"
)

// Slots of responseHeaders.values: the CORS response headers, then Vary.
const (
	slotACAO = iota
	slotACAC
	slotACAM
	slotACAH
	slotACEH
	slotACMA
	slotACAPN
	numCORSSlots
	slotVary = numCORSSlots
)

var slotNames = [numCORSSlots]string{hdrACAO, hdrACAC, hdrACAM, hdrACAH, hdrACEH, hdrACMA, hdrACAPN}

// responseHeaders holds the CORS response headers decided for one request,
// by slot; an empty string means the header must not be sent. The values
// go into the response header map as one-element slices of values itself,
// which belongs to this request alone: a downstream handler that edits a
// value in place (as Caddy's header directive does) can never reach
// another request. They are written once per request.
type responseHeaders struct {
	values             [numCORSSlots + 1]string // the last: names to merge into Vary
	exposeFromResponse bool                     // compute ACEH from the response's own header names
}

// writeTo makes the CORS headers of h exactly the decided ones: whatever
// else set them is removed, and Vary is merged, not replaced.
func (rh *responseHeaders) writeTo(h http.Header) {
	deleteCORS(h)
	if rh.exposeFromResponse {
		rh.values[slotACEH] = exposableNames(h)
	}
	for i := range numCORSSlots {
		if rh.values[i] != "" {
			h[slotNames[i]] = rh.values[i : i+1 : i+1]
		}
	}
	if rh.values[slotVary] != "" {
		rh.mergeVary(h)
	}
}

// mergeVary adds the names in the Vary slot that Vary lacks, keeping what is
// there; "Vary: *" already covers everything.
func (rh *responseHeaders) mergeVary(h http.Header) {
	existing := h[hdrVary]
	if len(existing) == 0 {
		h[hdrVary] = rh.values[slotVary : slotVary+1 : slotVary+1]
		return
	}
	merged := existing
	for name := range strings.SplitSeq(rh.values[slotVary], ",") {
		name = strings.TrimSpace(name)
		if !varyHas(existing, name) {
			// Clip first: existing may have spare capacity that someone
			// else's slice shares.
			merged = append(slices.Clip(merged), name)
		}
	}
	if len(merged) != len(existing) {
		h[hdrVary] = merged
	}
}

// varyHas reports whether the Vary field values list name, or "*".
func varyHas(values []string, name string) bool {
	for _, v := range values {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "*" || strings.EqualFold(tok, name) {
				return true
			}
		}
	}
	return false
}

// exposableNames lists the response's header names that a script could
// not read without Access-Control-Expose-Headers: not CORS-safelisted
// response headers, not Set-Cookie (never exposed). writeTo calls it after
// deleteCORS, so no CORS header is left to list.
func exposableNames(h http.Header) string {
	names := make([]string, 0, len(h))
	for name := range h {
		switch name {
		case "Cache-Control", "Content-Language", "Content-Length", "Content-Type",
			"Expires", "Last-Modified", "Pragma", "Set-Cookie", "Set-Cookie2":
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// deleteCORS removes every CORS response header from h: the
// Access-Control-* names, in any case. One pass over the map costs less
// than deleting each name, which hashes it.
func deleteCORS(h http.Header) {
	for name := range h {
		if len(name) > len(corsPrefix) && (name[0] == 'A' || name[0] == 'a') && strings.EqualFold(name[:len(corsPrefix)], corsPrefix) {
			delete(h, name)
		}
	}
}

const corsPrefix = "Access-Control-"
