package fetch

import "strings"

// IsSafelistedResponseHeaderName is the Fetch standard's CORS-safelisted
// response-header name without an exposed list: the names a script can
// always read of a CORS response.
func IsSafelistedResponseHeaderName(name string) bool {
	for _, s := range [...]string{"Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"} {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// IsForbiddenResponseHeaderName is the Fetch standard's forbidden
// response-header name: Set-Cookie and Set-Cookie2, which no script reads.
func IsForbiddenResponseHeaderName(name string) bool {
	return strings.EqualFold(name, "Set-Cookie") || strings.EqualFold(name, "Set-Cookie2")
}

// Exposed reports whether a script can read the response header name of
// a CORS response that passed the CORS check, given the field lines of
// its Access-Control-Expose-Headers (Fetch, main fetch step 12, "CORS-
// exposed header-name list", and the CORS filtered response): the
// safelisted names always; a forbidden name never; another name when the
// list names it (case-insensitively) or, without credentials, has "*".
// With credentials "*" is a header named "*". A list with an element
// that is not a token fails to parse and exposes nothing.
func Exposed(aceh []string, name string, credentials bool) bool {
	if IsSafelistedResponseHeaderName(name) {
		return true
	}
	if IsForbiddenResponseHeaderName(name) {
		return false
	}
	found := false
	for _, line := range aceh {
		for e := range strings.SplitSeq(line, ",") {
			if e = TrimOWS(e); e == "" {
				continue
			}
			if !IsToken(e) {
				return false
			}
			if e == "*" && !credentials || equal(e, name, true) {
				found = true
			}
		}
	}
	return found
}
