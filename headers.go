package cors

import (
	"net/http"
	"slices"
	"strings"

	"github.com/corsedge/caddy-cors/internal/fetch"
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

// mergeVary adds to Vary the names listed in vary[0] that it lacks,
// keeping what is there; "Vary: *" already covers everything. vary is a
// one-element slice of this request's own, put in as it is when the
// response has no Vary yet.
func mergeVary(h http.Header, vary []string) {
	existing := h[hdrVary]
	if len(existing) == 0 {
		h[hdrVary] = vary
		return
	}
	// Clipped, the first append copies: existing may have spare capacity
	// that someone else's slice shares.
	merged := slices.Clip(existing)
	for name := range strings.SplitSeq(vary[0], ",") {
		name = strings.TrimSpace(name)
		if !fetch.VaryHas(existing, name) {
			merged = append(merged, name)
		}
	}
	if len(merged) != len(existing) {
		h[hdrVary] = merged
	}
}

// exposableNames lists the response's header names that a script could
// not read without Access-Control-Expose-Headers: not CORS-safelisted
// response headers, not Set-Cookie (never exposed). writeTo calls it after
// deleteCORS, so no CORS header is left to list. Keys that are not header
// names are skipped: Go keeps declared trailers under "Trailer:" keys of
// the same map (http.TrailerPrefix), and a handler may put anything in.
func exposableNames(h http.Header) string {
	names := make([]string, 0, len(h))
	for name := range h {
		if fetch.IsSafelistedResponseHeaderName(name) || fetch.IsForbiddenResponseHeaderName(name) || !fetch.IsToken(name) {
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
