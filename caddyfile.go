package cors

import (
	"math"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("cors", parseCaddyfile)
	// Before header, the first directive that can answer or reject a
	// request (redir, basic_auth, forward_auth, rewrite, reverse_proxy,
	// php_fastcgi, file_server, respond all come later): preflights are
	// answered before any of them, and this handler's writer wraps all of
	// theirs, so its CORS headers are the last word on every response.
	httpcaddyfile.RegisterDirectiveOrder("cors", httpcaddyfile.Before, "header")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	c := new(Handler)
	err := c.UnmarshalCaddyfile(h.Dispenser)
	return c, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	cors [<matcher>] [<origin>...] {
//		origins          <origin>...
//		origin_regexp    <regexp>...
//		allow_all
//		methods          <method>...
//		headers          <header>...
//		expose_headers   <header>...
//		credentials      [true|false]
//		max_age          <duration>
//		private_network  [true|false]
//		preflight_status <code>
//		passthrough_preflight
//		report_only      [true|false]
//		permission       http <endpoint> | http { ... }
//	}
//
// Origins on the directive line are the same as origins in the block, and
// list subdirectives accumulate when repeated. max_age takes a Caddy
// duration (2h, 90s) or a whole number of seconds. permission's block is
// that of the http permission module (http.handlers.cors.permission.http).
// The configuration is checked here exactly as when JSON is loaded, so
// `caddy adapt` reports every problem.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	h.Origins = append(h.Origins, d.RemainingArgs()...)

	lists := map[string]*[]string{
		"origins":        &h.Origins,
		"origin_regexp":  &h.OriginRegexp,
		"methods":        &h.Methods,
		"headers":        &h.Headers,
		"expose_headers": &h.ExposeHeaders,
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		if list, ok := lists[sub]; ok {
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			*list = append(*list, args...)
			continue
		}
		switch sub {
		case "allow_all":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.AllowAll = true
		case "passthrough_preflight":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.PassthroughPreflight = true
		case "credentials":
			v, err := parseBool(d)
			if err != nil {
				return err
			}
			h.Credentials = v
		case "private_network":
			v, err := parseBool(d)
			if err != nil {
				return err
			}
			h.PrivateNetwork = v
		case "report_only":
			v, err := parseBool(d)
			if err != nil {
				return err
			}
			h.ReportOnly = v
		case "max_age":
			if !d.NextArg() {
				return d.ArgErr()
			}
			arg := d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
			var dur caddy.Duration
			if secs, err := strconv.Atoi(arg); err == nil {
				if secs > math.MaxInt64/int(time.Second) || secs < math.MinInt64/int(time.Second) {
					return d.Errf("max_age %q: must be at most 24h (browsers cap it: Chromium at 2h, Firefox at 24h)", arg)
				}
				dur = caddy.Duration(time.Duration(secs) * time.Second)
			} else if parsed, err := caddy.ParseDuration(arg); err == nil {
				dur = caddy.Duration(parsed)
			} else {
				return d.Errf("max_age %q: not a duration; use a number of seconds or a duration like 2h or 90s", arg)
			}
			h.MaxAge = &dur
		case "permission":
			if err := h.unmarshalPermission(d); err != nil {
				return err
			}
		case "preflight_status":
			if !d.NextArg() {
				return d.ArgErr()
			}
			code, err := strconv.Atoi(d.Val())
			if err != nil {
				return d.Errf("preflight_status %q: not a number; use a 2xx status such as 204 or 200", d.Val())
			}
			if d.NextArg() {
				return d.ArgErr()
			}
			h.PreflightStatus = code
		default:
			return d.Errf("unrecognized cors subdirective %q", sub)
		}
	}

	if _, err := compile(h); err != nil {
		return d.WrapErr(err)
	}
	return nil
}

// parseBool reads an optional true/false argument; bare means true.
func parseBool(d *caddyfile.Dispenser) (bool, error) {
	name := d.Val()
	if !d.NextArg() {
		return true, nil
	}
	v := d.Val()
	if d.NextArg() {
		return false, d.ArgErr()
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, d.Errf("%s %q: must be true or false (or nothing, meaning true)", name, v)
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)
