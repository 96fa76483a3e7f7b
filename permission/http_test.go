package permission

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

func TestAnswers(t *testing.T) {
	cases := []struct {
		name      string
		answer    func(w http.ResponseWriter, r *http.Request)
		allowed   bool
		wantError string // logged at error level, "" for none
	}{
		{"200 allows", status(200), true, ""},
		{"204 allows", status(204), true, ""},
		{"403 denies", status(403), false, ""},
		{"404 denies", status(404), false, ""},
		{"500 is an error: denied", status(500), false, "status 500: only 2xx (allowed) and 4xx (denied) are answers"},
		{"503 is an error: denied", status(503), false, "status 503"},
		{"a redirect is an error, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere?origin=x", http.StatusFound)
		}, false, "status 302"},
		{"a 1 MiB body is drained, not a problem", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(make([]byte, 1<<20))
		}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t, tc.answer)
			p, logs, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL + "/allowed"}, newFakeClock())
			if got := p.Allowed(context.Background(), appOrigin, apiHost); got != tc.allowed {
				t.Errorf("Allowed = %v, want %v", got, tc.allowed)
			}
			if got := p.Allowed(context.Background(), appOrigin, apiHost); got != tc.allowed {
				t.Errorf("second Allowed = %v, want %v", got, tc.allowed)
			}
			if n := e.lookups.Load(); n != 1 {
				t.Errorf("%d lookups, want 1 (the second answer comes from the cache)", n)
			}
			errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
			switch {
			case tc.wantError == "" && len(errs) != 0:
				t.Errorf("unexpected error log: %v", errs[0].ContextMap())
			case tc.wantError != "":
				if len(errs) != 1 || !strings.Contains(errs[0].ContextMap()["error"].(string), tc.wantError) {
					t.Errorf("error log %v, want one line with error containing %q", errs, tc.wantError)
				}
			}
			if e.agents[0] != userAgent {
				t.Errorf("User-Agent %q, want %q", e.agents[0], userAgent)
			}
			debug := logs.FilterMessage("permission decided by the endpoint").Len() + logs.FilterMessage("permission from the cache").Len()
			if debug != 2 {
				t.Errorf("%d debug lines saying where the decisions came from, want 2", debug)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	p, logs, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL, Timeout: ms(150)}, newFakeClock())
	start := time.Now()
	if p.Allowed(context.Background(), appOrigin, apiHost) {
		t.Error("allowed an origin whose lookup timed out")
	}
	// Loose upper bound on purpose: scheduling on a loaded machine.
	if d := time.Since(start); d < 150*time.Millisecond || d > 150*time.Millisecond+5*time.Second {
		t.Errorf("decided after %v, want the 150ms timeout", d)
	}
	// The lookup itself ends a moment later, with its own timeout.
	for wait := time.Now().Add(5 * time.Second); logs.FilterLevelExact(zapcore.ErrorLevel).Len() == 0 && time.Now().Before(wait); {
		time.Sleep(5 * time.Millisecond)
	}
	errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(errs) != 1 || !strings.Contains(errs[0].ContextMap()["error"].(string), "no answer within the timeout (150ms)") {
		t.Errorf("error log %v, want the timeout", errs)
	}
}

func ms(n int) caddyDuration { return caddyDuration(time.Duration(n) * time.Millisecond) }

// TTLs: a flipped answer takes effect once the TTL of the cached one has
// passed, and not before.
func TestTTLExpiry(t *testing.T) {
	cases := []struct {
		name  string
		cfg   HTTP
		first func(w http.ResponseWriter, r *http.Request)
		then  func(w http.ResponseWriter, r *http.Request)
		ttl   time.Duration
		want  bool // the first answer
	}{
		{"cache_ttl", HTTP{CacheTTL: caddyDuration(time.Minute)}, status(200), status(403), time.Minute, true},
		{"default cache_ttl 5m", HTTP{}, status(200), status(403), 5 * time.Minute, true},
		{"negative_ttl", HTTP{NegativeTTL: caddyDuration(10 * time.Second)}, status(403), status(200), 10 * time.Second, false},
		{"default negative_ttl 30s", HTTP{}, status(404), status(200), 30 * time.Second, false},
		{"error_ttl", HTTP{ErrorTTL: caddyDuration(2 * time.Second)}, status(502), status(200), 2 * time.Second, false},
		{"default error_ttl 5s", HTTP{}, status(500), status(200), 5 * time.Second, false},
		{"max-age overrides cache_ttl", HTTP{CacheTTL: caddyDuration(time.Minute)}, statusWith(200, "public, max-age=3600"), status(403), time.Hour, true},
		{"max-age overrides negative_ttl", HTTP{}, statusWith(403, "max-age=120"), status(200), 2 * time.Minute, false},
		{"max-age capped at 24h", HTTP{}, statusWith(200, "max-age=999999999999"), status(403), 24 * time.Hour, true},
		{"max-age does not apply to errors", HTTP{}, statusWith(500, "max-age=3600"), status(200), 5 * time.Second, false},
		{"malformed max-age: the TTL", HTTP{}, statusWith(200, "max-age=soon"), status(403), 5 * time.Minute, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t, tc.first)
			clock := newFakeClock()
			cfg := tc.cfg
			cfg.Endpoint = e.URL
			p, _, _ := provisionHTTP(t, &cfg, clock)
			if got := p.Allowed(context.Background(), appOrigin, apiHost); got != tc.want {
				t.Fatalf("first Allowed = %v, want %v", got, tc.want)
			}
			e.setAnswer(tc.then)
			clock.Advance(tc.ttl - time.Nanosecond)
			if got := p.Allowed(context.Background(), appOrigin, apiHost); got != tc.want {
				t.Errorf("just before the TTL: Allowed = %v, want the cached %v", got, tc.want)
			}
			if n := e.lookups.Load(); n != 1 {
				t.Errorf("just before the TTL: %d lookups, want 1", n)
			}
			clock.Advance(time.Nanosecond)
			if got := p.Allowed(context.Background(), appOrigin, apiHost); got == tc.want {
				t.Errorf("at the TTL: Allowed = %v, want the new answer %v", got, !tc.want)
			}
			if n := e.lookups.Load(); n != 2 {
				t.Errorf("at the TTL: %d lookups, want 2", n)
			}
		})
	}
}

// max-age=0 (or no-store) answers are not cached: every request asks.
func TestNotCached(t *testing.T) {
	for _, cc := range []string{"max-age=0", "no-store", "no-cache"} {
		t.Run(cc, func(t *testing.T) {
			e := newEndpoint(t, statusWith(200, cc))
			p, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL}, newFakeClock())
			for range 3 {
				if !p.Allowed(context.Background(), appOrigin, apiHost) {
					t.Fatal("denied")
				}
			}
			if n := e.lookups.Load(); n != 3 {
				t.Errorf("%d lookups, want 3 (nothing cached)", n)
			}
			if n := p.state.cache.len(); n != 0 {
				t.Errorf("cache holds %d entries, want 0", n)
			}
		})
	}
}

// An origin allowed for one tenant's host is not allowed for another's:
// the cache key is (origin, host), and the host is normalized.
func TestPerHostIsolation(t *testing.T) {
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("host") == "tenant-a.example.com" {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(403)
	})
	p, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL}, newFakeClock())
	ctx := context.Background()
	if !p.Allowed(ctx, appOrigin, "tenant-a.example.com") {
		t.Error("denied for tenant a")
	}
	if p.Allowed(ctx, appOrigin, "tenant-b.example.com") {
		t.Error("allowed for tenant b: the answer for tenant a leaked")
	}
	// Normalized: the same key as the first, from the cache.
	for _, host := range []string{"Tenant-A.Example.COM", "tenant-a.example.com:8443", "TENANT-A.example.com:443"} {
		if !p.Allowed(ctx, appOrigin, host) {
			t.Errorf("denied for %q", host)
		}
	}
	if n := e.lookups.Load(); n != 2 {
		t.Errorf("%d lookups, want 2 (one per tenant)", n)
	}
	if got := e.queries[0].Get("host"); got != "tenant-a.example.com" {
		t.Errorf("host sent %q", got)
	}
}

func TestHostNormalization(t *testing.T) {
	cases := []struct {
		host string
		want string // "" for denied
	}{
		{"api.example.com", "api.example.com"},
		{"API.Example.Com", "api.example.com"},
		{"api.example.com:8443", "api.example.com"},
		{"localhost", "localhost"},
		{"127.0.0.1:9080", "127.0.0.1"},
		{"[::1]:9080", "[::1]"},
		{"[2001:DB8::1]", "[2001:db8::1]"},
		{"", ""},
		{":80", ""},
		{"api.example.com.", ""},
		{"api..example.com", ""},
		{".example.com", ""},
		{"api.example.com:", ""},
		{"api.example.com:port", ""},
		{"api.example.com:123456", ""},
		{"a:1:2", ""},
		{"api example.com", ""},
		{"api.example.com\r\nX: 1", ""},
		{"bücher.example", ""},
		{"user@api.example.com", ""},
		{"[::1", ""},
		{"[::1]x", ""},
		{"[fe80::1%eth0]", ""},
		{strings.Repeat("a", 64) + ".com", ""},
		{strings.Repeat("a.", 127) + "aa", ""},
	}
	for _, tc := range cases {
		name, upper, ok := splitHost(tc.host)
		if tc.want == "" {
			if ok {
				t.Errorf("splitHost(%q) = %q, want denied", tc.host, name)
			}
			continue
		}
		got := name
		if upper {
			var buf [maxHostLen]byte
			got = string(lowerHost(name, &buf))
		}
		if !ok || got != tc.want || upper != (name != tc.want) {
			t.Errorf("splitHost(%q) = %q, upper %v, %v; want %q", tc.host, got, upper, ok, tc.want)
		}
	}
}

// Hostile Origins and Hosts never reach the endpoint.
func TestHostileValuesNeverReachTheEndpoint(t *testing.T) {
	e := newEndpoint(t, status(200))
	p, logs, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL}, newFakeClock())
	origins := []string{
		"null", "", "https://app.example.com\r\nX-Injected: 1", "https://app.example.com\n",
		"https://app example.com", "https://app.example.com ", " https://app.example.com",
		"https://bücher.example", "https://app.example.com/", "https://app.example.com/?origin=x",
		"https://app.example.com#x", "https://a@app.example.com", "https://App.example.com",
		"https://app.example.com:443", "https://*.example.com", "https://app.example.com&host=evil",
		"https://" + strings.Repeat("a", 64<<10), strings.Repeat("\x00", 64<<10), "\xff\xfe",
	}
	for _, o := range origins {
		if p.Allowed(context.Background(), o, apiHost) {
			t.Errorf("origin %.60q allowed", o)
		}
	}
	for _, host := range []string{"api.example.com\r\n", "a b", strings.Repeat("a", 64<<10), "[::1", "x:y:z", ""} {
		if p.Allowed(context.Background(), appOrigin, host) {
			t.Errorf("host %.60q allowed", host)
		}
	}
	if n := e.lookups.Load(); n != 0 {
		t.Errorf("%d lookups reached the endpoint: %v", n, e.raw)
	}
	if n := logs.FilterMessageSnippet("denied without a lookup").Len(); n != len(origins)+6 {
		t.Errorf("%d debug lines for denials without a lookup, want %d", n, len(origins)+6)
	}
}

// The endpoint's own query is kept and the values are query-escaped.
func TestQueryEscaping(t *testing.T) {
	e := newEndpoint(t, status(200))
	p, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL + "/check?tenant=a%20b&k=1"}, newFakeClock())
	if !p.Allowed(context.Background(), "web+app://[::1]:8080", "API.example.com:9080") {
		t.Fatal("denied")
	}
	want := "tenant=a%20b&k=1&origin=web%2Bapp%3A%2F%2F%5B%3A%3A1%5D%3A8080&host=api.example.com"
	if len(e.raw) != 1 || e.raw[0] != want {
		t.Errorf("query %q, want %q", e.raw, want)
	}
	p2, _, _ := provisionHTTP(t, &HTTP{Endpoint: e.URL + "/check?"}, newFakeClock())
	p2.Allowed(context.Background(), appOrigin, apiHost)
	if want := "origin=https%3A%2F%2Fapp.example.com&host=api.example.com"; len(e.raw) != 2 || e.raw[1] != want {
		t.Errorf("query %q, want %q", e.raw, want)
	}
}

// An endpoint down from the start: the config loads, requests are
// denied, and the error is logged once per 10 s with the count held back.
func TestEndpointUnreachable(t *testing.T) {
	clock := newFakeClock()
	p, logs, _ := provisionHTTP(t, &HTTP{Endpoint: "http://" + deadAddress(t) + "/allowed"}, clock)
	for i := range 25 { // one request a second, each for a new origin
		o := "https://app" + string(rune('a'+i)) + ".example.com"
		if p.Allowed(context.Background(), o, apiHost) {
			t.Fatalf("%s allowed with the endpoint down", o)
		}
		clock.Advance(time.Second)
	}
	errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	// At 0 s, 10 s and 20 s; the second and third each held back 9.
	if len(errs) != 3 {
		t.Fatalf("%d error lines in 25 s, want 3", len(errs))
	}
	for i, want := range []int64{0, 9, 9} {
		if got := errs[i].ContextMap()["suppressed"]; got != want {
			t.Errorf("line %d: suppressed = %v, want %d", i, got, want)
		}
		if errs[i].Message != "permission endpoint failed; origin denied" {
			t.Errorf("line %d: %q", i, errs[i].Message)
		}
	}
}

// FuzzHostKeyIsSafe: a Host that splitHost accepts gives a key of at most
// 253 bytes of lower-case host characters, the same for any case of it.
func FuzzHostKeyIsSafe(f *testing.F) {
	for _, s := range []string{"api.example.com", "API.example.com:8443", "[::1]:80", "a..b", "a b", "x:y:z", "[FE80::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		name, upper, ok := splitHost(h)
		if !ok {
			return
		}
		var buf [maxHostLen]byte
		key := name
		if upper {
			key = string(lowerHost(name, &buf))
		}
		if len(key) == 0 || len(key) > maxHostLen {
			t.Fatalf("splitHost(%q): key of %d bytes", h, len(key))
		}
		for i := 0; i < len(key); i++ {
			if c := key[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:[]", c) >= 0) {
				t.Fatalf("splitHost(%q): key %q has byte %q", h, key, c)
			}
		}
		upperName, _, ok2 := splitHost(strings.ToUpper(h))
		if !ok2 {
			t.Fatalf("splitHost(%q) accepted but not its upper case", h)
		}
		if got := string(lowerHost(upperName, &buf)); got != key {
			t.Fatalf("splitHost(%q) key %q, its upper case %q", h, key, got)
		}
	})
}
