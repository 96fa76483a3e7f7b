package permission

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
)

// BenchmarkAllowedScale: the cost of a cached decision with 1, 1,000
// and 100,000 entries in the cache (up to 8 entries, Go's map is a single
// group and skips its table lookup).
func BenchmarkAllowedScale(b *testing.B) {
	for _, n := range []int{1, 1000, 100000} {
		p := &HTTP{Endpoint: "http://127.0.0.1:1/unused", CacheSize: n}
		p, _, _ = provisionHTTP(b, p, nil)
		p.logger = zap.NewNop()
		now := time.Now()
		expires := now.Add(time.Hour).UnixNano()
		var last string
		for i := range n {
			last = fmt.Sprintf("https://tenant%d.example.com", i)
			p.state.cache.put(p.state.cache.hash(last, apiHost), last, apiHost, resultAllowed, expires, now.UnixNano())
		}
		if got := p.state.cache.len(); got != n {
			b.Fatalf("cache holds %d, want %d", got, n)
		}
		ctx := context.Background()
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !p.Allowed(ctx, last, apiHost) {
					b.Fatal("denied")
				}
			}
		})
	}
}
