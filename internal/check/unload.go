package check

import (
	"context"
	"errors"
	"reflect"
	"unsafe"

	"github.com/caddyserver/caddy/v2"
)

// unload cancels a context made by caddy.ProvisionContext, which runs every
// module's Cleanup and closes the config's logs, as caddy.Validate does
// with the same function once it has provisioned.
//
// Caddy v2.11.9 keeps that cancel function unexported (Config.cancelFunc)
// and ProvisionContext, EXPERIMENTAL, hands back no other way to unload,
// so it is reached by reflection. If a later Caddy renames the fields,
// unload reports false and the config is left for the process's exit to
// end: a one-shot `caddy cors check` loses nothing; a long-lived caller
// (the browser suite) keeps the config's goroutines until it exits. A
// test holds this to Caddy's current layout.
func unload(ctx caddy.Context) bool {
	v := reflect.ValueOf(&ctx).Elem().FieldByName("cfg")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	cfg := v.Elem()
	f := cfg.FieldByName("cancelFunc")
	if !f.IsValid() || f.Type() != reflect.TypeOf(context.CancelCauseFunc(nil)) {
		return false
	}
	cancel := *(*context.CancelCauseFunc)(unsafe.Pointer(f.UnsafeAddr()))
	if cancel == nil {
		return false
	}
	cancel(errors.New("cors check complete"))
	return true
}
