package check

import (
	"net/url"
	"testing"
)

// The suite's .test hosts are two sites to WebKit (its list has no .test);
// hosts of one registrable domain under a known suffix are one.
func TestCrossSiteInWebKit(t *testing.T) {
	for _, tc := range []struct {
		url, origin string
		want        bool
	}{
		{"http://api.example.test:9180/x", "http://app.example.test:9180", true},
		{"http://api.example.test:9180/x", "http://api.example.test:9181", false},
		{"https://api.example.com/x", "https://app.example.com", false},
		{"https://api.example.com/x", "https://app.example.org", true},
		{"https://api.example.com/x", "null", true},
	} {
		u, _ := url.Parse(tc.url)
		if got := crossSiteInWebKit(u, tc.origin); got != tc.want {
			t.Errorf("%s from %s: cross-site %v, want %v", tc.url, tc.origin, got, tc.want)
		}
	}
}
