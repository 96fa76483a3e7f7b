package cors

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/corsedge/caddy-cors/internal/fetch"
	"github.com/corsedge/caddy-cors/internal/origin"
)

// Defaults, as in django-cors-headers.
var (
	defaultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	defaultHeaders = []string{"accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with"}
)

const (
	defaultPreflightStatus = 204
	// maxMaxAge is Firefox's cap; Chromium caps at 2h. A larger value
	// would only pretend to cache longer.
	maxMaxAge = 24 * time.Hour
)

// compile checks the configuration and builds the policy that serves
// requests. It returns every problem found, joined; the policy is nil then.
// The Caddyfile parser calls it too, so that `caddy adapt` fails the same
// way as loading JSON does.
func compile(h *Handler) (*policy, error) {
	p := &policy{
		credentials:     h.Credentials,
		privateNetwork:  h.PrivateNetwork,
		preflightStatus: h.PreflightStatus,
		passthrough:     h.PassthroughPreflight,
		reportOnly:      h.ReportOnly,
		methods:         make(map[string]struct{}),
		headers:         make(map[string]struct{}),
	}
	errs := p.compileOrigins(h)
	errs = append(errs, p.compileMethods(h.Methods)...)
	errs = append(errs, p.compileHeaders(h.Headers)...)
	errs = append(errs, p.compileExposeHeaders(h.ExposeHeaders)...)
	errs = append(errs, p.compilePreflightResponse(h)...)
	p.compileReportOnly()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// compileOrigins builds the origin set from origins and origin_regexp and
// refuses the combinations that would let anyone read credentialed
// responses.
func (p *policy) compileOrigins(h *Handler) []error {
	var errs []error
	var patterns []origin.Pattern
	allowAll := h.AllowAll
	for _, o := range h.Origins {
		if o == "*" {
			allowAll = true
			continue
		}
		pat, err := origin.Parse(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		patterns = append(patterns, pat)
		if pat.Null && h.Credentials {
			errs = append(errs, errors.New(`origin "null" with credentials: sandboxed iframes and local files on any site send "Origin: null", so any site could read your users' authenticated responses; remove "null" or turn credentials off`))
		}
		if pat.File && h.Credentials {
			errs = append(errs, errors.New(`origin "file://" with credentials: some browsers (Chrome on Android, WebViews) send "Origin: file://" for every page opened from a local file, on any machine, so any local file could read your users' authenticated responses; remove "file://" or turn credentials off`))
		}
		if pat.Subdomains && isPublicSuffix(pat.Host) {
			if h.Credentials {
				errs = append(errs, fmt.Errorf("origin %q with credentials: %s is a public suffix, where anyone can register a subdomain, so any of them could read your users' authenticated responses; list your own origins instead", o, pat.Host))
			} else {
				p.warnings = append(p.warnings, fmt.Sprintf("origin %q: %s is a public suffix; any site registered under it is allowed", pat.String(), pat.Host))
			}
		} else if below := origin.PublicSuffixBelow(pat.Host); pat.Subdomains && below != "" {
			if h.Credentials {
				errs = append(errs, fmt.Errorf("origin %q with credentials: it matches every name under %s, and %s is a public suffix, where anyone can register a subdomain (such as a.%s), so any of them could read your users' authenticated responses; list your own origins instead", o, pat.Host, below, below))
			} else {
				p.warnings = append(p.warnings, fmt.Sprintf("origin %q: %s is a public suffix, so any site registered under it (such as a.%s) is allowed", pat.String(), below, below))
			}
		}
	}
	re, reErrs := origin.CompileRegexps(h.OriginRegexp)
	errs = append(errs, reErrs...)
	if reErrs == nil {
		errs = append(errs, p.checkRegexps(h.OriginRegexp, h.Credentials)...)
	}
	if allowAll && h.Credentials {
		errs = append(errs, errors.New("allow_all (or origin \"*\") with credentials: any site could read your users' authenticated responses; list the trusted origins instead, or turn credentials off"))
	}
	if !allowAll && len(h.Origins) == 0 && len(h.OriginRegexp) == 0 && !h.hasPermission() {
		errs = append(errs, errors.New("no origins: list the allowed origins (e.g. origins https://app.example.com), add an origin_regexp or a permission endpoint, or use allow_all for a public API"))
	}
	errs = append(errs, checkPermission(h, allowAll)...)
	p.allowAll = allowAll
	p.origins = origin.NewSet(patterns, re)
	return errs
}

// compileMethods fills the allowed methods, the default when none are listed.
func (p *policy) compileMethods(methods []string) []error {
	if len(methods) == 0 {
		methods = defaultMethods
	}
	var errs []error
	for _, m := range methods {
		if m == "*" {
			p.anyMethod = true
			continue
		}
		if !fetch.IsToken(m) {
			errs = append(errs, fmt.Errorf("method %q: not a valid method name (an HTTP token, like PATCH)", m))
			continue
		}
		if fetch.IsForbiddenMethod(m) {
			errs = append(errs, fmt.Errorf("method %q: browsers never send CONNECT, TRACE or TRACK, so allowing it cross-origin can only help attackers; remove it", m))
			continue
		}
		p.methods[fetch.NormalizeMethod(m)] = struct{}{}
	}
	return errs
}

// compileHeaders fills the request headers a preflight may ask for, the
// default when none are listed.
func (p *policy) compileHeaders(headers []string) []error {
	if len(headers) == 0 {
		headers = defaultHeaders
	}
	var errs []error
	for _, name := range headers {
		if name == "*" {
			p.anyHeader = true
			continue
		}
		if len(name) > maxHeaderNameLen {
			errs = append(errs, fmt.Errorf("header %.40q...: longer than %d bytes", name, maxHeaderNameLen))
			continue
		}
		if err := checkRequestHeader(name); err != nil {
			errs = append(errs, err)
			continue
		}
		lower := strings.ToLower(name)
		p.headers[lower] = struct{}{}
		p.maxHeaderLen = max(p.maxHeaderLen, len(lower))
	}
	return errs
}

// compileExposeHeaders decides Access-Control-Expose-Headers.
func (p *policy) compileExposeHeaders(names []string) []error {
	var errs []error
	var expose []string
	exposeAll := false
	for _, name := range names {
		if name == "*" {
			exposeAll = true
			continue
		}
		if !fetch.IsToken(name) {
			errs = append(errs, fmt.Errorf("expose_headers %q: not a valid header name", name))
			continue
		}
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "access-control-") {
			errs = append(errs, corsNameError("expose_headers", name))
			continue
		}
		if lower == "set-cookie" || lower == "set-cookie2" {
			errs = append(errs, fmt.Errorf("expose_headers %q: browsers never let scripts read Set-Cookie; remove it", name))
			continue
		}
		expose = append(expose, name)
	}
	switch {
	case exposeAll && !p.credentials:
		p.aceh = "*"
	case exposeAll:
		// Without credentials "*" is a wildcard; with them browsers read it
		// as a header named "*", so the response's own names are listed.
		p.exposeFromResponse = true
	default:
		p.aceh = strings.Join(expose, ", ")
	}
	return errs
}

// compilePreflightResponse checks max_age and preflight_status and
// precomputes the preflight's Vary.
func (p *policy) compilePreflightResponse(h *Handler) []error {
	var errs []error
	if h.MaxAge != nil {
		d := time.Duration(*h.MaxAge)
		switch {
		case d < 0:
			errs = append(errs, fmt.Errorf("max_age %s: must not be negative; use 0 to disable preflight caching", d))
		case d > maxMaxAge:
			errs = append(errs, fmt.Errorf("max_age %s: must be at most 24h (browsers cap it: Chromium at 2h, Firefox at 24h)", d))
		case d < time.Second && d > 0:
			errs = append(errs, fmt.Errorf("max_age %s: must be whole seconds; a bare number in JSON counts nanoseconds, so did you mean \"%ds\"?", d, int64(d)))
		case d%time.Second != 0:
			errs = append(errs, fmt.Errorf("max_age %s: must be whole seconds, as Access-Control-Max-Age is; did you mean %q?", d, d.Round(time.Second).String()))
		default:
			p.acma = strconv.FormatInt(int64(d/time.Second), 10)
		}
	}
	if p.preflightStatus == 0 {
		p.preflightStatus = defaultPreflightStatus
	}
	if p.preflightStatus < 200 || p.preflightStatus > 299 {
		errs = append(errs, fmt.Errorf("preflight_status %d: must be a 2xx status (browsers treat any other as a failed preflight); 204 is the default", h.PreflightStatus))
	}
	p.preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	if p.privateNetwork {
		p.preflightVary += ", Access-Control-Request-Private-Network"
	}
	return errs
}

// isPublicSuffix reports whether domain is one under which anyone can
// register names (com, co.uk, github.io). localhost is not: every name
// under it is this machine.
func isPublicSuffix(domain string) bool {
	if domain == "localhost" {
		return false
	}
	suffix, _ := publicsuffix.PublicSuffix(domain)
	return suffix == domain
}

// checkRequestHeader refuses what no preflight should be allowed to ask
// for: names that are not header names, the CORS protocol's own (see
// corsNameError), and the Fetch standard's forbidden request headers,
// which browsers set themselves and scripts cannot.
func checkRequestHeader(name string) error {
	if !fetch.IsToken(name) {
		return fmt.Errorf("header %q: not a valid header name", name)
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "access-control-") {
		return corsNameError("headers", name)
	}
	if fetch.IsForbiddenRequestHeader(name, "") {
		return fmt.Errorf("header %q: a forbidden request header that browsers set themselves and scripts cannot; remove it", name)
	}
	return nil
}

// corsHeaderPurpose says what each name of the CORS protocol is for, so
// that a message refusing it in headers or expose_headers can say why.
var corsHeaderPurpose = map[string]struct {
	purpose string
	request bool // a preflight request header, which browsers set
}{
	"access-control-allow-origin":            {"the response header this module sets from origins", false},
	"access-control-allow-credentials":       {"the response header this module sets from credentials", false},
	"access-control-allow-methods":           {"the preflight response header this module sets from methods", false},
	"access-control-allow-headers":           {"the preflight response header this module sets from headers", false},
	"access-control-expose-headers":          {"the response header this module sets from expose_headers", false},
	"access-control-max-age":                 {"the preflight response header this module sets from max_age", false},
	"access-control-allow-private-network":   {"the preflight response header this module sets from private_network", false},
	"access-control-request-method":          {"the preflight request header in which the browser names the method it will use", true},
	"access-control-request-headers":         {"the preflight request header in which the browser lists the headers it will send", true},
	"access-control-request-private-network": {"the preflight request header in which the browser asks for private network access", true},
}

// corsNameError refuses an Access-Control-* name in headers (what a
// preflight may ask for) or expose_headers (what scripts may read): the
// browser and this module manage those names themselves.
func corsNameError(field, name string) error {
	if field == "headers" {
		field = "header" // as the other headers messages say
	}
	known, ok := corsHeaderPurpose[strings.ToLower(name)]
	switch {
	case !ok:
		return fmt.Errorf("%s %q: a name of the CORS protocol, which browsers and this module manage themselves; remove it", field, name)
	case field == "header" && known.request:
		return fmt.Errorf("%s %q: %s, which browsers set themselves and scripts cannot; remove it", field, name, known.purpose)
	case field == "header":
		return fmt.Errorf("%s %q: %s, never part of a request (a fetch() that sends it is mistaken); remove it", field, name, known.purpose)
	case known.request:
		return fmt.Errorf("%s %q: %s, never part of a response; remove it", field, name, known.purpose)
	default:
		return fmt.Errorf("%s %q: %s, which the browser reads itself; scripts have no use for it; remove it", field, name, known.purpose)
	}
}
