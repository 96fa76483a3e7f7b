package cors

import (
	"errors"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/corsedge/caddy-cors/permission"
)

// This file joins the permission guest modules (package permission) to
// the handler: the origins decided by the user's own service.

// permissionNamespace is the Caddy module namespace of the permission field.
const permissionNamespace = "http.handlers.cors.permission"

// hasPermission reports whether a permission module is configured: as
// JSON, or already loaded (LoadModule clears the JSON).
func (h *Handler) hasPermission() bool {
	return len(h.PermissionRaw) > 0 || h.permission != nil
}

// loadPermission provisions the permission module, if one is configured.
func (h *Handler) loadPermission(ctx caddy.Context) error {
	if len(h.PermissionRaw) == 0 {
		return nil
	}
	mod, err := ctx.LoadModule(h, "PermissionRaw")
	if err != nil {
		return fmt.Errorf("permission: %v", err)
	}
	checker, ok := mod.(permission.Checker)
	if !ok {
		return fmt.Errorf("permission module %T cannot decide origins (it is not a permission.Checker)", mod)
	}
	h.permission = checker
	return nil
}

// checkPermission is compile's part for the permission field: it returns
// the problems of combining it with the rest of the configuration.
func checkPermission(h *Handler, allowAll bool) []error {
	if !h.hasPermission() || !allowAll {
		return nil
	}
	return []error{errors.New("permission with allow_all (or origin \"*\"): allow_all already lets every origin read responses, so the endpoint would never be asked; remove one of them")}
}

// unmarshalPermission parses the permission subdirective, at its name:
//
//	permission <module> <module's own arguments and block>
func (h *Handler) unmarshalPermission(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	if h.PermissionRaw != nil {
		return d.Err("permission: already set; a cors handler asks one permission module")
	}
	name := d.Val()
	unm, err := caddyfile.UnmarshalModule(d, permissionNamespace+"."+name)
	if err != nil {
		return err
	}
	if _, ok := unm.(permission.Checker); !ok {
		return d.Errf("permission %q: module %s cannot decide origins", name, permissionNamespace+"."+name)
	}
	h.PermissionRaw = caddyconfig.JSONModuleObject(unm, "module", name, nil)
	return nil
}
