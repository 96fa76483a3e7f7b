package cors

import (
	"errors"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics, served at Caddy's metrics endpoint with the rest of the
// config's metrics. Their one label, result, takes a fixed set of values
// named here, never a value from a request, so the series stay few.
//
//	caddy_cors_preflights_total{result="allowed|denied_origin|denied_method|denied_header"}
//	caddy_cors_requests_total{result="allowed|not_allowed|no_origin"}
var corsMetrics = struct {
	once       sync.Once
	preflights *prometheus.CounterVec
	requests   *prometheus.CounterVec
}{}

// handlerMetrics are the counters one handler adds to, resolved at
// provision: on the request path each outcome is one atomic add.
type handlerMetrics struct {
	preflightAllowed, deniedOrigin, deniedMethod, deniedHeader prometheus.Counter
	allowed, notAllowed, noOrigin                              prometheus.Counter
}

func initCORSMetrics() {
	const ns, sub = "caddy", "cors"
	corsMetrics.preflights = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns,
		Subsystem: sub,
		Name:      "preflights_total",
		Help:      "CORS-preflight requests answered or decided by the cors handler, by result: allowed, denied_origin, denied_method, denied_header.",
	}, []string{"result"})
	corsMetrics.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns,
		Subsystem: sub,
		Name:      "requests_total",
		Help:      "Actual (non-preflight) requests through the cors handler, by result: allowed (CORS headers sent), not_allowed (an Origin that is not allowed), no_origin.",
	}, []string{"result"})
}

// provisionMetrics registers the collectors with the config's registry
// (each config has its own; the collectors are created once per process,
// so counts survive reloads) and resolves this handler's counters. Several
// cors handlers register the same collectors: that duplicate is expected.
func (h *Handler) provisionMetrics(ctx caddy.Context) error {
	corsMetrics.once.Do(initCORSMetrics)
	if reg := ctx.GetMetricsRegistry(); reg != nil {
		for _, c := range []prometheus.Collector{corsMetrics.preflights, corsMetrics.requests} {
			var already prometheus.AlreadyRegisteredError
			if err := reg.Register(c); err != nil && !errors.As(err, &already) {
				return err
			}
		}
	}
	p, r := corsMetrics.preflights, corsMetrics.requests
	h.metrics = handlerMetrics{
		preflightAllowed: p.WithLabelValues("allowed"),
		deniedOrigin:     p.WithLabelValues("denied_origin"),
		deniedMethod:     p.WithLabelValues("denied_method"),
		deniedHeader:     p.WithLabelValues("denied_header"),
		allowed:          r.WithLabelValues("allowed"),
		notAllowed:       r.WithLabelValues("not_allowed"),
		noOrigin:         r.WithLabelValues("no_origin"),
	}
	return nil
}
