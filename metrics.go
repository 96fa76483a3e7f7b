package cors

import (
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corsedge/caddy-cors/internal/decision"
	"github.com/corsedge/caddy-cors/internal/metrics"
)

// Metrics, served at Caddy's metrics endpoint with the rest of the
// config's metrics. Their one label, result, takes a fixed set of values
// named here, never a value from a request, so the series stay few.
//
//	caddy_cors_preflights_total{result="allowed|denied_origin|denied_method|denied_header"}
//	caddy_cors_requests_total{result="allowed|not_allowed|no_origin|same_origin"}
var corsMetrics = struct {
	once       sync.Once
	preflights *prometheus.CounterVec
	requests   *prometheus.CounterVec
}{}

// handlerMetrics are the counters one handler adds to, resolved at
// provision: on the request path each decision is one atomic add.
type handlerMetrics struct {
	preflight            [numReasons]prometheus.Counter // by decision.Reason
	actual               [numReasons]prometheus.Counter // allowed, not_allowed
	noOrigin, sameOrigin prometheus.Counter
}

const numReasons = int(decision.HeaderNotAllowed) + 1

func initCORSMetrics() {
	corsMetrics.preflights = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace,
		Subsystem: metrics.Subsystem,
		Name:      "preflights_total",
		Help:      "CORS-preflight requests answered or decided by the cors handler, by result: allowed, denied_origin, denied_method, denied_header.",
	}, []string{"result"})
	corsMetrics.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace,
		Subsystem: metrics.Subsystem,
		Name:      "requests_total",
		Help:      "Other requests through the cors handler, by result: allowed (CORS headers sent), not_allowed (a cross-origin request from an origin that is not allowed), no_origin, same_origin (the site's own requests: not CORS).",
	}, []string{"result"})
}

// provisionMetrics registers the collectors with the config's registry
// and resolves this handler's counters.
func (h *Handler) provisionMetrics(ctx caddy.Context) error {
	corsMetrics.once.Do(initCORSMetrics)
	if err := metrics.Register(ctx, corsMetrics.preflights, corsMetrics.requests); err != nil {
		return err
	}
	p, r := corsMetrics.preflights, corsMetrics.requests
	h.metrics = handlerMetrics{noOrigin: r.WithLabelValues("no_origin"), sameOrigin: r.WithLabelValues("same_origin")}
	for reason := range decision.Reason(numReasons) {
		d := decision.Decision{Kind: decision.Preflight, Reason: reason}
		h.metrics.preflight[reason] = p.WithLabelValues(d.Result())
		d.Kind = decision.Actual
		h.metrics.actual[reason] = r.WithLabelValues(d.Result())
	}
	return nil
}

// count adds a final decision to its counter.
func (m *handlerMetrics) count(d *decision.Decision) {
	switch d.Kind {
	case decision.NoOrigin:
		m.noOrigin.Inc()
	case decision.SameOrigin:
		m.sameOrigin.Inc()
	case decision.Preflight:
		m.preflight[d.Reason].Inc()
	default:
		m.actual[d.Reason].Inc()
	}
}
