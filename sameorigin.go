package cors

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// sameOrigin reports whether the Origin o is the request's own origin:
// its scheme, host and port as this server sees them. Such a request is
// not a CORS request (Fetch standard: a same-origin request's response
// is read whatever its headers), and browsers send Origin on same-origin
// POST, PUT and DELETE. The scheme is https over TLS; behind a
// TLS-terminating proxy, only when the server's trusted_proxies says the
// proxy is trusted is its X-Forwarded-Proto believed. Anything uncertain
// is not same-origin, and so gets the full CORS treatment.
func sameOrigin(r *http.Request, o string) bool {
	var scheme, rest string
	switch {
	case strings.HasPrefix(o, "https://"):
		scheme, rest = "https", o[len("https://"):]
	case strings.HasPrefix(o, "http://"):
		scheme, rest = "http", o[len("http://"):]
	default:
		return false
	}
	oHost, oPort := splitAuthority(rest)
	rHost, rPort := splitAuthority(r.Host)
	// The common case, another site, is decided here without the scheme.
	if len(oHost) != len(rHost) || !strings.EqualFold(oHost, rHost) {
		return false
	}
	if scheme != requestScheme(r) {
		return false
	}
	return cmpPort(oPort, scheme) == cmpPort(rPort, scheme)
}

// requestScheme is the scheme of the URL the client asked for.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool); trusted {
		if proto := r.Header.Get("X-Forwarded-Proto"); strings.EqualFold(proto, "https") {
			return "https"
		}
	}
	return "http"
}

// splitAuthority splits "host[:port]" (host may be a bracketed IPv6
// literal) without validating either part.
func splitAuthority(a string) (host, port string) {
	for i := len(a) - 1; i >= 0; i-- {
		switch a[i] {
		case ':':
			return a[:i], a[i+1:]
		case ']':
			return a, ""
		}
	}
	return a, ""
}

// cmpPort is a port for comparison: the scheme's default when absent.
func cmpPort(port, scheme string) string {
	if port != "" {
		return port
	}
	if scheme == "https" {
		return "443"
	}
	return "80"
}
