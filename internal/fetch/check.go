package fetch

import (
	"net/http"
	"net/url"
	"strings"
)

// Response is what the browser-side checks read of a response.
type Response struct {
	Status int
	Header http.Header
}

// Request is the request a script makes with fetch(URL, {method, headers,
// credentials}) from a page on Origin.
type Request struct {
	URL         string
	Origin      string // the page's serialized origin, as sent in Origin
	Method      string // normalized
	Headers     []Header
	Credentials bool // credentials mode "include"
	Engine      Engine
}

// header is Fetch's "get a header": the values of every field line of
// name, joined with ", ", or absent. Chromium does the same
// (HttpResponseHeaders::GetNormalizedHeader), so two ACAO lines read as
// one value with a comma in it.
//
// name is one of the canonical constants of this package, so the map is
// indexed with it as it is: what Values would do, without canonicalizing
// it again on every check.
func header(h http.Header, name string) (string, bool) {
	vs := h[name]
	if len(vs) == 0 {
		return "", false
	}
	return strings.Join(vs, ", "), true
}

// CheckCORS is the Fetch standard's CORS check (section 4.9, "CORS check")
// in the order and with the error kinds of Chromium's
// network::cors::CheckAccess. It returns nil on success. preflight says
// which response is checked, for the wording only.
func CheckCORS(resp Response, origin string, credentials, preflight bool) *Failure {
	return failed(CORSVerdict(resp, origin, credentials, preflight))
}

// CORSVerdict is CheckCORS with the failure as a value (Kind 0 on
// success).
func CORSVerdict(resp Response, origin string, credentials, preflight bool) Failure {
	v := CORSVerdicts(resp, origin, preflight)
	if credentials {
		return v[1]
	}
	return v[0]
}

// CORSVerdicts is the CORS check in both credentials modes, [0] omitted
// and [1] included: the steps that do not depend on the mode run once.
// It does not allocate unless ACAO has several field lines or is another
// origin (wording those parses the value), so that the handler's
// report-only mode can judge every request with it.
func CORSVerdicts(resp Response, origin string, preflight bool) [2]Failure {
	return stamped(corsVerdicts(resp, origin, preflight), resp)
}

// stamped records the response's status in failures (Firefox's words
// name it).
func stamped(v [2]Failure, resp Response) [2]Failure {
	for c := range v {
		if v[c].Kind != 0 {
			v[c].Status = resp.Status
		}
	}
	return v
}

func corsVerdicts(resp Response, origin string, preflight bool) [2]Failure {
	fail := func(k Kind, v string) Failure { return Failure{Kind: k, Value: v, Preflight: preflight} }
	both := func(f Failure) [2]Failure { return [2]Failure{f, f} }
	// A network error (no status) is not a CORS failure Chromium words as
	// one; the check does not reach here without a response.
	if resp.Status == 0 {
		return both(fail(InvalidResponse, ""))
	}
	// Step 1: let origin be the result of getting ACAO.
	acao, ok := header(resp.Header, "Access-Control-Allow-Origin")
	switch {
	case ok && acao == "*":
		// Step 3: without credentials, "*" is success. With them the
		// standard goes on to step 4, where "*" is not the origin; Chromium
		// reports this case with words of its own.
		return [2]Failure{{}, fail(WildcardOriginNotAllowed, "")}
	case !ok:
		// Step 2: if origin is null (absent), return failure.
		return both(fail(MissingAllowOriginHeader, ""))
	case acao != origin:
		// Step 4: the request's serialized origin must equal the value
		// byte for byte. Chromium words a comma or space (several values,
		// or several field lines) separately, then an unparsable value,
		// then a mismatch.
		switch {
		case strings.ContainsAny(acao, " ,"):
			return both(fail(MultipleAllowOriginValues, acao))
		case acao == "null":
			return both(fail(AllowOriginMismatch, acao))
		case !validOriginURL(acao):
			return both(fail(InvalidAllowOriginValue, acao))
		}
		return both(fail(AllowOriginMismatch, acao))
	}
	// Steps 5-8: with credentials, ACAC must be exactly "true"
	// (case-sensitive); without them it is not read.
	if acac, _ := header(resp.Header, "Access-Control-Allow-Credentials"); acac != "true" {
		return [2]Failure{{}, fail(InvalidAllowCredentials, acac)}
	}
	return [2]Failure{}
}

// failed is f as CheckCORS and CheckPreflight return it: nil on success.
func failed(f Failure) *Failure {
	if f.Kind == 0 {
		return nil
	}
	return &f
}

// validOriginURL approximates Chromium's GURL(value).is_valid(), which
// only chooses between two wordings: an absolute URL with a scheme.
func validOriginURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

// IsRedirect reports whether status is a redirect status of the Fetch
// standard (301, 302, 303, 307, 308).
func IsRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// CheckPreflight applies the checks of the Fetch standard's CORS-preflight
// fetch (section 4.8) to the preflight response for req, in Chromium's
// order (PreflightController, then PreflightResult): a redirect fails at
// once; then the CORS check; then the ok status; then ACAM and ACAH must
// parse; then the method, then each CORS-unsafe header name, must be
// allowed. It returns nil when the actual request may be sent.
func CheckPreflight(resp Response, req Request) *Failure {
	return failed(PreflightVerdict(resp, req.Origin, req.Method, req.Engine.UnsafeHeaderNames(req.Headers), req.Credentials))
}

// PreflightVerdict is CheckPreflight for a preflight as the server sees
// it, with the failure as a value (Kind 0 on success): names are the
// CORS-unsafe request-header names, as the preflight's
// Access-Control-Request-Headers lists them (sorted and lower-cased by
// browsers; Chromium names the first missing one in that order).
func PreflightVerdict(resp Response, origin, method string, names []string, credentials bool) Failure {
	v := PreflightVerdicts(resp, origin, method, names)
	if credentials {
		return v[1]
	}
	return v[0]
}

// PreflightVerdicts is PreflightVerdict in both credentials modes at
// once, [0] omitted and [1] included: the lists are read once, and
// nothing is allocated, so that report-only can judge every preflight
// with it.
func PreflightVerdicts(resp Response, origin, method string, names []string) [2]Failure {
	return stamped(preflightVerdicts(resp, origin, method, names), resp)
}

func preflightVerdicts(resp Response, origin, method string, names []string) (v [2]Failure) {
	// Fetch runs the preflight with redirect mode "error"... in effect a
	// redirect is not an ok status. Chromium stops at the redirect itself.
	if IsRedirect(resp.Status) {
		f := Failure{Kind: PreflightDisallowedRedirect, Preflight: true}
		return [2]Failure{f, f}
	}
	// Step 7: "If a CORS check for request and response returns success
	// and response's status is an ok status". Chromium reports the CORS
	// check's failure first, so a 403 without ACAO reads as missing ACAO.
	v = CORSVerdicts(resp, origin, true)
	if v[0].Kind != 0 && v[1].Kind != 0 {
		return v
	}
	rest := preflightLists(resp, method, names)
	for c := range v {
		if v[c].Kind == 0 {
			v[c] = rest[c]
		}
	}
	return v
}

// preflightLists is the rest of the CORS-preflight checks, after the
// CORS check, in both credentials modes: the ok status, then steps 7.1-7.7.
func preflightLists(resp Response, method string, names []string) (v [2]Failure) {
	if resp.Status < 200 || resp.Status > 299 {
		f := Failure{Kind: PreflightInvalidStatus, Preflight: true}
		return [2]Failure{f, f}
	}
	// Steps 7.1-7.2: extract ACAM and ACAH as lists of tokens; failure is
	// a network error (7.3).
	acam, bad := scanList(resp.Header["Access-Control-Allow-Methods"], []string{method}, false)
	if !acam.valid {
		f := Failure{Kind: InvalidAllowMethodsPreflightResponse, Value: bad, Preflight: true}
		return [2]Failure{f, f}
	}
	acah, bad := scanList(resp.Header["Access-Control-Allow-Headers"], names, true)
	if !acah.valid {
		f := Failure{Kind: InvalidAllowHeadersPreflightResponse, Value: bad, Preflight: true}
		return [2]Failure{f, f}
	}
	for c := range v {
		credentials := c == 1
		if v[c] = checkMethod(method, credentials, acam); v[c].Kind == 0 {
			v[c] = checkHeaders(names, credentials, acah)
		}
	}
	return v
}

// checkMethod: Fetch step 7.5, "If request's method is not in methods,
// request's method is not a CORS-safelisted method, and request's
// credentials mode is include or methods does not contain *, return a
// network error." The comparison is byte for byte: Chromium (156) allows
// a fetch with method "patch" by ACAM "patch", as the browser suite shows.
func checkMethod(m string, credentials bool, methods list) Failure {
	if IsSafelistedMethod(m) || methods.has(0) {
		return Failure{}
	}
	if !credentials && methods.star {
		return Failure{}
	}
	return Failure{Kind: MethodDisallowedByPreflightResponse, Value: m, Preflight: true}
}

// checkHeaders: Fetch steps 7.6-7.7. Every CORS-unsafe request-header name
// must be in ACAH (case-insensitively), or "*" covers it without
// credentials. Chromium names the first missing one in the sorted,
// lower-cased order of ACRH.
//
// Chromium departs from the standard here: the standard's step 7.6 makes
// Authorization (the CORS non-wildcard request-header name) need listing
// by name even when ACAH is "*", but Chromium (156) lets "*" cover it, as
// the browser suite shows. This follows Chromium.
func checkHeaders(names []string, credentials bool, allowed list) Failure {
	if !credentials && allowed.star {
		return Failure{}
	}
	for i, name := range names {
		if !allowed.has(i) {
			return Failure{Kind: HeaderDisallowedByPreflightResponse, Value: name, Preflight: true}
		}
	}
	return Failure{}
}

// list is what one pass over an ACAM or ACAH field's lines found.
type list struct {
	lines []string
	valid bool   // every element is a token (Fetch's "extract header list values" did not fail)
	star  bool   // an element is "*"
	found uint64 // bit i: wanted[i] is an element (for the first 64)
	want  []string
	fold  bool
}

// scanList is Fetch's "extract header list values" for ACAM and ACAH in
// one pass that does not build the list: every element of every field
// line, split on commas and trimmed, must be a token (empty elements are
// skipped, as Chromium does); it notes "*" and which of want are
// elements, compared byte for byte or, with fold, case-insensitively.
// When the list is not valid, bad is the first element that is not a
// token (Firefox names it).
func scanList(lines, want []string, fold bool) (l list, bad string) {
	l = list{lines: lines, want: want, fold: fold}
	for _, line := range lines {
		for len(line) > 0 {
			e := line
			if i := strings.IndexByte(line, ','); i >= 0 {
				e, line = line[:i], line[i+1:]
			} else {
				line = ""
			}
			if e = TrimOWS(e); e == "" {
				continue
			}
			if !IsToken(e) {
				return list{}, e
			}
			l.star = l.star || e == "*"
			for i := 0; i < len(want) && i < 64; i++ {
				if l.found&(1<<i) == 0 && equal(e, want[i], fold) {
					l.found |= 1 << i
				}
			}
		}
	}
	l.valid = true
	return l, ""
}

// has reports whether want[i] is an element of the list.
func (l list) has(i int) bool {
	if i < 64 {
		return l.found&(1<<i) != 0
	}
	return listHas(l.lines, l.want[i], l.fold) // past the mask: rare, searched again
}

// listHas reports whether the list in lines (valid, as scanList checked)
// has the element v.
func listHas(lines []string, v string, fold bool) bool {
	for _, line := range lines {
		for e := range strings.SplitSeq(line, ",") {
			if e = TrimOWS(e); e != "" && equal(e, v, fold) {
				return true
			}
		}
	}
	return false
}

// equal compares a and b byte for byte or, with fold, as the Fetch
// standard's byte-case-insensitive match: ASCII letters only (Unicode
// case folding would match the Kelvin sign with a k, which no browser does).
func equal(a, b string, fold bool) bool {
	if a == b {
		return true
	}
	if !fold || len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if LowerASCII(a[i]) != LowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// LowerASCII lower-cases an ASCII letter and leaves every other byte
// as it is: the case folding of header names and host names.
func LowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// TrimOWS trims spaces and tabs (HTTP's optional whitespace) from s.
func TrimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
