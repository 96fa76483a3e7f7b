package fetch

import (
	"fmt"
	"strings"
)

// Firefox's words, as Firefox ESR 153 logs them in the page's console
// (dom/locales security.properties, the CORS* strings), collected from the
// browser over WebDriver BiDi by the browser suite, which holds these
// functions to them.

const firefoxBlocked = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "

// FirefoxReason is what Firefox says in "(Reason: ...)" for this failure;
// "" for a failure Firefox has no CORS words for.
func (f *Failure) FirefoxReason() string {
	switch f.FirefoxKind() {
	case MissingAllowOriginHeader:
		return "CORS header ‘Access-Control-Allow-Origin’ missing"
	case MultipleAllowOriginValues:
		return "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed"
	case AllowOriginMismatch:
		return "CORS header ‘Access-Control-Allow-Origin’ does not match ‘" + f.Value + "’"
	case WildcardOriginNotAllowed:
		return "Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’"
	case InvalidAllowCredentials:
		return "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’"
	case PreflightInvalidStatus:
		return "CORS preflight response did not succeed"
	case PreflightDisallowedRedirect:
		return "CORS request external redirect not allowed"
	case InvalidAllowMethodsPreflightResponse:
		return "invalid token ‘" + f.Value + "’ in CORS header ‘Access-Control-Allow-Methods’"
	case InvalidAllowHeadersPreflightResponse:
		return "invalid token ‘" + f.Value + "’ in CORS header ‘Access-Control-Allow-Headers’"
	case MethodDisallowedByPreflightResponse:
		return "Did not find method in CORS header ‘Access-Control-Allow-Methods’"
	case HeaderDisallowedByPreflightResponse:
		return "header ‘" + strings.ToLower(f.Value) + "’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response"
	}
	return ""
}

// FirefoxKind is the kind as Firefox tells it: it has one wording for an
// ACAO that is not the origin, whatever it is (the kinds Chromium calls
// invalid, and several values unless a comma separates them).
func (f *Failure) FirefoxKind() Kind {
	switch {
	case f.Kind == InvalidAllowOriginValue,
		f.Kind == MultipleAllowOriginValues && !strings.Contains(f.Value, ","):
		return AllowOriginMismatch
	}
	return f.Kind
}

// FirefoxConsole is the lines Firefox logs in the page's console, in
// order, for a fetch() of url that failed so (url is the URL where the
// failure was found, after any redirect: Firefox names no other). A
// failed preflight is followed by the line that the request itself did
// not succeed, and a redirected preflight by its status first.
func (f *Failure) FirefoxConsole(url string) []string {
	reason := f.FirefoxReason()
	if reason == "" {
		return nil
	}
	line := func(at, reason, status string) string {
		return firefoxBlocked + at + ". (Reason: " + reason + ")." + status
	}
	status := fmt.Sprintf(" Status code: %d.", f.Status)
	var lines []string
	switch f.FirefoxKind() {
	case MissingAllowOriginHeader, PreflightInvalidStatus:
		lines = append(lines, line(url, reason, status))
	case PreflightDisallowedRedirect:
		lines = append(lines, line(url, reason, ""), line(url, "CORS preflight response did not succeed", status))
	case WildcardOriginNotAllowed:
		// This string alone quotes the URL.
		lines = append(lines, line("‘"+url+"’", reason, ""))
	default:
		lines = append(lines, line(url, reason, ""))
	}
	if f.Preflight {
		lines = append(lines, line(url, "CORS request did not succeed", " Status code: (null)."))
	}
	return lines
}

// firefoxMarks tell Firefox's reasons apart, most specific first.
var firefoxMarks = []struct {
	mark string
	kind Kind
}{
	{"(Reason: CORS request external redirect not allowed)", PreflightDisallowedRedirect},
	{"(Reason: CORS preflight response did not succeed)", PreflightInvalidStatus},
	{"’ in CORS header ‘Access-Control-Allow-Methods’", InvalidAllowMethodsPreflightResponse},
	{"’ in CORS header ‘Access-Control-Allow-Headers’", InvalidAllowHeadersPreflightResponse},
	{"(Reason: Did not find method in CORS header", MethodDisallowedByPreflightResponse},
	{"from CORS preflight response)", HeaderDisallowedByPreflightResponse},
	{"‘Access-Control-Allow-Origin’ missing)", MissingAllowOriginHeader},
	{"(Reason: Multiple CORS header ‘Access-Control-Allow-Origin’", MultipleAllowOriginValues},
	{"‘Access-Control-Allow-Origin’ does not match", AllowOriginMismatch},
	{"(Reason: Credential is not supported", WildcardOriginNotAllowed},
	{"in CORS header ‘Access-Control-Allow-Credentials’)", InvalidAllowCredentials},
}

// KindOfFirefoxConsole recognizes the kind (as FirefoxKind tells it) of
// the first line Firefox logs about a CORS failure.
func KindOfFirefoxConsole(line string) (Kind, bool) {
	if !strings.HasPrefix(line, firefoxBlocked) {
		return 0, false
	}
	for _, m := range firefoxMarks {
		if strings.Contains(line, m.mark) {
			return m.kind, true
		}
	}
	return 0, false
}
