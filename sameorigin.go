package cors

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/corsedge/caddy-cors/internal/fetch"
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
	// The common case, another site, is decided here, mostly at the
	// first bytes, without looking at the scheme.
	oPort, rPort, ok := sameHostName(rest, r.Host)
	if !ok || scheme != requestScheme(r) {
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

// sameHostName compares the host names of two authorities,
// "host[:port]" (host may be a bracketed IPv6 literal), ASCII
// case-insensitively, and returns their ports.
func sameHostName(a, b string) (aPort, bPort string, ok bool) {
	i := 0
	for ; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == ':' && a[0] != '[' || ca == ':' && i > 0 && a[i-1] == ']' {
			break
		}
		if fetch.LowerASCII(ca) != fetch.LowerASCII(cb) {
			return "", "", false
		}
	}
	aPort, aOK := portAfter(a, i)
	bPort, bOK := portAfter(b, i)
	return aPort, bPort, aOK && bOK
}

// portAfter returns the port of authority a whose host name ends at i:
// "" when a ends there, what follows ":" otherwise; ok is false when the
// host name goes on.
func portAfter(a string, i int) (string, bool) {
	if i == len(a) {
		return "", true
	}
	if a[i] != ':' {
		return "", false
	}
	return a[i+1:], true
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
