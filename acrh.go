package cors

import "github.com/corsedge/caddy-cors/internal/fetch"

// Bounds on Access-Control-Request-Headers. Browsers send one line of
// sorted, lower-case, de-duplicated names without spaces; anything past
// these bounds is hostile or broken and is denied before it costs more.
const (
	maxACRHLines = 16   // field lines (a client may split the list)
	maxACRHBytes = 4096 // all lines together, separators and spaces included
	maxACRHNames = 64   // names in all lines
	maxACRHEmpty = 16   // empty elements ("a,,b"), which the list syntax tolerates
)

// allowHeaders implements the header half of the CORS-preflight check from
// the server side: every name in the Access-Control-Request-Headers lines
// must be allowed. Names are compared case-insensitively; spaces and tabs
// around commas and empty elements are ignored, as the list syntax of RFC
// 9110 requires. It does not allocate, and its work is bounded by the
// limits above whatever the input. On denial, bad is the offending name
// ("" when the list as a whole was refused).
func (p *policy) allowHeaders(lines []string) (names int, bad string, ok bool) {
	if len(lines) > maxACRHLines {
		return 0, "", false
	}
	total := 0
	for _, line := range lines {
		total += len(line)
	}
	if total > maxACRHBytes {
		return 0, "", false
	}
	empties := 0
	for _, line := range lines {
		for start := 0; start <= len(line); {
			end := start
			for end < len(line) && line[end] != ',' {
				end++
			}
			name := fetch.TrimOWS(line[start:end])
			start = end + 1
			if name == "" {
				if empties++; empties > maxACRHEmpty {
					return 0, "", false
				}
				continue
			}
			if names++; names > maxACRHNames {
				return 0, "", false
			}
			if !p.allowHeader(name) {
				return 0, name, false
			}
		}
	}
	return names, "", true
}

// allowHeader reports whether one requested header name is allowed.
func (p *policy) allowHeader(name string) bool {
	if p.anyHeader {
		return fetch.IsToken(name)
	}
	if len(name) > p.maxHeaderLen {
		return false
	}
	// Lower-case into a stack buffer: a map lookup keyed by string(buf)
	// does not allocate.
	var buf [maxHeaderNameLen]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !fetch.IsTchar(c) {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := p.headers[string(buf[:len(name)])]
	return ok
}

// maxHeaderNameLen bounds configured header names, so that allowHeader's
// buffer can hold any name that could match.
const maxHeaderNameLen = 256
