package decision

import (
	"context"
	"sync/atomic"
)

// Hook receives the decisions of the cors handlers that a request passes,
// once each is final. Only `caddy cors check` sets one: it serves a
// request through a provisioned config and needs to know what each
// handler decided, without logs or counters. d is the hook's own copy.
type Hook func(d *Decision)

type hookKey struct{}

// hooked is set once any hook was ever installed in this process, so
// that a server that never runs a check pays one atomic load per
// request, not a walk up the request's context chain.
var hooked atomic.Bool

// WithHook returns ctx with h installed.
func WithHook(ctx context.Context, h Hook) context.Context {
	hooked.Store(true)
	return context.WithValue(ctx, hookKey{}, h)
}

// Report hands a copy of d to the hook installed in ctx, if any. The
// copy keeps d itself on its caller's stack: a pointer handed to a
// function value would move it to the heap on every request.
func Report(ctx context.Context, d *Decision) {
	if !hooked.Load() {
		return
	}
	if h, _ := ctx.Value(hookKey{}).(Hook); h != nil {
		c := *d
		h(&c)
	}
}
