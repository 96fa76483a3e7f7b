// Package permission holds the guest modules of the cors handler's
// "permission" field (namespace http.handlers.cors.permission): sources
// that decide the origins the static configuration does not allow.
package permission

import (
	"context"
	"strings"

	"github.com/corsedge/caddy-cors/internal/origin"
)

// Checker decides whether an origin may read responses from a host. The
// cors handler asks it only about origins that its static origins,
// patterns and regexps do not allow, for preflights and actual requests
// alike.
//
// Allowed is on the hot path of every such request: once an answer is
// known (allowed or denied) it must return it without allocating, and an
// unknown answer must be decided within a bounded time. origin and host
// are the request's Origin and Host values as received, and so are
// attacker-controlled; ctx is the request's context.
type Checker interface {
	Allowed(ctx context.Context, origin, host string) bool
}

// Cached is implemented by a Checker that can tell without waiting
// whether it knows the answer for an origin and host (a cached answer, or
// a malformed value it denies without asking). The cors handler then
// decides actual requests whose answer is not known yet beside the next
// handler, instead of before it: it calls Allowed in the background and
// waits only when the response's headers are written. A Checker without
// it is asked on the request path. Cached must not allocate.
type Cached interface {
	Cached(origin, host string) (allowed, known bool)
}

// maxHostLen bounds a request Host once its port is dropped: a DNS name
// is at most 253 bytes, a bracketed IPv6 literal much less.
const maxHostLen = 253

// splitHost checks the request Host h and returns its host name without
// the port, and whether that needs lower-casing to be a cache key (which
// lowerHost does). ok is false for a Host that is empty, over-long or not
// a host name, IPv4 or bracketed IPv6 address (with an optional port):
// such a Host is denied without a lookup, exactly like a malformed
// Origin. It does not copy: a Host as browsers send it is its own key.
func splitHost(h string) (name string, upper, ok bool) {
	if len(h) > 0 && h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 || !validPortSuffix(h[end+1:]) {
			return "", false, false
		}
		name = h[:end+1]
		if len(name) > maxHostLen || !validIPv6Literal(name) {
			return "", false, false
		}
		for i := 1; i < len(name)-1; i++ {
			if 'A' <= name[i] && name[i] <= 'F' {
				upper = true
			}
		}
		return name, upper, true
	}
	name = h
	if i := strings.IndexByte(h, ':'); i >= 0 {
		name = h[:i]
		if !validPortSuffix(h[i:]) {
			return "", false, false
		}
	}
	if len(name) == 0 || len(name) > maxHostLen {
		return "", false, false
	}
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		case c == '.':
			// A trailing dot (the FQDN form) is a malformed Host here:
			// it would be a second key for the same site.
			if label == 0 || i == len(name)-1 {
				return "", false, false
			}
			label = 0
			continue
		case 'A' <= c && c <= 'Z':
			upper = true
		case c != '_':
			return "", false, false
		}
		if label++; label > 63 {
			return "", false, false
		}
	}
	return name, upper, true
}

// portless is the fast path's split of a Host that is not an IPv6
// literal: the name before a well-formed port. The name is not checked:
// it is only compared with cached keys, which were.
func portless(h string) (string, bool) {
	if len(h) == 0 || h[0] == '[' {
		return "", false
	}
	i := strings.IndexByte(h, ':')
	if i < 0 {
		return h, true
	}
	return h[:i], i > 0 && validPortSuffix(h[i:])
}

// lowerHost lower-cases a name that splitHost accepted into buf.
func lowerHost(name string, buf *[maxHostLen]byte) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(name)]
}

// validPortSuffix accepts "" or ":" and a port as browsers send it.
func validPortSuffix(s string) bool {
	return s == "" || s[0] == ':' && origin.ValidPort(s[1:])
}

// validIPv6Literal checks the characters of "[...]": hex digits, colons
// and dots (an embedded IPv4), nothing else, no zone.
func validIPv6Literal(s string) bool {
	if len(s) < 4 { // "[::]"
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}
