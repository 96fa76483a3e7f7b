package permission

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"

	cmetrics "github.com/corsedge/caddy-cors/internal/metrics"
)

// Metrics of every permission.http module in the process. They are
// created once, outlive config reloads, and are registered in each new
// config's registry (Caddy gives every load a fresh one). No label takes
// a value from a request: origins and hosts are attacker-controlled and
// would grow the series without bound.
var metrics = newMetrics()

type permissionMetrics struct {
	lookups  *prometheus.CounterVec
	allowed  prometheus.Counter // lookups{result="allowed"}, resolved once
	denied   prometheus.Counter
	errored  prometheus.Counter
	hits     prometheus.Counter
	misses   prometheus.Counter
	waiting  prometheus.Gauge
	shed     prometheus.Counter
	duration prometheus.Histogram
}

func newMetrics() *permissionMetrics {
	const ns, sub = cmetrics.Namespace, cmetrics.Subsystem + "_permission"
	m := &permissionMetrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "lookups_total",
			Help: "Lookups sent to permission endpoints, by result (allowed, denied, error).",
		}, []string{"result"}),
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "cache_hits_total",
			Help: "Origin decisions answered from the permission cache.",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "cache_misses_total",
			Help: "Origin decisions not in the permission cache (well-formed origins and hosts only).",
		}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "lookups_waiting",
			Help: "Lookups waiting for a free slot (max_concurrent are in flight).",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "lookups_shed_total",
			Help: "Requests denied because no answer came within the timeout (no free slot in time, or a slow endpoint); nothing was cached for them.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "lookup_duration_seconds",
			Help:    "Time a permission endpoint took to answer, errors and timeouts included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	m.allowed = m.lookups.WithLabelValues(resultAllowed.String())
	m.denied = m.lookups.WithLabelValues(resultDenied.String())
	m.errored = m.lookups.WithLabelValues(resultError.String())
	return m
}

// register adds the collectors to the registry of ctx's config.
func (m *permissionMetrics) register(ctx caddy.Context) error {
	return cmetrics.Register(ctx, m.lookups, m.hits, m.misses, m.waiting, m.shed, m.duration)
}

func (m *permissionMetrics) countLookup(r result) {
	switch r {
	case resultAllowed:
		m.allowed.Inc()
	case resultDenied:
		m.denied.Inc()
	case resultError:
		m.errored.Inc()
	}
}
