package cors

import (
	"net/http"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// decidePreflight runs the CORS-preflight check of the Fetch standard
// from the server's side, in its order: origin, then method, then
// headers; and decides the headers of an allowed preflight's response.
// Origin, method and header names are echoed: echoing satisfies browsers
// whether or not credentials are on, where "*" would be read literally.
func (p *policy) decidePreflight(d *decision.Decision, r *http.Request, acrm []string) {
	d.Kind = decision.Preflight
	d.Vary = p.preflightVary
	if d.Origins != 1 || !p.allowOrigin(r, d.Origin) {
		d.Reason = decision.OriginNotAllowed
		return
	}
	if len(acrm) != 1 || !p.allowMethod(acrm[0]) {
		d.Reason = decision.MethodNotAllowed
		if len(acrm) > 0 {
			d.Value = acrm[0]
		}
		return
	}
	acrh := r.Header[hdrACRH]
	names, bad, ok := p.allowHeaders(acrh)
	if !ok {
		d.Reason = decision.HeaderNotAllowed
		d.Value = bad
		return
	}
	d.ACAO = d.Origin
	if p.allowAll {
		d.ACAO = "*"
	}
	if p.credentials {
		d.ACAC = "true"
	}
	d.ACAM = acrm[0]
	if names > 0 {
		d.ACAH = acrh
	}
	d.ACMA = p.acma
	// Private Network Access: opt in only when asked and configured.
	if p.privateNetwork {
		if v := r.Header[hdrACRPN]; len(v) == 1 && v[0] == "true" {
			d.ACAPN = "true"
		}
	}
}

// answerPreflight writes the response to a preflight, as decided.
func (h *Handler) answerPreflight(w http.ResponseWriter, d *decision.Decision) {
	if !d.Allowed() {
		// Fetch: a response without Access-Control-Allow-Origin fails the
		// CORS-preflight check. 403 tells people reading the network log
		// why. No Vary: responses to OPTIONS are not cacheable.
		deleteCORS(w.Header())
		w.WriteHeader(http.StatusForbidden)
		return
	}
	out := decide(d)
	out.writeTo(w.Header())
	w.WriteHeader(h.policy.preflightStatus)
}
