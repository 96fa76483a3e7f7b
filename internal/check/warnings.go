package check

import (
	"maps"
	"reflect"
	"slices"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// ConfigWarner is implemented by the cors handler (*cors.Handler, which
// this package cannot name: the root package imports it): what its
// Provision found wrong or surprising in its configuration, in the words
// it logs them. The check reads them as values from the provisioned
// handlers, to print beside its verdict.
type ConfigWarner interface {
	ConfigWarnings() []string
}

// configWarnings gathers the warnings of every provisioned cors handler of
// the servers, in a fixed order: servers by name, then each server's
// routes, error routes and named routes, depth first.
func configWarnings(servers map[string]*caddyhttp.Server) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(servers)) {
		srv := servers[name]
		out = routeWarnings(out, srv.Routes)
		if srv.Errors != nil {
			out = routeWarnings(out, srv.Errors.Routes)
		}
		for _, rname := range slices.Sorted(maps.Keys(srv.NamedRoutes)) {
			out = routeWarnings(out, caddyhttp.RouteList{*srv.NamedRoutes[rname]})
		}
	}
	return out
}

func routeWarnings(out []string, routes caddyhttp.RouteList) []string {
	for _, route := range routes {
		for _, h := range route.Handlers {
			out = handlerWarnings(out, h)
		}
	}
	return out
}

// responseHandlers is the type of the handle_response field of the
// handlers that run routes on a response (reverse_proxy, intercept).
var responseHandlers = reflect.TypeFor[[]caddyhttp.ResponseHandler]()

// handlerWarnings adds h's warnings, or those of the handlers in the
// routes h holds: a subroute's (route, handle, handle_path, and the
// like), and the handle_response routes of reverse_proxy and intercept,
// found by the field's type so that this package links neither.
func handlerWarnings(out []string, h caddyhttp.MiddlewareHandler) []string {
	switch h := h.(type) {
	case ConfigWarner:
		return append(out, h.ConfigWarnings()...)
	case *caddyhttp.Subroute:
		out = routeWarnings(out, h.Routes)
		if h.Errors != nil {
			out = routeWarnings(out, h.Errors.Routes)
		}
		return out
	}
	v := reflect.Indirect(reflect.ValueOf(h))
	if v.Kind() != reflect.Struct {
		return out
	}
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && f.Type == responseHandlers {
			for _, rh := range v.Field(i).Interface().([]caddyhttp.ResponseHandler) {
				out = routeWarnings(out, rh.Routes)
			}
		}
	}
	return out
}
