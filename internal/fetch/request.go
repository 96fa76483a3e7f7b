// Package fetch holds the browser's side of the CORS protocol of the WHATWG
// Fetch standard (https://fetch.spec.whatwg.org/), as Chromium implements it:
// which requests are preflighted, how the preflight is built, and the CORS
// check and CORS-preflight checks with Chromium's console wording.
//
// `caddy cors check` and the browser suite's cross-check both use it, so
// the rules the simulator applies are the ones held against the browser.
package fetch

import (
	"slices"
	"strings"
)

// Header is one request header as a script sets it with fetch(url,
// {headers}).
type Header struct {
	Name, Value string
}

// NormalizeMethod is the Fetch standard's "normalize a method": DELETE,
// GET, HEAD, OPTIONS, POST and PUT are upper-cased when matched
// case-insensitively; any other method ("patch") is kept as written.
func NormalizeMethod(m string) string {
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if strings.EqualFold(m, n) {
			return n
		}
	}
	return m
}

// IsForbiddenMethod is the Fetch standard's forbidden method: fetch()
// throws a TypeError for CONNECT, TRACE and TRACK before any request.
func IsForbiddenMethod(m string) bool {
	return strings.EqualFold(m, "CONNECT") || strings.EqualFold(m, "TRACE") || strings.EqualFold(m, "TRACK")
}

// IsSafelistedMethod is the Fetch standard's CORS-safelisted method:
// GET, HEAD or POST, compared case-sensitively after normalization.
func IsSafelistedMethod(m string) bool {
	return m == "GET" || m == "HEAD" || m == "POST"
}

// forbiddenRequestHeaders are the Fetch standard's forbidden request-header
// names (besides the Proxy- and Sec- prefixes): a script's Headers object
// silently drops them, the browser sets them itself.
var forbiddenRequestHeaders = []string{
	"accept-charset", "accept-encoding",
	"access-control-request-headers", "access-control-request-method",
	"connection", "content-length", "cookie", "cookie2", "date", "dnt",
	"expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te",
	"trailer", "transfer-encoding", "upgrade", "via",
}

// IsForbiddenRequestHeader is the Fetch standard's forbidden request-header
// (name, value): the listed names, names starting with proxy- or sec-, and
// the method-override headers when they name a forbidden method.
func IsForbiddenRequestHeader(name, value string) bool {
	lower := strings.ToLower(name)
	if slices.Contains(forbiddenRequestHeaders, lower) || strings.HasPrefix(lower, "proxy-") || strings.HasPrefix(lower, "sec-") {
		return true
	}
	switch lower {
	case "x-http-method", "x-http-method-override", "x-method-override":
		for m := range strings.SplitSeq(value, ",") {
			if IsForbiddenMethod(strings.TrimSpace(m)) {
				return true
			}
		}
	}
	return false
}

// Limits of the Fetch standard's CORS-safelisted request-header: each value
// at most 128 bytes, all safelisted values of a request at most 1024 bytes.
const (
	maxSafelistedValue = 128
	maxSafelistedTotal = 1024
)

// IsSafelistedRequestHeader is the Fetch standard's CORS-safelisted
// request-header (name, value).
//
// Chromium departs from the standard by also safelisting client-hint
// names with plausible values (network::cors::IsCorsSafelistedHeader):
// see chromiumClientHint. This follows Chromium; the browser suite holds
// it to the installed Chromium.
func IsSafelistedRequestHeader(name, value string) bool {
	return isStandardSafelisted(name, value) ||
		len(value) <= maxSafelistedValue && chromiumClientHint(strings.ToLower(name), value)
}

// isStandardSafelisted is the Fetch standard's CORS-safelisted
// request-header, as Firefox and WebKit have it.
func isStandardSafelisted(name, value string) bool {
	// Step 1: if value's length is greater than 128, return false.
	if len(value) > maxSafelistedValue {
		return false
	}
	// Step 2: byte-lowercase name and switch on the result.
	switch strings.ToLower(name) {
	case "accept":
		return !hasUnsafeByte(value)
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			if !isLanguageByte(value[i]) {
				return false
			}
		}
		return true
	case "content-type":
		if hasUnsafeByte(value) {
			return false
		}
		essence, ok := mimeEssence(value)
		if !ok {
			return false
		}
		switch essence {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return true
		}
		return false
	case "range":
		return isSimpleRange(value)
	}
	return false
}

// chromiumClientHint is Chromium's addition to the safelist: the client
// hints a page may set itself, when the value looks like one.
func chromiumClientHint(lower, value string) bool {
	switch lower {
	case "device-memory", "dpr", "downlink":
		return isDecimal(value)
	case "width", "viewport-width", "rtt":
		return isDigits(value)
	case "ect":
		switch value {
		case "slow-2g", "2g", "3g", "4g":
			return true
		}
	case "save-data":
		return strings.EqualFold(value, "on")
	}
	return false
}

// isDecimal: digits with at most one '.', at least one digit.
func isDecimal(v string) bool {
	whole, frac, _ := strings.Cut(v, ".")
	return whole+frac != "" && (whole == "" || isDigits(whole)) && (frac == "" || isDigits(frac))
}

// hasUnsafeByte reports whether v contains a CORS-unsafe request-header
// byte: a control byte other than HT, DEL, or one of "():<>?@[\]{}.
func hasUnsafeByte(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c == 0x7f || strings.IndexByte(`"():<>?@[\]{}`, c) >= 0 {
			return true
		}
	}
	return false
}

// isLanguageByte: 0-9, A-Z, a-z, space, and *,-.;= (Accept-Language and
// Content-Language).
func isLanguageByte(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || strings.IndexByte(" *,-.;=", c) >= 0
}

// mimeEssence parses a MIME type as the Fetch standard's Content-Type rule
// does ("parse a MIME type") far enough to know its essence, type/subtype
// lower-cased; parameters do not matter to the rule.
func mimeEssence(v string) (string, bool) {
	v = strings.Trim(v, " \t\r\n")
	slash := strings.IndexByte(v, '/')
	if slash <= 0 {
		return "", false
	}
	typ := v[:slash]
	sub := v[slash+1:]
	if semi := strings.IndexByte(sub, ';'); semi >= 0 {
		sub = sub[:semi]
	}
	sub = strings.TrimRight(sub, " \t\r\n")
	if !IsToken(typ) || !IsToken(sub) {
		return "", false
	}
	return strings.ToLower(typ + "/" + sub), true
}

// isSimpleRange is the range case of the safelist: a single "bytes=start-"
// or "bytes=start-end" range; a suffix range ("bytes=-500") is not.
func isSimpleRange(v string) bool {
	if len(v) < 6 || !strings.EqualFold(v[:6], "bytes=") {
		return false
	}
	rest := v[6:]
	start, end, ok := strings.Cut(rest, "-")
	if !ok || start == "" || !isDigits(start) || (end != "" && !isDigits(end)) {
		return false
	}
	if end != "" && compareDigits(start, end) > 0 {
		return false
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// compareDigits compares two decimal numbers of any length.
func compareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// UnsafeHeaderNames is the Fetch standard's CORS-unsafe request-header
// names: the names of headers that are not CORS-safelisted, and of all
// safelisted ones too when their values add up to more than 1024 bytes,
// as a sorted, lower-cased, de-duplicated list.
func UnsafeHeaderNames(headers []Header) []string {
	return unsafeHeaderNames(headers, IsSafelistedRequestHeader)
}

func unsafeHeaderNames(headers []Header, safelisted func(name, value string) bool) []string {
	var unsafe, potentially []string
	total := 0
	for _, h := range headers {
		if safelisted(h.Name, h.Value) {
			potentially = append(potentially, h.Name)
			total += len(h.Value)
		} else {
			unsafe = append(unsafe, h.Name)
		}
	}
	if total > maxSafelistedTotal {
		unsafe = append(unsafe, potentially...)
	}
	return sortedLowercaseSet(unsafe)
}

// sortedLowercaseSet is the Fetch standard's "convert header names to a
// sorted-lowercase set".
func sortedLowercaseSet(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(n))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// NeedsPreflight reports whether a fetch() in "cors" mode with this
// (normalized) method and these headers sends a CORS-preflight request
// first, with an empty preflight cache (Fetch, HTTP fetch: "request's
// method is not a CORS-safelisted method", or "at least one item in the
// CORS-unsafe request-header names").
func NeedsPreflight(method string, headers []Header) bool {
	return !IsSafelistedMethod(method) || len(UnsafeHeaderNames(headers)) > 0
}

// PreflightRequestHeaders returns the values of Access-Control-Request-Method
// and Access-Control-Request-Headers as the CORS-preflight fetch builds
// them: the method as it is, and the CORS-unsafe request-header names
// joined with "," and no spaces ("" when there are none: the header is
// then not sent). Chromium sends the same.
func PreflightRequestHeaders(method string, headers []Header) (acrm, acrh string) {
	return method, strings.Join(UnsafeHeaderNames(headers), ",")
}
