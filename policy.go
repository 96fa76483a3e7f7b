package cors

import (
	"net/http"

	"github.com/corsedge/caddy-cors/internal/decision"
	"github.com/corsedge/caddy-cors/internal/fetch"
	"github.com/corsedge/caddy-cors/internal/origin"
	"github.com/corsedge/caddy-cors/permission"
)

// policy is a compiled, validated configuration. It is read-only once
// built, so requests share it without locks.
type policy struct {
	origins    *origin.Set
	permission permission.Checker // asked about origins that origins does not allow, or nil
	cached     permission.Cached  // permission's non-blocking side, or nil
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

	reportOnly bool // change no response; judge and report what enforcing would change (reportonly.go)

	warnings []string // logged once at provision
	notes    []string // logged once at provision, at info level: not problems, but surprises
}

// decideNoOrigin decides a request without Origin: not a CORS request.
// Vary: Origin all the same, so that a cache never serves this response
// to a request that has one. allow_all's "*" is sent to every request.
func (p *policy) decideNoOrigin(d *decision.Decision) {
	d.Kind = decision.NoOrigin
	d.Vary = "Origin"
	if p.allowAll {
		d.ACAO = "*"
		d.ACEH = p.aceh
	}
}

// decideSameOrigin decides a request from the request's own origin
// (Fetch: not a CORS request; the browser reads the response whatever it
// carries): nothing but Vary: Origin, and no permission lookup.
func (p *policy) decideSameOrigin(d *decision.Decision) {
	d.Kind = decision.SameOrigin
	d.Vary = "Origin"
}

// decideActual decides an actual (non-preflight) cross-origin request:
// the Fetch standard's CORS check from the server's side. When the
// origin awaits a permission lookup, it returns the channel its answer
// comes on, and completeActual finishes d with it; the lookup then runs
// beside the next handler, since the response body never depends on it.
func (p *policy) decideActual(d *decision.Decision, r *http.Request) (lookup <-chan bool) {
	d.Kind = decision.Actual
	// Vary: Origin on every response, allow_all's too. allow_all's answer
	// is the same for every origin, but another cors handler on the same
	// route may decide by origin (everyone anonymously, your own app with
	// credentials): without Vary, a shared cache would serve the "*" copy
	// to the app's credentialed request, which browsers then refuse.
	d.Vary = "Origin"
	if p.allowAll {
		d.ACAO = "*"
		d.ACEH = p.aceh
		return nil
	}
	// Browsers send exactly one Origin; several are not an origin at all.
	if d.Origins != 1 {
		d.Reason = decision.OriginNotAllowed
		return nil
	}
	if p.origins.Contains(d.Origin) {
		p.completeActual(d, true)
		return nil
	}
	if p.permission == nil {
		p.completeActual(d, false)
		return nil
	}
	if p.cached != nil {
		if allowed, known := p.cached.Cached(d.Origin, r.Host); known {
			p.completeActual(d, allowed)
			return nil
		}
		return p.lookup(r, d.Origin)
	}
	p.completeActual(d, p.permission.Allowed(r.Context(), d.Origin, r.Host))
	return nil
}

// lookup asks the permission module in the background. The module bounds
// the wait by its timeout and the request's context, so the goroutine
// always ends; the channel's buffer lets it end even if nobody reads.
func (p *policy) lookup(r *http.Request, o string) <-chan bool {
	ch := make(chan bool, 1)
	ctx, host, checker := r.Context(), r.Host, p.permission
	go func() { ch <- checker.Allowed(ctx, o, host) }()
	return ch
}

// completeActual finishes the decision about an actual request once
// whether its origin is allowed is known.
func (p *policy) completeActual(d *decision.Decision, allowed bool) {
	if !allowed {
		d.Reason = decision.OriginNotAllowed
		return
	}
	d.Reason = decision.Allowed
	d.ACAO = d.Origin
	if p.credentials {
		d.ACAC = "true"
	}
	d.ACEH = p.aceh
	d.ExposeFromResponse = p.exposeFromResponse
}

// allowOrigin reports whether the Origin o of request r may read
// responses: allow_all, the static origins, patterns and regexps or, for
// what they do not allow, the permission module, waited for. The static
// check comes first and never causes a lookup; the module sees the
// request's Host, so that one endpoint can answer per tenant.
func (p *policy) allowOrigin(r *http.Request, o string) bool {
	if p.allowAll || p.origins.Contains(o) {
		return true
	}
	return p.permission != nil && p.permission.Allowed(r.Context(), o, r.Host)
}

// allowMethod implements the method half of the Fetch standard's
// CORS-preflight check from the server side: m must be CORS-safelisted,
// listed, or allowed by "*".
func (p *policy) allowMethod(m string) bool {
	if fetch.IsSafelistedMethod(m) {
		return true
	}
	if p.anyMethod {
		return fetch.IsToken(m) && !fetch.IsForbiddenMethod(m)
	}
	_, ok := p.methods[m]
	return ok
}
