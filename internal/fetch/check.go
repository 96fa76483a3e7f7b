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
func header(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
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
	fail := func(k Kind, v string) *Failure {
		return &Failure{Kind: k, Value: v, Preflight: preflight, Status: resp.Status}
	}
	// A network error (no status) is not a CORS failure Chromium words as
	// one; the check does not reach here without a response.
	if resp.Status == 0 {
		return fail(InvalidResponse, "")
	}
	// Step 1: let origin be the result of getting ACAO.
	acao, ok := header(resp.Header, "Access-Control-Allow-Origin")
	switch {
	case ok && acao == "*":
		// Step 3: without credentials, "*" is success. With them the
		// standard goes on to step 4, where "*" is not the origin; Chromium
		// reports this case with words of its own.
		if !credentials {
			return nil
		}
		return fail(WildcardOriginNotAllowed, "")
	case !ok:
		// Step 2: if origin is null (absent), return failure.
		return fail(MissingAllowOriginHeader, "")
	case acao != origin:
		// Step 4: the request's serialized origin must equal the value
		// byte for byte. Chromium words a comma or space (several values,
		// or several field lines) separately, then an unparsable value,
		// then a mismatch.
		switch {
		case strings.ContainsAny(acao, " ,"):
			return fail(MultipleAllowOriginValues, acao)
		case acao == "null":
			return fail(AllowOriginMismatch, acao)
		case !validOriginURL(acao):
			return fail(InvalidAllowOriginValue, acao)
		}
		return fail(AllowOriginMismatch, acao)
	}
	// Steps 5-8: with credentials, ACAC must be exactly "true"
	// (case-sensitive).
	if credentials {
		if acac, _ := header(resp.Header, "Access-Control-Allow-Credentials"); acac != "true" {
			return fail(InvalidAllowCredentials, acac)
		}
	}
	return nil
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
	// Fetch runs the preflight with redirect mode "error"... in effect a
	// redirect is not an ok status. Chromium stops at the redirect itself.
	if IsRedirect(resp.Status) {
		return &Failure{Kind: PreflightDisallowedRedirect, Preflight: true, Status: resp.Status}
	}
	// Step 7: "If a CORS check for request and response returns success
	// and response's status is an ok status". Chromium reports the CORS
	// check's failure first, so a 403 without ACAO reads as missing ACAO.
	if f := CheckCORS(resp, req.Origin, req.Credentials, true); f != nil {
		return f
	}
	if resp.Status < 200 || resp.Status > 299 {
		return &Failure{Kind: PreflightInvalidStatus, Preflight: true, Status: resp.Status}
	}
	// Steps 7.1-7.2: extract ACAM and ACAH as lists of tokens; failure is
	// a network error (7.3).
	methods, bad, ok := extractList(resp.Header, "Access-Control-Allow-Methods")
	if !ok {
		return &Failure{Kind: InvalidAllowMethodsPreflightResponse, Value: bad, Preflight: true, Status: resp.Status}
	}
	names, bad, ok := extractList(resp.Header, "Access-Control-Allow-Headers")
	if !ok {
		return &Failure{Kind: InvalidAllowHeadersPreflightResponse, Value: bad, Preflight: true, Status: resp.Status}
	}
	if f := checkMethod(req, methods); f != nil {
		f.Status = resp.Status
		return f
	}
	if f := checkHeaders(req, names); f != nil {
		f.Status = resp.Status
		return f
	}
	return nil
}

// checkMethod: Fetch step 7.5, "If request's method is not in methods,
// request's method is not a CORS-safelisted method, and request's
// credentials mode is include or methods does not contain *, return a
// network error." The comparison is byte for byte: Chromium (156) allows
// a fetch with method "patch" by ACAM "patch", as the browser suite shows.
func checkMethod(req Request, methods []string) *Failure {
	m := req.Method
	if IsSafelistedMethod(m) || contains(methods, m) {
		return nil
	}
	if !req.Credentials && contains(methods, "*") {
		return nil
	}
	return &Failure{Kind: MethodDisallowedByPreflightResponse, Value: req.Method, Preflight: true}
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
func checkHeaders(req Request, allowed []string) *Failure {
	wildcard := !req.Credentials && contains(allowed, "*")
	for _, name := range req.Engine.UnsafeHeaderNames(req.Headers) {
		if wildcard || containsFold(allowed, name) {
			continue
		}
		return &Failure{Kind: HeaderDisallowedByPreflightResponse, Value: name, Preflight: true}
	}
	return nil
}

// extractList is Fetch's "extract header list values" for ACAM and ACAH:
// all field lines, split on commas, trimmed; an element that is not a
// token is a failure, which returns that element (Firefox names it).
// Empty elements are skipped, as Chromium does.
func extractList(h http.Header, name string) ([]string, string, bool) {
	var out []string
	for _, line := range h.Values(name) {
		for v := range strings.SplitSeq(line, ",") {
			v = strings.Trim(v, " \t")
			if v == "" {
				continue
			}
			if !IsToken(v) {
				return nil, v, false
			}
			out = append(out, v)
		}
	}
	return out, "", true
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}
