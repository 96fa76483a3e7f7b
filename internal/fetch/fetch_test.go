package fetch

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Fetch standard, CORS-safelisted method.
var safelistedMethods = []struct {
	method string
	want   bool
}{
	{"GET", true}, {"HEAD", true}, {"POST", true},
	{"get", false}, // compared after normalization, case-sensitively
	{"PUT", false}, {"DELETE", false}, {"PATCH", false}, {"OPTIONS", false},
}

func TestIsSafelistedMethod(t *testing.T) {
	for _, tc := range safelistedMethods {
		if got := IsSafelistedMethod(tc.method); got != tc.want {
			t.Errorf("IsSafelistedMethod(%q) = %v, want %v", tc.method, got, tc.want)
		}
	}
}

// Fetch standard, "normalize a method".
func TestNormalizeMethod(t *testing.T) {
	for in, want := range map[string]string{"get": "GET", "Post": "POST", "delete": "DELETE", "patch": "patch", "PATCH": "PATCH", "options": "OPTIONS"} {
		if got := NormalizeMethod(in); got != want {
			t.Errorf("NormalizeMethod(%q) = %q, want %q", in, got, want)
		}
	}
}

// Fetch standard, CORS-safelisted request-header, step by step.
var safelistedHeaders = []struct {
	name, value string
	want        bool
	why         string
}{
	{"Accept", "application/json", true, "accept without unsafe bytes"},
	{"accept", "text/html, */*;q=0.8", true, "case-insensitive name"},
	{"Accept", `a"b`, false, "unsafe byte \""},
	{"Accept", "a\x01b", false, "control byte"},
	{"Accept", "a\tb", true, "HT is not unsafe"},
	{"Accept", strings.Repeat("a", 128), true, "128 bytes is the limit (step 1)"},
	{"Accept", strings.Repeat("a", 129), false, "over 128 bytes (step 1)"},
	{"Accept-Language", "en-US,fr;q=0.5", true, "language bytes"},
	{"Content-Language", "de_DE", false, "_ is not a language byte"},
	{"Content-Type", "text/plain", true, "text/plain"},
	{"Content-Type", "text/plain;charset=UTF-8", true, "parameters do not matter"},
	{"Content-Type", "Text/Plain ; charset=utf-8", true, "essence is lower-cased"},
	{"Content-Type", "application/x-www-form-urlencoded", true, "form"},
	{"Content-Type", "multipart/form-data; boundary=x", true, "multipart"},
	{"Content-Type", "application/json", false, "essence not safelisted"},
	{"Content-Type", "text/plain garbage", false, "not a MIME type"},
	{"Content-Type", "text/", false, "no subtype"},
	{"Content-Type", "text/plain; charset=\"utf-8\"", false, "\" is an unsafe byte, even in a parameter"},
	{"Content-Type", "text/plain(", false, "( is an unsafe byte"},
	{"Range", "bytes=0-", true, "open range"},
	{"Range", "bytes=10-20", true, "closed range"},
	{"Range", "bytes=-500", false, "suffix range (rangeValue[0] is null)"},
	{"Range", "bytes=20-10", false, "start after end"},
	{"Range", "bytes=0-1,5-6", false, "several ranges"},
	{"DPR", "1.5", true, "Chromium: a client hint with a decimal value"},
	{"DPR", "x", false, "Chromium: a client hint with a bad value"},
	{"Width", "100", true, "Chromium: width is an integer"},
	{"Width", "1.5", false, "Chromium: width is an integer"},
	{"ECT", "4g", true, "Chromium: an effective connection type"},
	{"Save-Data", "on", true, "Chromium: save-data on"},
	{"X-Requested-With", "XMLHttpRequest", false, "any other name"},
	{"Authorization", "Bearer x", false, "authorization is never safelisted"},
}

func TestIsSafelistedRequestHeader(t *testing.T) {
	for _, tc := range safelistedHeaders {
		if got := IsSafelistedRequestHeader(tc.name, tc.value); got != tc.want {
			t.Errorf("%s: IsSafelistedRequestHeader(%q, %q) = %v, want %v", tc.why, tc.name, tc.value, got, tc.want)
		}
	}
}

// Fetch standard, CORS-unsafe request-header names and the preflight's
// Access-Control-Request-Headers.
func TestPreflightRequestHeaders(t *testing.T) {
	cases := []struct {
		name      string
		method    string
		headers   []Header
		preflight bool
		acrh      string
	}{
		{"simple GET", "GET", nil, false, ""},
		{"simple POST with a form type", "POST", []Header{{"Content-Type", "application/x-www-form-urlencoded"}}, false, ""},
		{"JSON POST", "POST", []Header{{"Content-Type", "application/json"}}, true, "content-type"},
		{"PUT alone", "PUT", nil, true, ""},
		{"names lower-cased, sorted, deduplicated", "GET", []Header{{"X-B", "1"}, {"Authorization", "x"}, {"x-b", "2"}, {"Accept", "*/*"}}, true, "authorization,x-b"},
		{"over 1024 bytes of safelisted values: all of them become unsafe", "GET", []Header{
			{"Accept", strings.Repeat("a", 128)}, {"Accept-Language", strings.Repeat("b", 128)},
			{"Content-Language", strings.Repeat("c", 128)}, {"Content-Type", "text/plain;" + strings.Repeat("d", 100)},
			{"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)},
			{"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)},
		}, true, "accept,accept-language,content-language,content-type"},
		{"exactly 1024 bytes: still simple", "GET", []Header{
			{"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)},
			{"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)}, {"Accept", strings.Repeat("a", 128)},
		}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsPreflight(tc.method, tc.headers); got != tc.preflight {
				t.Errorf("NeedsPreflight = %v, want %v", got, tc.preflight)
			}
			acrm, acrh := PreflightRequestHeaders(tc.method, tc.headers)
			if acrm != tc.method || acrh != tc.acrh {
				t.Errorf("ACRM, ACRH = %q, %q, want %q, %q", acrm, acrh, tc.method, tc.acrh)
			}
		})
	}
}

func TestIsForbiddenRequestHeader(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"Cookie", "a=b", true}, {"Origin", "x", true}, {"Sec-Fetch-Mode", "cors", true}, {"Proxy-Authorization", "x", true},
		{"X-HTTP-Method-Override", "TRACE", true}, {"X-HTTP-Method-Override", "PATCH", false},
		{"Authorization", "x", false}, {"X-Custom", "1", false},
	} {
		if got := IsForbiddenRequestHeader(tc.name, tc.value); got != tc.want {
			t.Errorf("IsForbiddenRequestHeader(%q, %q) = %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

const origin = "https://app.example.com"

// Fetch standard, CORS check, steps 1-8, with Chromium's kinds.
var corsChecks = []struct {
	name        string
	header      http.Header
	credentials bool
	want        Kind // 0: success
	value       string
}{
	{"step 2: no ACAO", hdr(), false, MissingAllowOriginHeader, ""},
	{"step 3: * without credentials", hdr("Access-Control-Allow-Origin", "*"), false, 0, ""},
	{"* with credentials (Chromium's own wording; step 4 in the standard)", hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true"), true, WildcardOriginNotAllowed, ""},
	{"step 4: the origin itself", hdr("Access-Control-Allow-Origin", origin), false, 0, ""},
	{"step 4: another origin", hdr("Access-Control-Allow-Origin", "https://other.example.com"), false, AllowOriginMismatch, "https://other.example.com"},
	{"step 4: a trailing slash is another value", hdr("Access-Control-Allow-Origin", origin+"/"), false, AllowOriginMismatch, origin + "/"},
	{"step 4: two field lines read as one value", hdr("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Origin", origin), false, MultipleAllowOriginValues, origin + ", " + origin},
	{"step 4: a list in one line", hdr("Access-Control-Allow-Origin", origin+" https://b.example.com"), false, MultipleAllowOriginValues, origin + " https://b.example.com"},
	{"step 4: * and the origin", hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Origin", origin), false, MultipleAllowOriginValues, "*, " + origin},
	{"step 4: not a URL", hdr("Access-Control-Allow-Origin", "app.example.com"), false, InvalidAllowOriginValue, "app.example.com"},
	{"step 4: null is not this origin", hdr("Access-Control-Allow-Origin", "null"), false, AllowOriginMismatch, "null"},
	{"step 5: without credentials ACAC is not read", hdr("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Credentials", "false"), false, 0, ""},
	{"step 7: ACAC true with credentials", hdr("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Credentials", "true"), true, 0, ""},
	{"step 8: no ACAC with credentials", hdr("Access-Control-Allow-Origin", origin), true, InvalidAllowCredentials, ""},
	{"step 7: ACAC is case-sensitive", hdr("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Credentials", "True"), true, InvalidAllowCredentials, "True"},
}

func TestCheckCORS(t *testing.T) {
	for _, tc := range corsChecks {
		t.Run(tc.name, func(t *testing.T) {
			f := CheckCORS(Response{Status: 200, Header: tc.header}, origin, tc.credentials, false)
			if tc.want == 0 {
				if f != nil {
					t.Fatalf("failure %v (%s), want success", f.Kind, f.Message())
				}
				return
			}
			if f == nil || f.Kind != tc.want || f.Value != tc.value {
				t.Fatalf("got %+v, want kind %v value %q", f, tc.want, tc.value)
			}
		})
	}
}

func allowedPreflight(kv ...string) http.Header {
	return hdr(append([]string{"Access-Control-Allow-Origin", origin}, kv...)...)
}

// Fetch standard, CORS-preflight fetch, step 7, in Chromium's order.
var preflightChecks = []struct {
	name string
	resp Response
	req  Request
	want Kind
	val  string
}{
	{"redirect: refused before anything else", Response{302, hdr("Location", "/x")}, Request{Method: "PUT"}, PreflightDisallowedRedirect, ""},
	{"403 without ACAO: the CORS check's failure comes first", Response{403, hdr()}, Request{Method: "PUT"}, MissingAllowOriginHeader, ""},
	{"405 with ACAO: not an ok status", Response{405, allowedPreflight()}, Request{Method: "PUT"}, PreflightInvalidStatus, ""},
	{"204 with the method listed", Response{204, allowedPreflight("Access-Control-Allow-Methods", "PUT")}, Request{Method: "PUT"}, 0, ""},
	{"299 is an ok status", Response{299, allowedPreflight("Access-Control-Allow-Methods", "PUT")}, Request{Method: "PUT"}, 0, ""},
	{"step 7.5: method not listed", Response{204, allowedPreflight("Access-Control-Allow-Methods", "GET, POST")}, Request{Method: "PUT"}, MethodDisallowedByPreflightResponse, "PUT"},
	{"step 7.5: a safelisted method needs no ACAM", Response{204, allowedPreflight()}, Request{Method: "POST", Headers: []Header{{"X-A", "1"}}}, HeaderDisallowedByPreflightResponse, "x-a"},
	{"step 7.5: * covers any method without credentials", Response{204, allowedPreflight("Access-Control-Allow-Methods", "*")}, Request{Method: "DELETE"}, 0, ""},
	{"step 7.5: * is literal with credentials", Response{204, allowedPreflight("Access-Control-Allow-Methods", "*", "Access-Control-Allow-Credentials", "true")}, Request{Method: "DELETE", Credentials: true}, MethodDisallowedByPreflightResponse, "DELETE"},
	{"step 7.5: patch is allowed by patch", Response{204, allowedPreflight("Access-Control-Allow-Methods", "patch")}, Request{Method: "patch"}, 0, ""},
	{"step 7.5: methods compare byte for byte", Response{204, allowedPreflight("Access-Control-Allow-Methods", "PATCH")}, Request{Method: "patch"}, MethodDisallowedByPreflightResponse, "patch"},
	{"step 7.1: ACAM must be a list of tokens", Response{204, allowedPreflight("Access-Control-Allow-Methods", "PUT DELETE")}, Request{Method: "PUT"}, InvalidAllowMethodsPreflightResponse, "PUT DELETE"},
	{"step 7.2: ACAH must be a list of tokens", Response{204, allowedPreflight("Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-a;x-b")}, Request{Method: "PUT"}, InvalidAllowHeadersPreflightResponse, "x-a;x-b"},
	{"step 7.7: header listed, any case", Response{204, allowedPreflight("Access-Control-Allow-Headers", "X-Secret")}, Request{Method: "GET", Headers: []Header{{"x-secret", "1"}}}, 0, ""},
	{"step 7.7: the first missing name, sorted", Response{204, allowedPreflight("Access-Control-Allow-Headers", "x-a")}, Request{Method: "GET", Headers: []Header{{"X-Z", "1"}, {"X-B", "1"}, {"X-A", "1"}}}, HeaderDisallowedByPreflightResponse, "x-b"},
	{"step 7.7: * covers names without credentials", Response{204, allowedPreflight("Access-Control-Allow-Headers", "*")}, Request{Method: "GET", Headers: []Header{{"X-A", "1"}}}, 0, ""},
	{"Chromium departs from step 7.6: * covers Authorization", Response{204, allowedPreflight("Access-Control-Allow-Headers", "*")}, Request{Method: "GET", Headers: []Header{{"Authorization", "x"}}}, 0, ""},
	{"Authorization listed by name", Response{204, allowedPreflight("Access-Control-Allow-Headers", "Authorization")}, Request{Method: "GET", Headers: []Header{{"authorization", "x"}}}, 0, ""},
	{"step 7.7: * is literal with credentials", Response{204, allowedPreflight("Access-Control-Allow-Headers", "*", "Access-Control-Allow-Credentials", "true")}, Request{Method: "GET", Headers: []Header{{"X-A", "1"}}, Credentials: true}, HeaderDisallowedByPreflightResponse, "x-a"},
	{"credentials: the preflight needs ACAC too", Response{204, allowedPreflight("Access-Control-Allow-Methods", "PUT")}, Request{Method: "PUT", Credentials: true}, InvalidAllowCredentials, ""},
	{"several ACAO on a preflight", Response{204, allowedPreflight("Access-Control-Allow-Origin", "*")}, Request{Method: "PUT"}, MultipleAllowOriginValues, origin + ", *"},
}

func TestCheckPreflight(t *testing.T) {
	for _, tc := range preflightChecks {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Origin = origin
			f := CheckPreflight(tc.resp, tc.req)
			if tc.want == 0 {
				if f != nil {
					t.Fatalf("failure %v (%s), want success", f.Kind, f.Message())
				}
				return
			}
			if f == nil || f.Kind != tc.want || f.Value != tc.val || !f.Preflight {
				t.Fatalf("got %+v, want kind %v value %q on the preflight", f, tc.want, tc.val)
			}
		})
	}
}

// The wordings are Chromium's; KindOfConsole must recognize every one.
func TestMessages(t *testing.T) {
	want := map[string]*Failure{
		"Access to fetch at 'https://api.example.com/x' from origin 'https://app.example.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.":         {Kind: MissingAllowOriginHeader, Preflight: true},
		"Access to fetch at 'https://api.example.com/x' from origin 'https://app.example.com' has been blocked by CORS policy: Request header field x-secret is not allowed by Access-Control-Allow-Headers in preflight response.":                                                    {Kind: HeaderDisallowedByPreflightResponse, Value: "x-secret", Preflight: true},
		"Access to fetch at 'https://api.example.com/x' from origin 'https://app.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values 'a, b', but only one is allowed. Have the server send the header with a valid value.": {Kind: MultipleAllowOriginValues, Value: "a, b"},
	}
	for line, f := range want {
		if got := f.Console("https://api.example.com/x", "", origin); got != line {
			t.Errorf("Console =\n%s\nwant\n%s", got, line)
		}
	}
	var kinds []Kind
	for k := range kindNames {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		for _, pre := range []bool{false, true} {
			f := &Failure{Kind: k, Value: "v", Preflight: pre}
			got, ok := KindOfConsole(f.Console("u", "", "o"))
			if k == InvalidResponse {
				continue
			}
			if !ok || got != k {
				t.Errorf("KindOfConsole(%q) = %v, %v, want %v", f.Message(), got, ok, k)
			}
		}
	}
}
