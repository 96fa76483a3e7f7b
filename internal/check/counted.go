package check

import (
	"slices"
	"strings"
)

// corsCounts reads the cors handler's counters (caddy_cors_*_total) from
// the config's metrics registry, by "metric/result".
func (c *Config) corsCounts() map[string]float64 {
	reg := c.ctx.GetMetricsRegistry()
	if reg == nil {
		return nil
	}
	families, err := reg.Gather()
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	for _, f := range families {
		name, ok := strings.CutPrefix(f.GetName(), "caddy_cors_")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "_total")
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					out[name+"/"+l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// counted lists what the cors handlers counted between two readings, e.g.
// "preflights/denied_header": which cors handlers ran, and what they
// decided. The counters are the process's; a check is the only traffic
// of its process, or runs while the browser suite's browser is idle.
func counted(before, after map[string]float64) []string {
	var out []string
	for k, v := range after {
		for n := before[k]; n < v; n++ {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
