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

// Handler implements Cross-Origin Resource Sharing for the routes it covers.
// It answers CORS-preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) without calling the next handler, and adds
// the CORS response headers to every other response, including error
// responses written by Caddy itself. It owns those headers: values set by a
// backend or an earlier handler are replaced, never duplicated, and Vary is
// kept right for caches.
//
// Configuration problems are reported all at once when the config loads.
type Handler struct {
	// Origins allowed to read responses, each "scheme://host[:port]" as a
	// browser sends it in the Origin header (scheme and host are
	// lower-cased, the default port dropped, a Unicode host converted to
	// punycode). A leading "*." label matches one or more subdomains
	// ("https://*.example.com" matches "https://a.example.com" but not
	// "https://example.com"); ":*" matches any port, the default included.
	// "null" matches the opaque origin of sandboxed iframes and local files;
	// "file://" matches exactly that value, which some browsers (Chrome on
	// Android, WebViews) send for local files. Neither is allowed with
	// credentials. A lone "*" is the same as allow_all. There is no default: at least
	// one of origins, origin_regexp, permission and allow_all is required.
	Origins []string `json:"origins,omitempty"`

	// Regular expressions (Go RE2 syntax) for allowed origins. Each is
	// matched against the whole Origin value, as if wrapped in ^(?:...)$,
	// so "https://.*\.example\.com" cannot match
	// "https://a.example.com.evil.net" (django-cors-headers matches only the
	// start; the load-time log names an origin that differs). An expression
	// ending in ":*" or ":\d*" is refused, since under whole matching it is
	// no port wildcard. An expression must spell out every registrable
	// domain (by the public suffix list) that it matches:
	// "https://pr-[0-9]+\.preview\.example\.com" does, while
	// "https://[a-z]+\.com", "https://a.*" and "https://[a-z]+\.github\.io"
	// reach domains anyone can register; so do expressions that reach a
	// host or an IP address they do not spell out (localhost, its
	// subdomains and loopback addresses excepted), or "null" or "file://".
	// Such expressions, and unescaped dots in a host, are logged as
	// warnings, and refused with credentials; the message names an origin
	// the expression lets in. The verdict is read from the expression
	// alone, the same at every load; an expression too large to follow is
	// refused with credentials too (origins patterns remain). Default: none.
	OriginRegexp []string `json:"origin_regexp,omitempty"`

	// Allow every origin: responses carry "Access-Control-Allow-Origin: *"
	// whether or not the request has an Origin, and "Vary: Origin", so that
	// another cors handler on the same route may decide by origin (your own
	// app with credentials) without a shared cache mixing the answers.
	// Cannot be combined with credentials. Default: false.
	AllowAll bool `json:"allow_all,omitempty"`

	// Methods a preflight may ask for. "*" allows any method (with
	// credentials the requested method is echoed, since browsers then read
	// "*" literally). GET, HEAD and POST are always allowed, as in the Fetch
	// standard. Method names are case-sensitive, except that delete, get,
	// head, options, post and put are upper-cased as browsers do.
	// CONNECT, TRACE and TRACK are refused. Default: GET HEAD POST PUT PATCH DELETE.
	Methods []string `json:"methods,omitempty"`

	// Request headers a preflight may ask for, case-insensitive. "*" allows
	// any header; the requested names are echoed, so Authorization and
	// credentialed requests work too. Forbidden request headers (Cookie,
	// Host, Origin, Sec-*, Proxy-*, ...) and the CORS protocol's own
	// Access-Control-* names are refused: browsers and this module set
	// them. Default: accept authorization content-type user-agent
	// x-csrftoken x-requested-with.
	Headers []string `json:"headers,omitempty"`

	// Response headers, beyond the CORS-safelisted ones, that scripts may
	// read. "*" exposes all of them: it is sent as "*" without credentials;
	// with credentials the names of the headers actually on each response
	// are listed. Set-Cookie and the Access-Control-* names can never be
	// exposed. Default: none.
	ExposeHeaders []string `json:"expose_headers,omitempty"`

	// Allow credentialed requests (cookies, HTTP authentication, client
	// certificates): sends "Access-Control-Allow-Credentials: true".
	// Security: the allowed origins can then act as the signed-in user, so
	// allow_all, "null" and subdomain patterns on public suffixes are
	// refused with credentials. Default: false.
	Credentials bool `json:"credentials,omitempty"`

	// How long browsers may cache a preflight result, sent in whole seconds
	// as Access-Control-Max-Age. 0 is sent and disables caching; at most
	// 24h (browsers cap it anyway: Chromium at 2h, Firefox at 24h). In JSON
	// a string with a unit ("10m"); a bare number counts nanoseconds.
	// Default: unset, no header, and browsers use 5 seconds.
	MaxAge *caddy.Duration `json:"max_age,omitempty"`

	// Answer Private Network Access preflights: sends
	// "Access-Control-Allow-Private-Network: true" when the preflight
	// carries "Access-Control-Request-Private-Network: true", letting public
	// sites reach this server on a private network. Default: false.
	//
	// Only older Chromium-based browsers send such preflights. Chrome 142
	// replaced them with the Local Network Access permission prompt (the
	// user allows a site to reach the local network; separate local and
	// loopback permissions from Chrome 145): current Chrome and Edge send
	// no Access-Control-Request-Private-Network and ignore this header, no
	// server header can grant that permission, and Firefox is rolling out
	// the same prompt. Safari has neither. `caddy cors check` simulates
	// neither the preflights nor the prompt.
	PrivateNetwork bool `json:"private_network,omitempty"`

	// Status code of an allowed preflight response, 200 to 299 (some old
	// clients want 200). Denied preflights always get 403. Default: 204.
	PreflightStatus int `json:"preflight_status,omitempty"`

	// Pass preflight requests on to the next handler, which then writes the
	// status and body, instead of answering them here. The CORS headers are
	// still decided and set by this handler. Default: false.
	PassthroughPreflight bool `json:"passthrough_preflight,omitempty"`

	// Report, do not enforce: every request, preflights included, goes to
	// the next handler and every response goes out exactly as it would
	// without this handler (not even Vary is added). For each
	// cross-origin request the policy is decided as when enforcing, and
	// the browser's verdict on the response as sent is compared with its
	// verdict on the headers this handler would have sent, with and
	// without credentials: what enforcing would block, let in, hide from
	// or expose to scripts is counted in caddy_cors_report_only_total and
	// logged (at most one line per outcome, origin and reason a minute).
	// With passthrough_preflight, the preflight response it would send is
	// the next handler's status with its CORS headers. Use it to move CORS
	// from a backend to the edge without breaking a caller. Default: false.
	ReportOnly bool `json:"report_only,omitempty"`

	// A module that decides the origins that origins and origin_regexp do
	// not allow, such as your own service ("module": "http", see
	// http.handlers.cors.permission.http). It is asked only about those,
	// for preflights and actual requests alike, and works with
	// credentials; it cannot be combined with allow_all. Alone, it is the
	// whole policy. Security: it decides who can read your users' data.
	// Default: none.
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
