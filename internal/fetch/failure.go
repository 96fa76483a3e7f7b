package fetch

import (
	"fmt"
	"strings"
)

// Kind is a reason for a CORS failure, named after Chromium's
// network::mojom::CorsError values.
type Kind int

// The kinds of CORS failure that a check can find, in no particular order.
const (
	InvalidResponse Kind = iota + 1
	MissingAllowOriginHeader
	MultipleAllowOriginValues
	InvalidAllowOriginValue
	AllowOriginMismatch
	WildcardOriginNotAllowed
	InvalidAllowCredentials
	PreflightInvalidStatus
	PreflightDisallowedRedirect
	InvalidAllowMethodsPreflightResponse
	InvalidAllowHeadersPreflightResponse
	MethodDisallowedByPreflightResponse
	HeaderDisallowedByPreflightResponse
)

var kindNames = map[Kind]string{
	InvalidResponse:                      "invalid_response",
	MissingAllowOriginHeader:             "missing_allow_origin",
	MultipleAllowOriginValues:            "multiple_allow_origin_values",
	InvalidAllowOriginValue:              "invalid_allow_origin_value",
	AllowOriginMismatch:                  "allow_origin_mismatch",
	WildcardOriginNotAllowed:             "wildcard_origin_with_credentials",
	InvalidAllowCredentials:              "invalid_allow_credentials",
	PreflightInvalidStatus:               "preflight_invalid_status",
	PreflightDisallowedRedirect:          "preflight_redirect",
	InvalidAllowMethodsPreflightResponse: "invalid_allow_methods",
	InvalidAllowHeadersPreflightResponse: "invalid_allow_headers",
	MethodDisallowedByPreflightResponse:  "method_not_allowed",
	HeaderDisallowedByPreflightResponse:  "header_not_allowed",
}

// String is the kind's stable name, used in --json output.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Failure is why a browser refuses a cross-origin response.
type Failure struct {
	Kind      Kind
	Value     string // the offending value (ACAO, ACAC, method, header name), if any
	Preflight bool   // found on the preflight response
	Status    int    // the status of the response found wanting (Firefox words it)
}

// validValueHint is what Chromium (156) appends to the messages about a
// wrong ACAO value. Older versions appended a no-cors hint to the missing
// ACAO message instead; the browser suite holds these words to the
// installed Chromium.
const validValueHint = " Have the server send the header with a valid value."

const preflightPrefix = "Response to preflight request doesn't pass access control check: "

// Message is what Chromium's console prints after "has been blocked by
// CORS policy: " for this failure of a fetch() (the wording of Blink's
// cors_error_string.cc).
func (f *Failure) Message() string {
	prefix := ""
	if f.Preflight {
		prefix = preflightPrefix
	}
	switch f.Kind {
	case MissingAllowOriginHeader:
		return prefix + "No 'Access-Control-Allow-Origin' header is present on the requested resource."
	case MultipleAllowOriginValues:
		return prefix + fmt.Sprintf("The 'Access-Control-Allow-Origin' header contains multiple values '%s', but only one is allowed.", f.Value) + validValueHint
	case InvalidAllowOriginValue:
		return prefix + fmt.Sprintf("The 'Access-Control-Allow-Origin' header contains the invalid value '%s'.", f.Value) + validValueHint
	case AllowOriginMismatch:
		return prefix + fmt.Sprintf("The 'Access-Control-Allow-Origin' header has a value '%s' that is not equal to the supplied origin.", f.Value) + validValueHint
	case WildcardOriginNotAllowed:
		return prefix + "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
	case InvalidAllowCredentials:
		return prefix + fmt.Sprintf("The value of the 'Access-Control-Allow-Credentials' header in the response is '%s' which must be 'true' when the request's credentials mode is 'include'.", f.Value)
	case PreflightInvalidStatus:
		return preflightPrefix + "It does not have HTTP ok status."
	case PreflightDisallowedRedirect:
		return preflightPrefix + "Redirect is not allowed for a preflight request."
	case InvalidAllowMethodsPreflightResponse:
		return "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
	case InvalidAllowHeadersPreflightResponse:
		return "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
	case MethodDisallowedByPreflightResponse:
		return fmt.Sprintf("Method %s is not allowed by Access-Control-Allow-Methods in preflight response.", f.Value)
	case HeaderDisallowedByPreflightResponse:
		return fmt.Sprintf("Request header field %s is not allowed by Access-Control-Allow-Headers in preflight response.", f.Value)
	case InvalidResponse:
		return "The response is invalid."
	}
	return f.Kind.String()
}

// Console is the whole line Chromium prints in the console for a fetch()
// of url from origin that failed so; redirectedFrom is the URL first
// fetched when url was reached by a redirect, else "".
func (f *Failure) Console(url, redirectedFrom, origin string) string {
	at := "'" + url + "'"
	if redirectedFrom != "" {
		at += " (redirected from '" + redirectedFrom + "')"
	}
	return "Access to fetch at " + at + " from origin '" + origin + "' has been blocked by CORS policy: " + f.Message()
}

// Class is the coarse reason a failure belongs to: "origin" (ACAO missing,
// wrong or several), "credentials" (ACAC, or "*" with credentials),
// "status", "redirect", "method" or "header".
func (k Kind) Class() string {
	switch k {
	case MissingAllowOriginHeader, MultipleAllowOriginValues, InvalidAllowOriginValue, AllowOriginMismatch:
		return "origin"
	case WildcardOriginNotAllowed, InvalidAllowCredentials:
		return "credentials"
	case PreflightInvalidStatus, InvalidResponse:
		return "status"
	case PreflightDisallowedRedirect:
		return "redirect"
	case InvalidAllowMethodsPreflightResponse, MethodDisallowedByPreflightResponse:
		return "method"
	case InvalidAllowHeadersPreflightResponse, HeaderDisallowedByPreflightResponse:
		return "header"
	}
	return ""
}

// consoleMarks are fragments that tell Chromium's console messages apart,
// most specific first.
var consoleMarks = []struct {
	mark string
	kind Kind
}{
	{"Redirect is not allowed for a preflight request", PreflightDisallowedRedirect},
	{"It does not have HTTP ok status", PreflightInvalidStatus},
	{"Cannot parse Access-Control-Allow-Methods", InvalidAllowMethodsPreflightResponse},
	{"Cannot parse Access-Control-Allow-Headers", InvalidAllowHeadersPreflightResponse},
	{"is not allowed by Access-Control-Allow-Methods", MethodDisallowedByPreflightResponse},
	{"is not allowed by Access-Control-Allow-Headers", HeaderDisallowedByPreflightResponse},
	{"No 'Access-Control-Allow-Origin' header is present", MissingAllowOriginHeader},
	{"contains multiple values", MultipleAllowOriginValues},
	{"contains the invalid value", InvalidAllowOriginValue},
	{"that is not equal to the supplied origin", AllowOriginMismatch},
	{"must not be the wildcard '*'", WildcardOriginNotAllowed},
	{"'Access-Control-Allow-Credentials' header in the response is", InvalidAllowCredentials},
}

// KindOfConsole recognizes the kind of a Chromium console message about a
// CORS failure, for holding a check's verdict against the browser's.
func KindOfConsole(msg string) (Kind, bool) {
	if !strings.Contains(msg, "has been blocked by CORS policy") {
		return 0, false
	}
	for _, m := range consoleMarks {
		if strings.Contains(msg, m.mark) {
			return m.kind, true
		}
	}
	return 0, false
}
