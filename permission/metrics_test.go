package permission

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

// The metrics are in each config's registry, a second module in the same
// config is no problem, and no series carries a label from a request.
func TestMetrics(t *testing.T) {
	e := newEndpoint(t, status(200))
	p, _, ctx := provisionHTTP(t, &HTTP{Endpoint: e.URL}, newFakeClock())
	// A second module in the same config (the same context, so the same
	// registry) registers the same collectors: it must provision.
	second := &HTTP{Endpoint: e.URL + "/other"}
	if err := second.Provision(ctx); err != nil {
		t.Fatalf("a second module in the same config: %v", err)
	}
	t.Cleanup(func() { _ = second.Cleanup() })
	if err := metrics.register(ctx); err != nil {
		t.Fatalf("registering again: %v", err)
	}
	hits, misses, allowed := counterValue(metrics.hits), counterValue(metrics.misses), counterValue(metrics.allowed)
	p.Allowed(context.Background(), appOrigin, apiHost)
	p.Allowed(context.Background(), appOrigin, apiHost)
	if d := counterValue(metrics.misses) - misses; d != 1 {
		t.Errorf("misses +%v, want +1", d)
	}
	if d := counterValue(metrics.hits) - hits; d != 1 {
		t.Errorf("hits +%v, want +1", d)
	}
	if d := counterValue(metrics.allowed) - allowed; d != 1 {
		t.Errorf("lookups{result=allowed} +%v, want +1", d)
	}
	families, err := ctx.GetMetricsRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"caddy_cors_permission_lookups_total":           false,
		"caddy_cors_permission_cache_hits_total":        false,
		"caddy_cors_permission_cache_misses_total":      false,
		"caddy_cors_permission_lookups_waiting":         false,
		"caddy_cors_permission_lookups_shed_total":      false,
		"caddy_cors_permission_lookup_duration_seconds": false,
	}
	for _, f := range families {
		found, ok := want[f.GetName()]
		if !ok {
			continue
		}
		if found {
			t.Errorf("%s gathered twice from the config's registry", f.GetName())
		}
		want[f.GetName()] = true
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "result" {
					t.Errorf("%s has label %q", f.GetName(), l.GetName())
				}
			}
		}
	}
	for name, found := range want {
		if !found {
			t.Errorf("%s missing from the config's registry", name)
		}
	}
}

func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	_ = g.Write(&m)
	return m.GetGauge().GetValue()
}
