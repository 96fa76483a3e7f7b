package fetch

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// PreflightVerdicts gives, in each credentials mode, what CheckPreflight
// gives for that mode: one implementation, read once for both.
func TestPreflightVerdictsAgreeWithCheckPreflight(t *testing.T) {
	for _, tc := range preflightChecks {
		req := tc.req
		req.Origin = origin
		both := PreflightVerdicts(tc.resp, origin, req.Method, UnsafeHeaderNames(req.Headers))
		for c, credentials := range []bool{false, true} {
			req.Credentials = credentials
			want := CheckPreflight(tc.resp, req)
			got := both[c]
			if want == nil && got.Kind != 0 || want != nil && got != *want {
				t.Errorf("%s, credentials %v: PreflightVerdicts %+v, CheckPreflight %+v", tc.name, credentials, got, want)
			}
		}
	}
}

// Past 64 names the mask of found names ends; the names after it are
// still checked.
func TestPreflightVerdictsPastSixtyFourNames(t *testing.T) {
	var names []string
	for i := range 70 {
		names = append(names, fmt.Sprintf("x-%02d", i))
	}
	resp := Response{Status: 204, Header: http.Header{"Access-Control-Allow-Origin": {origin}, "Access-Control-Allow-Headers": {strings.Join(names[:68], ", ")}}}
	v := PreflightVerdicts(resp, origin, "GET", names)
	if v[0].Kind != HeaderDisallowedByPreflightResponse || v[0].Value != "x-68" {
		t.Errorf("got %+v, want x-68 not allowed", v[0])
	}
}

// The checks that report-only runs on every request allocate nothing,
// but for an ACAO that is another origin: wording that failure parses the
// value (one allocation, once for both modes).
func TestVerdictsAllocations(t *testing.T) {
	resp := Response{Status: 200, Header: http.Header{
		"Access-Control-Allow-Origin":      {origin},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Allow-Methods":     {"DELETE, GET, OPTIONS, PATCH, POST, PUT"},
		"Access-Control-Allow-Headers":     {"accept, authorization, content-type, x-tenant"},
		"Access-Control-Expose-Headers":    {"X-Request-Id, X-Total"},
	}}
	names := []string{"content-type", "x-secret"}
	allocs := testing.AllocsPerRun(100, func() {
		_ = PreflightVerdicts(resp, origin, "PUT", names)
		_ = CORSVerdicts(resp, origin, false)
		_ = CORSVerdicts(Response{Status: 200, Header: http.Header{}}, origin, false)
		_ = Exposed(resp.Header["Access-Control-Expose-Headers"], "X-Total", true)
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
	mismatch := testing.AllocsPerRun(100, func() {
		_ = CORSVerdicts(resp, "https://other.example", false)
	})
	if mismatch != 1 {
		t.Errorf("another origin's ACAO: %v allocations in both modes, want 1", mismatch)
	}
}

// Fetch standard: the CORS-exposed header-name list and the
// CORS-safelisted response-header names.
func TestExposed(t *testing.T) {
	for _, tc := range []struct {
		aceh        []string
		name        string
		credentials bool
		want        bool
	}{
		{nil, "Content-Type", false, true},
		{nil, "content-length", true, true},
		{nil, "X-A", false, false},
		{[]string{"X-A, X-B"}, "x-b", false, true},
		{[]string{"X-A", "X-B"}, "X-B", true, true},
		{[]string{"*"}, "X-A", false, true},
		{[]string{"*"}, "X-A", true, false}, // with credentials, a header named "*"
		{[]string{"*"}, "Set-Cookie", false, false},
		{[]string{"Set-Cookie"}, "Set-Cookie", false, false},
		{[]string{"X-A, X B"}, "X-A", false, false}, // does not parse: nothing exposed
		{[]string{" X-A ,, "}, "X-A", false, true},
	} {
		if got := Exposed(tc.aceh, tc.name, tc.credentials); got != tc.want {
			t.Errorf("Exposed(%q, %q, credentials %v) = %v, want %v", tc.aceh, tc.name, tc.credentials, got, tc.want)
		}
	}
}

// Header names in ACAH match byte-case-insensitively, ASCII only: the
// Kelvin sign is not a k.
func TestPreflightHeaderNamesFoldASCIIOnly(t *testing.T) {
	resp := Response{Status: 204, Header: http.Header{"Access-Control-Allow-Origin": {origin}, "Access-Control-Allow-Headers": {"X-K"}}}
	if v := PreflightVerdicts(resp, origin, "GET", []string{"x-k"}); v[0].Kind != 0 {
		t.Errorf("x-k against X-K: %+v", v[0])
	}
	if v := PreflightVerdicts(resp, origin, "GET", []string{"x-\u212a"}); v[0].Kind != HeaderDisallowedByPreflightResponse {
		t.Errorf("x-\u212a (Kelvin) against X-K: %+v, want not allowed", v[0])
	}
}
