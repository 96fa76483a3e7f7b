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
	cw.exposeFromResponse = h.policy.actualHeaders(&cw.headers, r, origins)
	switch {
	case len(origins) == 0:
		h.metrics.noOrigin.Inc()
	case cw.headers[slotACAO] == "":
		h.metrics.notAllowed.Inc()
		if c := h.logger.Check(zapcore.DebugLevel, "origin not allowed; response sent without CORS headers"); c != nil {
			c.Write(zap.Strings("origin", origins), zap.String("method", r.Method), zap.String("uri", r.RequestURI))
		}
	default:
		h.metrics.allowed.Inc()
	}
	return cw.serve(r, next)
}
