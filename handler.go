package cors

import (
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// ServeHTTP implements caddyhttp.MiddlewareHandler. It classifies and
// decides the request once (a decision.Decision), records the decision,
// and serves it: a preflight is answered here unless
// passthrough_preflight; everything else goes to next through a writer
// that settles the decided headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	var d decision.Decision
	answer := h.decide(&d, r)
	if h.policy.reportOnly {
		return h.serveReportOnly(w, r, next, &d, answer)
	}
	if answer != nil {
		// Recorded when the answer comes, as the headers are written.
		return h.serveNext(w, r, next, decided{}, &pending{d: d, answer: answer})
	}
	h.record(r, &d)
	if d.Kind == decision.Preflight && !h.policy.passthrough {
		h.answerPreflight(w, &d)
		return nil
	}
	return h.serveNext(w, r, next, decide(&d), nil)
}

// decide classifies r as the Fetch standard does and decides it into d.
// For an actual request whose origin awaits a permission lookup, it
// returns the channel the answer comes on, and d is completed then.
func (h *Handler) decide(d *decision.Decision, r *http.Request) (answer <-chan bool) {
	origins := r.Header[hdrOrigin]
	if d.Origins = len(origins); d.Origins > 0 {
		d.Origin = origins[0]
	}
	switch {
	case d.Origins == 0:
		h.policy.decideNoOrigin(d)
	case d.Origins == 1 && sameOrigin(r, d.Origin):
		h.policy.decideSameOrigin(d)
	case r.Method == http.MethodOptions && r.Header[hdrACRM] != nil:
		// CORS-preflight request: an OPTIONS request with an Origin and
		// an Access-Control-Request-Method. An OPTIONS request without
		// the latter is an actual request.
		h.policy.decidePreflight(d, r, r.Header[hdrACRM])
	default:
		return h.policy.decideActual(d, r)
	}
	return nil
}

// record counts a final decision, logs a denial at debug level, and hands
// the decision to `caddy cors check`'s hook when one is installed.
func (h *Handler) record(r *http.Request, d *decision.Decision) {
	h.metrics.count(d)
	if d.Reason != decision.Allowed {
		if c := h.logger.Check(zapcore.DebugLevel, d.Message()); c != nil {
			c.Write(denialFields(r, d)...)
		}
	}
	decision.Report(r.Context(), d)
}

// denialFields are the fields of a denial's debug line: the Origin lines
// when the origin was refused, else the one origin and what was refused.
func denialFields(r *http.Request, d *decision.Decision) []zap.Field {
	var fields []zap.Field
	if d.Reason == decision.OriginNotAllowed {
		fields = append(fields, zap.Strings("origin", r.Header[hdrOrigin]))
	} else {
		fields = append(fields, zap.String("origin", d.Origin))
	}
	switch d.Reason {
	case decision.MethodNotAllowed:
		fields = append(fields, zap.Strings("method", r.Header[hdrACRM]))
	case decision.HeaderNotAllowed:
		if d.Value == "" {
			fields = append(fields, zap.String("reason", "Access-Control-Request-Headers too long or malformed"))
		} else {
			fields = append(fields, zap.String("header", d.Value))
		}
	}
	if d.Kind == decision.Actual {
		fields = append(fields, zap.String("method", r.Method), zap.String("uri", r.RequestURI))
	}
	return fields
}
