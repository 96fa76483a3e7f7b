// Package metrics registers the module's Prometheus collectors with a
// Caddy config's registry, the one way for the handler and its guest
// modules.
package metrics

import (
	"errors"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Namespace and Subsystem prefix every metric of this module:
// caddy_cors_<name>.
const (
	Namespace = "caddy"
	Subsystem = "cors"
)

// Register adds collectors, created once per process so that counts
// survive reloads, to the registry of ctx's config (Caddy gives each load
// a fresh one). Several handlers or modules of one config register the
// same collectors: that duplicate is expected and ignored. A context
// without a registry (a bare caddy.Context in unit tests) registers
// nothing.
func Register(ctx caddy.Context, collectors ...prometheus.Collector) error {
	reg := ctx.GetMetricsRegistry()
	if reg == nil {
		return nil
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}
