package origin

import (
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// Canonical reports whether o is a tuple origin exactly as a browser
// serializes it in the Origin header: "scheme://host[:port]" with a
// lower-case scheme, a lower-case ASCII (punycode) host or IP literal, no
// default port, at most MaxLength bytes. "null", patterns ("*." or ":*"),
// Unicode hosts and anything malformed are not. It is the check a value
// passes before it may leave this server, as in a permission lookup, so
// only [a-z0-9+.-_:[]] can pass. It does not allocate (save for a
// bracketed host that looks like an IPv6 address but is not one, and a
// punycode label).
func Canonical(o string) bool {
	if len(o) > MaxLength {
		return false
	}
	scheme, host, port, ok := split(o)
	if !ok || !lowerScheme(scheme) {
		return false
	}
	if port != "" && port == defaultPortString(scheme) {
		return false
	}
	if host[0] != '[' {
		return validHost(host) && punycodeValid(host)
	}
	// An IPv6 literal as browsers write it: compressed, lower case, no zone.
	inner := host[1 : len(host)-1]
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == ':' || c == '.') {
			return false
		}
	}
	addr, err := netip.ParseAddr(inner)
	if err != nil || !addr.Is6() {
		return false
	}
	var buf [64]byte
	return string(addr.AppendTo(buf[:0])) == inner
}

// punycodeValid checks the punycode labels ("xn--") of a host that
// validHost accepted, as browsers do when they parse a URL's host: one
// that does not decode to a valid label is no host at all, so no browser
// sends it. Only the IDNA package can check that (it allocates; such
// hosts are rare). Browsers apply neither IDNA's STD3 rules nor its
// hyphen rules (the WHATWG URL standard's "domain to ASCII" with beStrict
// false), so '_' and labels that start or end with '-' pass, as in the
// Origin values they send, although Parse refuses them in a config.
func punycodeValid(h string) bool {
	for label := range strings.SplitSeq(h, ".") {
		if strings.HasPrefix(label, "xn--") {
			if ascii, err := idna.Lookup.ToASCII(label); err != nil || ascii != label {
				return false
			}
		}
	}
	return true
}

func lowerScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func defaultPortString(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}
