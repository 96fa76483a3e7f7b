// Package origin parses configured CORS origin patterns and matches request Origin values against them.
package origin

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxLength bounds the length of a configured origin and of a request Origin
// that can match a pattern. A serialized origin is a scheme, "://", a host of
// at most 253 bytes and a port, so anything longer is hostile or broken.
const MaxLength = 1024

// anyPort is the Port of a pattern that ends in ":*".
const anyPort = -1

// Pattern is one parsed, normalized origin from the configuration.
type Pattern struct {
	// Null is set for the literal "null" origin (sandboxed iframes, file: URLs).
	Null bool
	// File is set for the literal "file://", which some browsers (Chrome on
	// Android, some WebViews) send for pages opened from local files.
	File bool
	// Scheme is lower case.
	Scheme string
	// Host is lower case ASCII (punycode); an IPv6 literal keeps its brackets.
	// For a subdomain pattern it is the domain after "*.".
	Host string
	// Port is 0 for the scheme's default port (or a scheme without one),
	// anyPort for ":*", else the port number.
	Port int
	// Subdomains is set for "scheme://*.domain": one or more labels in front of Host.
	Subdomains bool
}

// String returns the normalized pattern, as it is written in configuration.
func (p Pattern) String() string {
	if p.Null {
		return "null"
	}
	if p.File {
		return fileOrigin
	}
	var b strings.Builder
	b.WriteString(p.Scheme)
	b.WriteString("://")
	if p.Subdomains {
		b.WriteString("*.")
	}
	b.WriteString(p.Host)
	switch p.Port {
	case 0:
	case anyPort:
		b.WriteString(":*")
	default:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Port))
	}
	return b.String()
}

// AnyPort reports whether the pattern ends in ":*".
func (p Pattern) AnyPort() bool { return p.Port == anyPort }

// fileOrigin is what some browsers send as the Origin of a local file. It
// is not a tuple origin (it has no host), so it is matched byte for byte.
const fileOrigin = "file://"

// Parse parses one configured origin: "null", "file://", "scheme://host[:port]",
// "scheme://*.domain[:port]" or either form with ":*" as the port.
// The lone "*" (every origin) is the caller's business: it is allow_all.
// Errors quote the value and, where one exists, suggest the right form.
func Parse(s string) (Pattern, error) {
	if s == "null" {
		return Pattern{Null: true}, nil
	}
	if strings.EqualFold(s, fileOrigin) { // the scheme is lower-cased, as for any origin
		return Pattern{File: true}, nil
	}
	if len(s) > MaxLength {
		return Pattern{}, fmt.Errorf("origin %.40q...: longer than %d bytes", s, MaxLength)
	}
	i := strings.Index(s, "://")
	if i < 0 {
		bare := strings.TrimRight(s, "/")
		return Pattern{}, fmt.Errorf("origin %q: missing scheme; did you mean %q?", s, "https://"+bare)
	}
	scheme, rest := s[:i], s[i+3:]
	if !validScheme(scheme) {
		return Pattern{}, fmt.Errorf("origin %q: invalid scheme %q; a scheme is a letter followed by letters, digits, '+', '-' or '.'", s, scheme)
	}
	scheme = strings.ToLower(scheme)

	// An origin is only scheme, host and port: name anything else and
	// suggest the origin without it.
	hostport, problem := rest, ""
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		hostport = rest[:j]
		switch tail := rest[j:]; {
		case tail == "/":
			problem = "must not end with a slash"
		case tail[0] == '/':
			problem = "must not have a path"
		case tail[0] == '?':
			problem = "must not have a query"
		default:
			problem = "must not have a fragment"
		}
	}
	if j := strings.LastIndexByte(hostport, '@'); j >= 0 {
		hostport = hostport[j+1:]
		if problem == "" {
			problem = "must not contain user information"
		}
	}
	if problem != "" {
		return Pattern{}, fmt.Errorf("origin %q: %s; did you mean %q?", s, problem, scheme+"://"+hostport)
	}
	host, port, err := splitHostPort(hostport)
	if err != nil {
		return Pattern{}, fmt.Errorf("origin %q: %v", s, err)
	}
	p := Pattern{Scheme: scheme}
	switch port {
	case "":
	case "*":
		p.Port = anyPort
	default:
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return Pattern{}, fmt.Errorf("origin %q: invalid port %q; use a number from 1 to 65535, or '*' for any port", s, port)
		}
		if n != defaultPort(scheme) {
			p.Port = n
		}
	}

	if rest, ok := strings.CutPrefix(host, "*."); ok {
		p.Subdomains = true
		host = rest
	}
	if host == "*" || host == "" && p.Subdomains {
		return Pattern{}, fmt.Errorf("origin %q: a wildcard must be followed by a domain, as in %q; to allow every origin use allow_all", s, scheme+"://*.example.com")
	}
	if strings.Contains(host, "*") {
		return Pattern{}, fmt.Errorf("origin %q: '*' is only allowed as a whole leading label (%q) or as the port (%q)", s, scheme+"://*.example.com", scheme+"://localhost:*")
	}
	if p.Host, err = normalizeHost(host); err != nil {
		return Pattern{}, fmt.Errorf("origin %q: %v", s, err)
	}
	if p.Subdomains && (p.Host[0] == '[' || isIPv4(p.Host)) {
		return Pattern{}, fmt.Errorf("origin %q: an IP address has no subdomains; list the address itself", s)
	}
	return p, nil
}

// splitHostPort splits "host", "host:port" and "[v6]:port"; port may be "*".
func splitHostPort(hp string) (host, port string, err error) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", "", errors.New("unterminated IPv6 address")
		}
		host, after := hp[:end+1], hp[end+1:]
		if after == "" {
			return host, "", nil
		}
		if after[0] != ':' || len(after) == 1 {
			return "", "", fmt.Errorf("unexpected %q after the IPv6 address", after)
		}
		return host, after[1:], nil
	}
	host, port, found := strings.Cut(hp, ":")
	if found && (port == "" || strings.Contains(port, ":")) {
		return "", "", fmt.Errorf("invalid port %q", port)
	}
	if host == "" {
		return "", "", errors.New("missing host")
	}
	return host, port, nil
}

// normalizeHost lowercases a host, converts a Unicode name to punycode as
// browsers do when they serialize an origin, and checks the result.
func normalizeHost(host string) (string, error) {
	if host[0] == '[' {
		if len(host) < 2 || host[len(host)-1] != ']' {
			return "", fmt.Errorf("invalid IPv6 address %q", host)
		}
		addr, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", fmt.Errorf("invalid IPv6 address %q", host)
		}
		return "[" + addr.String() + "]", nil
	}
	if !utf8.ValidString(host) {
		return "", fmt.Errorf("invalid host %q: not UTF-8", host)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("invalid host %q: %v", host, err)
	}
	// The punycode form must itself be a valid host, as it is what
	// browsers send; idna lets a few broken inputs through.
	if again, err := idna.Lookup.ToASCII(ascii); err != nil || again != ascii {
		return "", fmt.Errorf("invalid host %q", host)
	}
	if !validHost(ascii) {
		return "", fmt.Errorf("invalid host %q; a host is dot-separated labels of letters, digits, '-' and '_'", host)
	}
	return ascii, nil
}

// validHost reports whether h is lower-case dot-separated labels of
// [a-z0-9_-], each 1 to 63 bytes, at most 253 bytes in all. It is also
// the check a request Origin's host passes before subdomain matching.
func validHost(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isIPv4(h string) bool {
	addr, err := netip.ParseAddr(h)
	return err == nil && addr.Is4()
}

// defaultPort is the port a browser leaves out when it serializes an origin.
func defaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	}
	return 0
}
