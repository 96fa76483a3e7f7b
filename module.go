// Package cors is a Caddy HTTP handler that implements the CORS protocol of
// the WHATWG Fetch standard at the edge: it answers preflight requests itself
// and decorates actual responses, whatever backend produces them.
package cors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/corsedge/caddy-cors/permission"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler implements Cross-Origin Resource Sharing (the CORS protocol of
// the Fetch standard) for the routes it covers: it answers preflight
// requests itself and decides the CORS headers of every other response,
// Caddy's own error responses included, replacing any that a backend set.
// Every configuration problem is reported at once when the config loads.
// See docs/requests.md.
type Handler struct {
	// Origins allowed to read responses, each "scheme://host[:port]" as
	// browsers send it in the Origin header. "https://*.example.com"
	// matches any subdomain (not example.com itself), ":*" any port, and
	// "null" and "file://" those exact values; a lone "*" means allow_all.
	// Default: none, and one of origins, origin_regexp, permission and
	// allow_all is required. See docs/origins.md.
	Origins []string `json:"origins,omitempty"`

	// Regular expressions (Go RE2 syntax) for allowed origins, each matched
	// against the whole Origin value; one ending in ":*" or ":\d*" is
	// refused, as that is no port wildcard. Default: none. Security: with
	// credentials, an expression must spell out every registrable domain it
	// matches ("https://[a-z0-9-]+\.example\.com" does,
	// "https://[a-z]+\.github\.io" does not) or it is refused; without
	// them this is a warning. See docs/origins.md.
	OriginRegexp []string `json:"origin_regexp,omitempty"`

	// Allow every origin: responses carry "Access-Control-Allow-Origin: *",
	// even to a request without an Origin (not to a same-origin request).
	// The same as origins "*". Default: false. Security: refused with
	// credentials, since any site could then read your users' responses.
	// See docs/security.md.
	AllowAll bool `json:"allow_all,omitempty"`

	// Methods a preflight may ask for, in place of the default list; "*"
	// allows any. GET, HEAD and POST are always allowed, and CONNECT, TRACE
	// and TRACK are refused. Default: GET HEAD POST PUT PATCH DELETE.
	Methods []string `json:"methods,omitempty"`

	// Request headers a preflight may ask for, case-insensitive, in place
	// of the default list; "*" allows any. Forbidden request headers
	// (Cookie, Host, Sec-*, ...) and Access-Control-* names are refused.
	// Default: accept authorization content-type user-agent x-csrftoken
	// x-requested-with.
	Headers []string `json:"headers,omitempty"`

	// Response headers, beyond the CORS-safelisted ones, that scripts may
	// read; "*" exposes all of them. Set-Cookie and Access-Control-* names
	// are refused. Default: none.
	ExposeHeaders []string `json:"expose_headers,omitempty"`

	// Allow credentialed requests (cookies, HTTP authentication, client
	// certificates) by sending "Access-Control-Allow-Credentials: true".
	// Default: false. Security: the allowed origins can then act as the
	// signed-in user, so allow_all, "null", "file://", subdomain patterns
	// covering a public suffix ("https://*.github.io") and origin_regexp
	// expressions that do not spell out their registrable domains are
	// refused with it. See docs/security.md.
	Credentials bool `json:"credentials,omitempty"`

	// How long browsers may cache a preflight's result, sent in whole
	// seconds as Access-Control-Max-Age; 0 is sent and turns caching off.
	// At most 24h (Chromium caps it at 2h). In JSON a duration string such
	// as "10m" (a bare number counts nanoseconds); in the Caddyfile a bare
	// number counts seconds. Default: unset, no header, and browsers cache
	// for 5 seconds.
	MaxAge *caddy.Duration `json:"max_age,omitempty"`

	// Answer Private Network Access preflights with
	// "Access-Control-Allow-Private-Network: true", letting public sites
	// reach this server on a private network. Default: false. Only
	// Chromium-based browsers before version 142 send such preflights;
	// later ones ask the user instead, which no header can grant. See
	// docs/requests.md.
	PrivateNetwork bool `json:"private_network,omitempty"`

	// Status code of an allowed preflight's response, 200 to 299 (some old
	// clients want 200); denied preflights get 403. Unused when the next
	// handler answers preflights (passthrough_preflight, report_only).
	// Default: 204.
	PreflightStatus int `json:"preflight_status,omitempty"`

	// Pass preflight requests on to the next handler, which writes their
	// status and body, instead of answering them here; this handler still
	// decides their CORS headers. Default: false.
	PassthroughPreflight bool `json:"passthrough_preflight,omitempty"`

	// Report what enforcing would change instead of enforcing, as
	// Content-Security-Policy-Report-Only does: every request, preflights
	// included, goes to the next handler and every response goes out
	// untouched (not even Vary is added), while each cross-origin request
	// is judged, counted in caddy_cors_report_only_total, and logged when
	// enforcing would change the browser's verdict. Use it to move CORS
	// from a backend to the edge without breaking a caller. Default:
	// false. See docs/report-only.md.
	ReportOnly bool `json:"report_only,omitempty"`

	// A module that decides the origins that origins and origin_regexp do
	// not allow, such as your own service ({"module": "http", ...}: see
	// http.handlers.cors.permission.http). It works with credentials and
	// cannot be combined with allow_all. Default: none. Security: it
	// decides who can read your users' data. See docs/permission.md.
	PermissionRaw json.RawMessage `json:"permission,omitempty" caddy:"namespace=http.handlers.cors.permission inline_key=module"`

	permission permission.Checker
	policy     *policy
	problems   error // every configuration problem found by Provision, reported by Validate
	logger     *zap.Logger
	metrics    handlerMetrics
	report     *reporter // report_only's counters and log limits
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.cors",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision compiles the configuration. Problems are kept for Validate so
// that every one of them is reported at once.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if err := h.provisionMetrics(ctx); err != nil {
		return err
	}
	if err := h.loadPermission(ctx); err != nil {
		return err
	}
	h.policy, h.problems = compile(h)
	if err := h.provisionReport(ctx); err != nil {
		return err
	}
	if h.policy != nil {
		h.policy.permission = h.permission
		h.policy.cached, _ = h.permission.(permission.Cached)
		for _, w := range h.policy.warnings {
			h.logger.Warn(w)
		}
		for _, n := range h.policy.notes {
			h.logger.Info(n)
		}
	}
	return nil
}

// UnmarshalJSON decodes the handler's JSON config as strictly as Caddy
// does, but words a bad max_age the way the other max_age problems are
// worded: Go's own "time: missing unit in duration" names neither the
// field nor the fix.
func (h *Handler) UnmarshalJSON(b []byte) error {
	type fields Handler // the same fields, without this method
	var v struct {
		*fields
		MaxAge json.RawMessage `json:"max_age,omitempty"` // shadows fields.MaxAge
	}
	v.fields = (*fields)(h)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if len(v.MaxAge) == 0 || string(v.MaxAge) == "null" {
		return nil
	}
	var d caddy.Duration
	if err := d.UnmarshalJSON(v.MaxAge); err != nil {
		return maxAgeJSONError(v.MaxAge)
	}
	h.MaxAge = &d
	return nil
}

// maxAgeJSONError explains a max_age that is not a Caddy duration.
func maxAgeJSONError(raw json.RawMessage) error {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return fmt.Errorf("max_age %s: not a duration; use a string like \"2h\" or \"90s\"", raw)
	}
	if s != "" && strings.Trim(s, "0123456789") == "" {
		return fmt.Errorf("max_age %q: a duration needs a unit; did you mean \"%ss\"?", s, s)
	}
	return fmt.Errorf("max_age %q: not a duration; use a duration like \"2h\" or \"90s\"", s)
}

// Validate reports every configuration problem found by Provision.
func (h *Handler) Validate() error {
	return h.problems
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ json.Unmarshaler            = (*Handler)(nil)
	_ http.ResponseWriter         = (*corsWriter)(nil)
)
