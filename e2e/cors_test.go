package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corsedge/caddy-cors/internal/check"
)

// TestBrowser runs every case of browserCases in every engine against one
// Caddy; each case gets a fresh browser context. Each fetch a check can
// express is then held against caddy cors check of the same config
// (crosscheck_test.go).
func TestBrowser(t *testing.T) {
	b := newBackend(t)
	caddyfile := suiteCaddyfile(t, b)
	loadCaddy(t, caddyfile)
	cfg := loadCheck(t, caddyfile)
	t.Run("the wrong-on-purpose routes send what they claim", testWrongOnPurpose)
	eachEngine(t, func(t *testing.T, e engine) {
		var cov crossCoverage
		for _, c := range browserCases {
			t.Run(c.name, func(t *testing.T) { runCase(t, e, b, cfg, c, &cov) })
		}
		cov.assert(t, e)
	})
}

// runCase runs c's fetches in order in a fresh browser context, checks
// what the backend counted, then holds the fetches against the check. The
// checks come last because they reach the backend too (the check's own
// preflights on the counted routes).
func runCase(t *testing.T, e engine, b *backend, cfg *check.Config, c browserCase, cov *crossCoverage) {
	t.Helper()
	cov.ran++
	tb := e.open(t)
	counted := c.route + "x"
	before := b.optionsCount(counted)
	var seen []observed
	for i, f := range c.fetches {
		url, want := tabURL(tb, api+c.route+f.path), f.wantIn(e)
		for run := range max(f.times, 1) {
			v := doFetch(t, tb, url, f, want)
			checkVerdict(t, e, v, want)
			seen = append(seen, observe(tb, c, i, run, f, url, v))
		}
	}
	want := c.options
	if n, ok := c.optionsByEngine[e.name()]; ok {
		want = n
	}
	if want != 0 {
		if n := b.optionsCount(counted) - before; n != want {
			t.Fatalf("%d OPTIONS requests reached the server, want %d", n, want)
		}
	}
	crossCheck(t, e, cfg, c, seen, cov)
}

// wantIn is the verdict f must come to in e.
func (f fetchCase) wantIn(e engine) outcome {
	if w, ok := f.wantByEngine[e.name()]; ok {
		return w
	}
	return f.want
}

// doFetch runs one fetch of a case, of url, in the tab, reading the
// headers that want reads.
func doFetch(t *testing.T, tb tab, url string, f fetchCase, want outcome) verdict {
	t.Helper()
	var v verdict
	if f.sandboxed {
		tb.eval(t, f.page, sandboxJS(url), &v)
		return v
	}
	read := make([]string, 0, len(want.read))
	for name := range want.read {
		read = append(read, name)
	}
	tb.eval(t, f.page, fetchJS(url, f.init, read), &v)
	return v
}

// checkVerdict asserts that v is want: the engine's CORS rejection, or the
// status, body and readable headers.
func checkVerdict(t *testing.T, e engine, v verdict, want outcome) {
	t.Helper()
	if want.refused {
		if v.OK {
			t.Fatalf("fetch resolved with %d %q, want %s to reject it", v.Status, v.Body, e.name())
		}
		if v.Error != e.rejection() {
			t.Fatalf("fetch rejected with %q, want %s's CORS TypeError %q", v.Error, e.name(), e.rejection())
		}
		return
	}
	if !v.OK {
		t.Fatalf("fetch rejected (%s), want it to resolve with %d %q", v.Error, want.status, want.body)
	}
	if v.Status != want.status || v.Body != want.body {
		t.Fatalf("fetch resolved with %d %q, want %d %q", v.Status, v.Body, want.status, want.body)
	}
	for name, value := range want.read {
		if got := v.Headers[name]; got != value {
			t.Errorf("the page reads %s = %q, want %q", name, got, value)
		}
	}
}

// testWrongOnPurpose checks, without a browser, that the broken routes
// are broken the way their cases say, so that the browsers refuse them for
// that reason and no other.
func testWrongOnPurpose(t *testing.T) {
	for path, want := range map[string]http.Header{
		"/broken-acao-twice/x":       {"Access-Control-Allow-Origin": {app, "*"}},
		"/broken-star-credentials/x": {"Access-Control-Allow-Origin": {"*"}, "Access-Control-Allow-Credentials": {"true"}},
	} {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", apiPort, path), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = fmt.Sprintf("api.example.test:%d", apiPort)
		req.Header.Set("Origin", app)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		for name, values := range want {
			if got := res.Header.Values(name); !slices.Equal(got, values) {
				t.Errorf("%s: %s = %q, want %q", path, name, got, values)
			}
		}
	}
}

// TestExampleDemoPage loads Caddyfile.example as it is and opens its page
// in each engine as a person would: the allowed call shows its answer, the
// refused call shows the browser's refusal. A screenshot per engine goes
// to the test's temp dir, and to $E2E_ARTIFACTS when set.
func TestExampleDemoPage(t *testing.T) {
	raw, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	loadCaddy(t, string(raw))
	eachEngine(t, func(t *testing.T, e engine) {
		tb := e.open(t)
		type shown struct {
			Allowed string `json:"allowed"`
			Refused string `json:"refused"`
		}
		var got shown
		tb.eval(t, "http://localhost:8080/", `new Promise(resolve => {
			const check = () => {
				const a = document.getElementById("allowed"), r = document.getElementById("refused");
				if (a.dataset.done && r.dataset.done) resolve({allowed: a.textContent, refused: r.textContent});
				else setTimeout(check, 50);
			};
			check();
		})`, &got)
		keepScreenshot(t, tb.screenshot(t), "demo-"+e.name()+".png")

		if want := `allowed: 200 {"message": "hello from the API on localhost:8000"}`; !strings.HasPrefix(got.Allowed, want) {
			t.Errorf("allowed call shows %q, want it to start with %q", got.Allowed, want)
		}
		if want := "refused by the browser: " + e.rejection(); got.Refused != want {
			t.Errorf("refused call shows %q, want %q", got.Refused, want)
		}
	})
}

// keepScreenshot writes png to the test's temp dir and, to keep it past
// the test (the temp dir goes), to $E2E_ARTIFACTS when set.
func keepScreenshot(t *testing.T, png []byte, name string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
	if dir := os.Getenv("E2E_ARTIFACTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
