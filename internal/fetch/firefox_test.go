package fetch

import (
	"slices"
	"testing"
)

const ffURL = "http://api.example.test/x"

// firefoxWordCases are Firefox ESR 153's console lines per kind, as the
// browser suite collected them over WebDriver BiDi (e2e snippets).
var firefoxWordCases = []struct {
	name string
	f    Failure
	want []string
}{
	{"missing ACAO", Failure{Kind: MissingAllowOriginHeader, Status: 200}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200."}},
	{"missing ACAO on the preflight", Failure{Kind: MissingAllowOriginHeader, Status: 204, Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 204.",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"several ACAO values", Failure{Kind: MultipleAllowOriginValues, Value: "http://a.test, http://a.test"}, []string{
		firefoxBlocked + ffURL + ". (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed)."}},
	{"a space but no comma is a mismatch in Firefox", Failure{Kind: MultipleAllowOriginValues, Value: "a b"}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘a b’)."}},
	{"mismatch", Failure{Kind: AllowOriginMismatch, Value: "http://other.test"}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘http://other.test’)."}},
	{"invalid value is a mismatch in Firefox", Failure{Kind: InvalidAllowOriginValue, Value: "app.test"}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘app.test’)."}},
	{"* with credentials quotes the URL", Failure{Kind: WildcardOriginNotAllowed}, []string{
		firefoxBlocked + "‘" + ffURL + "’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’)."}},
	{"* with credentials on the preflight", Failure{Kind: WildcardOriginNotAllowed, Preflight: true}, []string{
		firefoxBlocked + "‘" + ffURL + "’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"ACAC", Failure{Kind: InvalidAllowCredentials}, []string{
		firefoxBlocked + ffURL + ". (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’)."}},
	{"preflight status", Failure{Kind: PreflightInvalidStatus, Status: 405, Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS preflight response did not succeed). Status code: 405.",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"preflight redirect", Failure{Kind: PreflightDisallowedRedirect, Status: 302, Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: CORS request external redirect not allowed).",
		firefoxBlocked + ffURL + ". (Reason: CORS preflight response did not succeed). Status code: 302.",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"ACAM not tokens", Failure{Kind: InvalidAllowMethodsPreflightResponse, Value: "GET PUT", Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: invalid token ‘GET PUT’ in CORS header ‘Access-Control-Allow-Methods’).",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"ACAH not tokens", Failure{Kind: InvalidAllowHeadersPreflightResponse, Value: "x-a;x-b", Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: invalid token ‘x-a;x-b’ in CORS header ‘Access-Control-Allow-Headers’).",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"method", Failure{Kind: MethodDisallowedByPreflightResponse, Value: "DELETE", Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"header, lower-cased", Failure{Kind: HeaderDisallowedByPreflightResponse, Value: "X-B", Preflight: true}, []string{
		firefoxBlocked + ffURL + ". (Reason: header ‘x-b’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
		firefoxBlocked + ffURL + ". (Reason: CORS request did not succeed). Status code: (null)."}},
	{"no words for an invalid response", Failure{Kind: InvalidResponse}, nil},
}

func TestFirefoxConsole(t *testing.T) {
	for _, tc := range firefoxWordCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.FirefoxConsole(ffURL)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got\n\t%q\nwant\n\t%q", got, tc.want)
			}
			if len(got) == 0 {
				return
			}
			// The recognizer reads back the kind Firefox tells.
			if k, ok := KindOfFirefoxConsole(got[0]); !ok || k != tc.f.FirefoxKind() {
				t.Errorf("KindOfFirefoxConsole = %v, %v; want %v", k, ok, tc.f.FirefoxKind())
			}
		})
	}
}

func TestKindOfFirefoxConsoleIgnoresOthers(t *testing.T) {
	for _, line := range []string{
		"Access to fetch at 'x' from origin 'y' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		"some console.log line",
	} {
		if k, ok := KindOfFirefoxConsole(line); ok {
			t.Errorf("%q read as %v", line, k)
		}
	}
}

// The engines' safelists differ in the client hints alone: Chromium
// safelists them, Firefox and WebKit preflight them (the browser suite's
// client-hint snippets in each engine).
func TestEngineSafelist(t *testing.T) {
	for _, tc := range []struct {
		name, value        string
		chromium, standard bool // safelisted in Chromium, in Firefox and WebKit
	}{
		{"DPR", "2", true, false},
		{"Width", "100", true, false},
		{"Save-Data", "on", true, false},
		{"ECT", "4g", true, false},
		{"DPR", "x", false, false},
		{"Content-Type", "text/plain", true, true},
		{"Range", "bytes=0-", true, true},
		{"X-A", "1", false, false},
	} {
		std := tc.standard
		for e, want := range map[Engine]bool{Chromium: tc.chromium, Firefox: std, WebKit: std} {
			if got := e.IsSafelistedRequestHeader(tc.name, tc.value); got != want {
				t.Errorf("%s: %s: %s safelisted = %v, want %v", e, tc.name, tc.value, got, want)
			}
			hs := []Header{{tc.name, tc.value}}
			if got := e.NeedsPreflight("GET", hs); got == want {
				t.Errorf("%s: GET with %s: %s: NeedsPreflight = %v", e, tc.name, tc.value, got)
			}
		}
	}
	// A client hint's value past 128 bytes is not safelisted in Chromium
	// either (step 1 of the safelist).
	long := "1234567890"
	for len(long) <= 128 {
		long += long
	}
	if IsSafelistedRequestHeader("Width", long) {
		t.Error("Width with a 129+ byte value is safelisted")
	}
}

func TestParseEngine(t *testing.T) {
	for _, n := range EngineNames {
		e, ok := ParseEngine(n)
		if !ok || e.String() != n {
			t.Errorf("ParseEngine(%q) = %v, %v", n, e, ok)
		}
	}
	if e, ok := ParseEngine("Firefox"); !ok || e != Firefox {
		t.Errorf("ParseEngine is case-insensitive: got %v, %v", e, ok)
	}
	if _, ok := ParseEngine("safari"); ok {
		t.Error("ParseEngine(safari) ok")
	}
}
