package decision

import (
	"context"
	"testing"
)

func TestResultAndMessage(t *testing.T) {
	cases := []struct {
		d                        Decision
		counter, result, message string
	}{
		{Decision{Kind: NoOrigin}, "requests", "no_origin", "no_origin: no_origin"},
		{Decision{Kind: SameOrigin}, "requests", "same_origin", "same_origin: same_origin"},
		{Decision{Kind: Actual}, "requests", "allowed", "actual: allowed"},
		{Decision{Kind: Actual, Reason: OriginNotAllowed}, "requests", "not_allowed", "origin not allowed; response sent without CORS headers"},
		{Decision{Kind: Preflight}, "preflights", "allowed", "preflight: allowed"},
		{Decision{Kind: Preflight, Reason: OriginNotAllowed}, "preflights", "denied_origin", "preflight denied: origin not allowed"},
		{Decision{Kind: Preflight, Reason: MethodNotAllowed}, "preflights", "denied_method", "preflight denied: method not allowed"},
		{Decision{Kind: Preflight, Reason: HeaderNotAllowed}, "preflights", "denied_header", "preflight denied: header not allowed"},
	}
	for _, tc := range cases {
		if got := tc.d.Counter(); got != tc.counter {
			t.Errorf("%v/%v: Counter %q, want %q", tc.d.Kind, tc.d.Reason, got, tc.counter)
		}
		if got := tc.d.Result(); got != tc.result {
			t.Errorf("%v/%v: Result %q, want %q", tc.d.Kind, tc.d.Reason, got, tc.result)
		}
		if got := tc.d.Message(); got != tc.message {
			t.Errorf("%v/%v: Message %q, want %q", tc.d.Kind, tc.d.Reason, got, tc.message)
		}
		if got, want := tc.d.Allowed(), tc.d.Reason == Allowed; got != want {
			t.Errorf("%v/%v: Allowed %v", tc.d.Kind, tc.d.Reason, got)
		}
	}
}

// Report hands the hook its own copy: what the hook keeps does not
// change when the reporter reuses its value.
func TestReportCopies(t *testing.T) {
	var got *Decision
	ctx := WithHook(context.Background(), func(d *Decision) { got = d })
	d := Decision{Kind: Actual, Origin: "https://a.example"}
	Report(ctx, &d)
	d.Origin = "reused"
	if got == nil || got.Origin != "https://a.example" {
		t.Fatalf("hook got %+v, want its own copy with the original origin", got)
	}
	Report(context.Background(), &d) // no hook: nothing happens
}
