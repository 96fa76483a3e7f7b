package cors

import (
	"net/http"

	"github.com/corsedge/caddy-cors/internal/fetch"
	"github.com/corsedge/caddy-cors/internal/origin"
	"github.com/corsedge/caddy-cors/permission"
)

// policy is a compiled, validated configuration. It is read-only once
// built, so requests share it without locks.
type policy struct {
	origins    *origin.Set
	permission permission.Checker // asked about origins that origins does not allow, or nil
	allowAll   bool               // implies no credentials: "Access-Control-Allow-Origin: *" on every response

	anyMethod bool
	methods   map[string]struct{} // case-sensitive, as the Fetch standard compares them

	anyHeader    bool
	headers      map[string]struct{} // lower case
	maxHeaderLen int                 // longest name in headers: longer requested names cannot match

	credentials        bool
	aceh               string // Access-Control-Expose-Headers value, "" for none
	exposeFromResponse bool   // expose_headers * with credentials: list the response's own names

	acma           string // Access-Control-Max-Age value, "" for none
	privateNetwork bool

	preflightStatus int
	preflightVary   string
	passthrough     bool

	warnings []string // logged once at provision
	notes    []string // logged once at provision, at info level: not problems, but surprises
}

// allowOrigin reports whether the Origin o of request r may read responses.
func (p *policy) allowOrigin(r *http.Request, o string) bool {
	return p.allowAll || p.allowListed(r, o)
}

// allowMethod implements the method half of the Fetch standard's
// CORS-preflight check from the server side: m must be CORS-safelisted,
// listed, or allowed by "*".
func (p *policy) allowMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST":
		return true
	}
	if p.anyMethod {
		return isToken(m) && !fetch.IsForbiddenMethod(m)
	}
	_, ok := p.methods[m]
	return ok
}

// actualHeaders decides the CORS headers of a response to an actual
// (non-preflight) request, Fetch standard's "CORS check" from the server
// side. exposeFromResponse reports that ACEH must list the response's own
// header names (expose_headers * with credentials).
func (p *policy) actualHeaders(ah *actualHeaders, r *http.Request, origins []string) (exposeFromResponse bool) {
	// Vary: Origin on every response, allow_all's too. allow_all's answer
	// is the same for every origin, but another cors handler on the same
	// route may decide by origin (everyone anonymously, your own app with
	// credentials): without Vary, a shared cache would serve the "*" copy
	// to the app's credentialed request, which browsers then refuse.
	ah[slotVary] = "Origin"
	if p.allowAll {
		ah[slotACAO] = "*"
		ah[slotACEH] = p.aceh
		return false
	}
	// Browsers send exactly one Origin; several are not an origin at all.
	if len(origins) != 1 || !p.allowListed(r, origins[0]) {
		return false
	}
	ah[slotACAO] = origins[0]
	if p.credentials {
		ah[slotACAC] = "true"
	}
	ah[slotACEH] = p.aceh
	return p.exposeFromResponse
}
