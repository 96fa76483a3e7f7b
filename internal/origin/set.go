package origin

import (
	"regexp"
	"strconv"
	"strings"
)

// Set answers whether a request Origin is allowed. Its cost does not grow
// with the number of patterns: exact origins and "host:*" origins are map
// keys, and subdomain patterns are looked up by domain, trying only the
// domain lengths (in labels) that some pattern has.
type Set struct {
	exact      map[string]struct{}        // "scheme://host[:port]", "null" and "file://"
	anyPort    map[string]struct{}        // "scheme://host" of "scheme://host:*"
	subdomains map[string][]subdomainRule // domain of "scheme://*.domain[:port]"
	labels     [2]uint64                  // bit n set: some subdomain pattern's domain has n labels
	regexp     *regexp.Regexp             // every origin_regexp as one anchored alternation, or nil
}

type subdomainRule struct {
	scheme  string
	port    string // "" for the default port
	anyPort bool
}

// NewSet builds a Set from parsed patterns and origin regexps (see CompileRegexps).
func NewSet(patterns []Pattern, re *regexp.Regexp) *Set {
	s := &Set{
		exact:      make(map[string]struct{}),
		anyPort:    make(map[string]struct{}),
		subdomains: make(map[string][]subdomainRule),
		regexp:     re,
	}
	for _, p := range patterns {
		switch {
		case p.Null, p.File:
			s.exact[p.String()] = struct{}{}
		case p.Subdomains:
			r := subdomainRule{scheme: p.Scheme, anyPort: p.AnyPort()}
			if p.Port > 0 {
				r.port = strconv.Itoa(p.Port)
			}
			s.subdomains[p.Host] = append(s.subdomains[p.Host], r)
			n := strings.Count(p.Host, ".") + 1 // at most 127: hosts are at most 253 bytes
			s.labels[n/64] |= 1 << (n % 64)
		case p.AnyPort():
			s.anyPort[p.Scheme+"://"+p.Host] = struct{}{}
		default:
			s.exact[p.String()] = struct{}{}
		}
	}
	return s
}

// Contains reports whether the request Origin o, compared as the browser
// sent it, is allowed. It does not allocate.
func (s *Set) Contains(o string) bool {
	if len(o) > MaxLength {
		return false
	}
	if _, ok := s.exact[o]; ok {
		return true
	}
	if len(s.anyPort) > 0 || len(s.subdomains) > 0 {
		scheme, host, port, ok := split(o)
		if ok {
			if _, ok := s.anyPort[o[:len(scheme)+len("://")+len(host)]]; ok {
				return true
			}
			if len(s.subdomains) > 0 && s.matchSubdomain(scheme, host, port) {
				return true
			}
		}
	}
	return s.regexp != nil && s.regexp.MatchString(o)
}

func (s *Set) matchSubdomain(scheme, host, port string) bool {
	if len(host) > 253 { // a DNS name's limit; it also keeps labels below 128
		return false
	}
	labels := 0
	// Walk the dots from the right: host[i+1:] is a domain of labels
	// labels, and host[:i] is what the "*." covers. The domain is a
	// configured one when it is found, so only host[:i] needs checking,
	// and only then.
	for i := len(host) - 1; i > 0; i-- {
		if host[i] != '.' {
			continue
		}
		labels++
		if s.labels[labels/64]&(1<<(labels%64)) == 0 {
			continue
		}
		for _, r := range s.subdomains[host[i+1:]] {
			if r.scheme == scheme && (r.anyPort || r.port == port) {
				return validHost(host[:i])
			}
		}
	}
	return false
}

// split splits a request Origin into scheme, host and port (port "" when
// absent). ok is false when o is not a well-formed tuple origin; such an
// Origin can still equal a configured exact origin byte for byte.
func split(o string) (scheme, host, port string, ok bool) {
	i := strings.Index(o, "://")
	if i <= 0 {
		return "", "", "", false
	}
	scheme, rest := o[:i], o[i+3:]
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", "", false
		}
		host, rest = rest[:end+1], rest[end+1:]
	} else {
		end := strings.IndexByte(rest, ':')
		if end < 0 {
			end = len(rest)
		}
		host, rest = rest[:end], rest[end:]
	}
	if rest != "" {
		if rest[0] != ':' || !ValidPort(rest[1:]) {
			return "", "", "", false
		}
		port = rest[1:]
	}
	return scheme, host, port, host != ""
}

// ValidPort accepts a port as a browser serializes it: 1 to 65535, no
// leading zero. It is the one port rule of the module: Origin values,
// and the Host values the permission module keys its cache by.
func ValidPort(p string) bool {
	if len(p) == 0 || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}
