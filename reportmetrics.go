package cors

import (
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corsedge/caddy-cors/internal/decision"
	"github.com/corsedge/caddy-cors/internal/metrics"
)

// report_only's metric, in the config's registry with the module's
// others. Its labels take fixed values, never a value from a request:
//
//	caddy_cors_report_only_total{kind="preflight|actual", outcome="same|would_block|would_allow|would_hide_headers|would_expose_headers"}
var reportOnlyTotal = struct {
	once sync.Once
	vec  *prometheus.CounterVec
}{}

// reporter is what a report_only handler records its judgments with:
// the counters, resolved at provision so that counting is one atomic
// add, and the limits of its log lines.
type reporter struct {
	counts [2][numOutcomes]prometheus.Counter // [kindIndex][outcome]
	log    *reportLog
}

// kindIndex is the row of reporter.counts for a request of kind k.
func kindIndex(k decision.Kind) int {
	if k == decision.Preflight {
		return 1
	}
	return 0
}

// provisionReport sets up the reporter of a handler in report_only mode
// (and none otherwise: its series then stay out of the registry).
func (h *Handler) provisionReport(ctx caddy.Context) error {
	h.report = nil
	if h.policy == nil || !h.policy.reportOnly {
		return nil
	}
	reportOnlyTotal.once.Do(func() {
		reportOnlyTotal.vec = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace,
			Subsystem: metrics.Subsystem,
			Name:      "report_only_total",
			Help:      "Cross-origin requests judged by cors handlers in report_only mode, by kind (preflight, actual) and outcome: same, would_block (enforcing would break this caller), would_allow (enforcing would let in a caller the response refuses), would_hide_headers, would_expose_headers (a script could read fewer or more response headers).",
		}, []string{"kind", "outcome"})
	})
	if err := metrics.Register(ctx, reportOnlyTotal.vec); err != nil {
		return err
	}
	r := &reporter{log: newReportLog()}
	for i, kind := range [2]string{"actual", "preflight"} {
		for o := range numOutcomes {
			r.counts[i][o] = reportOnlyTotal.vec.WithLabelValues(kind, o.String())
		}
	}
	h.report = r
	return nil
}

// record counts a judgment and logs it, within the log's limits, when
// enforcing would change something.
func (rp *reporter) record(rw *reportWriter, j judgment) {
	rp.counts[kindIndex(rw.d.Kind)][j.outcome].Inc()
	if j.outcome != same {
		rw.h.logReport(rw, j)
	}
}
