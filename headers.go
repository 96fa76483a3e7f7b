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

// responseHeaders holds the CORS response headers decided for one request.
// An empty string means the header must not be sent. Values go into the
// response header map as one-element slices of backing, which belongs to
// this request alone: a downstream handler that edits a value in place (as
// Caddy's header directive does) can never reach another request.
type responseHeaders struct {
	acao, acac, acam, acah, aceh, acma, acapn string
	vary                                      string // comma-separated names to merge into Vary
	exposeFromResponse                        bool   // compute aceh from the response's own header names

	backing [8]string
}

// writeTo makes the CORS headers of h exactly the decided ones: whatever
// else set them is replaced or removed, and Vary is merged, not replaced.
func (rh *responseHeaders) writeTo(h http.Header) {
	rh.set(h, 0, hdrACAO, rh.acao)
	rh.set(h, 1, hdrACAC, rh.acac)
	rh.set(h, 2, hdrACAM, rh.acam)
	rh.set(h, 3, hdrACAH, rh.acah)
	aceh := rh.aceh
	if rh.exposeFromResponse {
		aceh = exposableNames(h)
	}
	rh.set(h, 4, hdrACEH, aceh)
	rh.set(h, 5, hdrACMA, rh.acma)
	rh.set(h, 6, hdrACAPN, rh.acapn)
	if rh.vary != "" {
		rh.mergeVary(h)
	}
}

func (rh *responseHeaders) set(h http.Header, i int, name, value string) {
	if value == "" {
		delete(h, name)
		return
	}
	rh.backing[i] = value
	h[name] = rh.backing[i : i+1 : i+1]
}

// mergeVary adds the names in rh.vary that Vary lacks, keeping what is
// there; "Vary: *" already covers everything.
func (rh *responseHeaders) mergeVary(h http.Header) {
	existing := h[hdrVary]
	if len(existing) == 0 {
		rh.backing[7] = rh.vary
		h[hdrVary] = rh.backing[7:8:8]
		return
	}
	merged := existing
	for name := range strings.SplitSeq(rh.vary, ",") {
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
// response headers, not Set-Cookie (never exposed), not CORS headers.
func exposableNames(h http.Header) string {
	names := make([]string, 0, len(h))
	for name := range h {
		switch name {
		case "Cache-Control", "Content-Language", "Content-Length", "Content-Type",
			"Expires", "Last-Modified", "Pragma", "Set-Cookie", "Set-Cookie2":
			continue
		}
		if strings.HasPrefix(name, "Access-Control-") {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// ownedHeaders are the response headers this handler decides alone.
var ownedHeaders = [...]string{hdrACAO, hdrACAC, hdrACAM, hdrACAH, hdrACEH, hdrACMA, hdrACAPN}

// deleteCORS removes every CORS response header from h.
func deleteCORS(h http.Header) {
	for _, name := range ownedHeaders {
		delete(h, name)
	}
}
