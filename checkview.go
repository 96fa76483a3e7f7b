package cors

import (
	"slices"

	"github.com/corsedge/caddy-cors/internal/check"
)

// ConfigWarnings returns what Provision found wrong (warnings) or
// surprising (notes) in the handler's configuration, in the words it
// logs them, warnings first; nil before Provision or when the
// configuration has errors. `caddy cors check` reads them here, from the
// provisioned handlers of the config it checks, to print them beside its
// verdict: a value, where it would otherwise have to capture the log.
func (h *Handler) ConfigWarnings() []string {
	if h.policy == nil {
		return nil
	}
	return slices.Concat(h.policy.warnings, h.policy.notes)
}

// Interface guards
var _ check.ConfigWarner = (*Handler)(nil)
