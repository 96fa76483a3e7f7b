package cors

import (
	"net/http"
	"slices"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// preflight answers a CORS-preflight request, or with passthrough_preflight
// decides its headers and lets the next handler answer it.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, origins, acrm []string) error {
	p := h.policy
	names, allowed := h.checkPreflight(r, origins, acrm, r.Header[hdrACRH])

	if p.passthrough {
		cw := newCORSWriter(w)
		cw.preflight = &passthroughPreflight{policy: p, r: r, allowed: allowed, names: names}
		return cw.serve(r, next)
	}
	if !allowed {
		// Fetch: a response without Access-Control-Allow-Origin fails the
		// CORS check. 403 tells people reading the network log why.
		deleteCORS(w.Header())
		w.WriteHeader(http.StatusForbidden)
		return nil
	}
	p.writePreflight(w.Header(), r, names)
	w.WriteHeader(p.preflightStatus)
	return nil
}

// checkPreflight runs the CORS-preflight checks of the Fetch standard from
// the server's side, in its order: origin, then method, then headers. It
// logs the reason for a denial at debug level and returns the number of
// requested header names.
func (h *Handler) checkPreflight(r *http.Request, origins, acrm, acrh []string) (names int, ok bool) {
	p := h.policy
	if len(origins) != 1 || !p.allowOrigin(r, origins[0]) {
		h.metrics.deniedOrigin.Inc()
		if c := h.logger.Check(zapcore.DebugLevel, "preflight denied: origin not allowed"); c != nil {
			c.Write(zap.Strings("origin", origins))
		}
		return 0, false
	}
	if len(acrm) != 1 || !p.allowMethod(acrm[0]) {
		h.metrics.deniedMethod.Inc()
		if c := h.logger.Check(zapcore.DebugLevel, "preflight denied: method not allowed"); c != nil {
			c.Write(zap.String("origin", origins[0]), zap.Strings("method", acrm))
		}
		return 0, false
	}
	names, bad, ok := p.allowHeaders(acrh)
	if !ok {
		h.metrics.deniedHeader.Inc()
		if c := h.logger.Check(zapcore.DebugLevel, "preflight denied: header not allowed"); c != nil {
			if bad == "" {
				c.Write(zap.String("origin", origins[0]), zap.String("reason", "Access-Control-Request-Headers too long or malformed"))
			} else {
				c.Write(zap.String("origin", origins[0]), zap.String("header", bad))
			}
		}
		return 0, false
	}
	h.metrics.preflightAllowed.Inc()
	return names, true
}

// writePreflight makes the CORS headers of h those of an allowed preflight
// response to r, which checkPreflight has checked. Origin, method and
// header names are echoed (Go's header parsing has already trimmed them):
// echoing satisfies browsers whether or not credentials are on, where "*"
// would be read literally. Every value is this response's own, in one
// small array: never the request's slices, which a downstream handler
// editing the response in place (Caddy's header directive) would rewrite.
func (p *policy) writePreflight(h http.Header, r *http.Request, names int) {
	deleteCORS(h)
	s := new(slots)
	if p.allowAll {
		h[hdrACAO] = s.one("*")
	} else {
		h[hdrACAO] = s.one(r.Header[hdrOrigin][0])
	}
	if p.credentials {
		h[hdrACAC] = s.one("true")
	}
	h[hdrACAM] = s.one(r.Header[hdrACRM][0])
	if names > 0 {
		if acrh := r.Header[hdrACRH]; len(acrh) == 1 {
			h[hdrACAH] = s.one(acrh[0])
		} else {
			h[hdrACAH] = slices.Clone(acrh) // a client that split the list: rare
		}
	}
	if p.acma != "" {
		h[hdrACMA] = s.one(p.acma)
	}
	// Private Network Access: opt in only when asked and configured.
	if p.privateNetwork {
		if v := r.Header[hdrACRPN]; len(v) == 1 && v[0] == "true" {
			h[hdrACAPN] = s.one("true")
		}
	}
	mergeVary(h, s.one(p.preflightVary))
}

// slots backs the values of a preflight response: ACAO, ACAC, ACAM,
// ACAH, ACMA, ACAPN and Vary, never more than seven.
type slots struct {
	values [7]string
	n      int
}

// one returns a one-element slice holding v, backed by s.
func (s *slots) one(v string) []string {
	s.values[s.n] = v
	s.n++
	return s.values[s.n-1 : s.n : s.n]
}

// passthroughPreflight is what a corsWriter needs to settle the headers of
// a preflight that the next handler answers (passthrough_preflight).
type passthroughPreflight struct {
	policy  *policy
	r       *http.Request
	allowed bool
	names   int
}

func (pp *passthroughPreflight) writeTo(h http.Header) {
	if pp.allowed {
		pp.policy.writePreflight(h, pp.r, pp.names)
		return
	}
	deleteCORS(h)
	mergeVary(h, []string{pp.policy.preflightVary})
}
