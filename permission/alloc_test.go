package permission

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// A cached decision, allowed or denied, and a denial without a lookup
// cost no allocation.
func TestAllowedDoesNotAllocate(t *testing.T) {
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("origin") == appOrigin {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(403)
	})
	p, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL}, newFakeClock())
	p.logger = zap.NewNop()
	ctx := context.Background()
	p.Allowed(ctx, appOrigin, apiHost)
	p.Allowed(ctx, "https://evil.example.net", apiHost)
	cases := []struct {
		name, origin, host string
		want               bool
	}{
		{"cached allowed", appOrigin, apiHost, true},
		{"cached allowed, Host with port and upper case", appOrigin, "API.example.com:8443", true},
		{"cached denial", "https://evil.example.net", apiHost, false},
		{"malformed origin", "https://evil.example.net/", apiHost, false},
		{"null", "null", apiHost, false},
		{"malformed Host", appOrigin, "api example", false},
		{"64 KiB origin", "https://" + strings.Repeat("a", 64<<10), apiHost, false},
	}
	for _, tc := range cases {
		n := testing.AllocsPerRun(200, func() {
			if p.Allowed(ctx, tc.origin, tc.host) != tc.want {
				panic(fmt.Sprintf("%s: not %v", tc.name, tc.want))
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocations, want 0", tc.name, n)
		}
	}
	if n := e.lookups.Load(); n != 2 {
		t.Errorf("%d lookups, want 2", n)
	}
}
