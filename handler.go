package cors

import (
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	origins := r.Header[hdrOrigin]
	// Fetch standard, CORS-preflight request: an OPTIONS request with an
	// Origin and an Access-Control-Request-Method. An OPTIONS request
	// without the latter is an actual request like any other.
	if r.Method == http.MethodOptions && len(origins) > 0 {
		if acrm, ok := r.Header[hdrACRM]; ok {
			return h.preflight(w, r, next, origins, acrm)
		}
	}

	cw := newCORSWriter(w)
	h.policy.actualHeaders(&cw.headers, origins)
	if len(origins) > 0 && cw.headers.values[slotACAO] == "" {
		if c := h.logger.Check(zapcore.DebugLevel, "origin not allowed; response sent without CORS headers"); c != nil {
			c.Write(zap.Strings("origin", origins), zap.String("method", r.Method), zap.String("uri", r.RequestURI))
		}
	}
	return cw.serve(r, next)
}

// preflight answers a CORS-preflight request, or with passthrough_preflight
// decides its headers and lets the next handler answer it.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, origins, acrm []string) error {
	p := h.policy
	acrh := r.Header[hdrACRH]
	names, allowed := h.checkPreflight(origins, acrm, acrh)

	if p.passthrough {
		cw := newCORSWriter(w)
		cw.headers.values[slotVary] = p.preflightVary
		if allowed {
			p.preflightHeaders(&cw.headers, r, origins[0], acrm[0], acrh, names)
		}
		return cw.serve(r, next)
	}
	if !allowed {
		// Fetch: a response without Access-Control-Allow-Origin fails the
		// CORS check. 403 tells people reading the network log why.
		deleteCORS(w.Header())
		w.WriteHeader(http.StatusForbidden)
		return nil
	}
	rh := new(responseHeaders)
	p.preflightHeaders(rh, r, origins[0], acrm[0], acrh, names)
	rh.writeTo(w.Header())
	w.WriteHeader(p.preflightStatus)
	return nil
}

// checkPreflight runs the CORS-preflight checks of the Fetch standard from
// the server's side, in its order: origin, then method, then headers. It
// logs the reason for a denial at debug level and returns the number of
// requested header names.
func (h *Handler) checkPreflight(origins, acrm, acrh []string) (names int, ok bool) {
	p := h.policy
	if len(origins) != 1 || !p.allowOrigin(origins[0]) {
		if c := h.logger.Check(zapcore.DebugLevel, "preflight denied: origin not allowed"); c != nil {
			c.Write(zap.Strings("origin", origins))
		}
		return 0, false
	}
	if len(acrm) != 1 || !p.allowMethod(acrm[0]) {
		if c := h.logger.Check(zapcore.DebugLevel, "preflight denied: method not allowed"); c != nil {
			c.Write(zap.String("origin", origins[0]), zap.Strings("method", acrm))
		}
		return 0, false
	}
	names, bad, ok := p.allowHeaders(acrh)
	if !ok {
		if c := h.logger.Check(zapcore.DebugLevel, "preflight denied: header not allowed"); c != nil {
			if bad == "" {
				c.Write(zap.String("origin", origins[0]), zap.String("reason", "Access-Control-Request-Headers too long or malformed"))
			} else {
				c.Write(zap.String("origin", origins[0]), zap.String("header", bad))
			}
		}
		return 0, false
	}
	return names, true
}

// preflightHeaders decides the headers of an allowed preflight response.
// Method and header names are echoed: that satisfies browsers whether or
// not credentials are on (with credentials "*" would be read literally),
// and the policy has already checked them.
func (p *policy) preflightHeaders(rh *responseHeaders, r *http.Request, origin, method string, acrh []string, names int) {
	rh.values[slotACAO] = origin
	if p.allowAll {
		rh.values[slotACAO] = "*"
	}
	if p.credentials {
		rh.values[slotACAC] = "true"
	}
	rh.values[slotACAM] = method
	if names > 0 {
		rh.values[slotACAH] = joinLines(acrh)
	}
	rh.values[slotACMA] = p.acma
	// Private Network Access: opt in only when asked and configured.
	if p.privateNetwork {
		if v := r.Header[hdrACRPN]; len(v) == 1 && v[0] == "true" {
			rh.values[slotACAPN] = "true"
		}
	}
	rh.values[slotVary] = p.preflightVary
}

// joinLines joins header field lines the way a recipient would combine them.
func joinLines(lines []string) string {
	if len(lines) == 1 {
		return trimOWS(lines[0])
	}
	s := ""
	for _, l := range lines {
		if l = trimOWS(l); l == "" {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += l
	}
	return s
}
