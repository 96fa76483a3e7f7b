package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium for the whole test, with test host
// names (*.test) resolved to 127.0.0.1 so that subdomain and look-alike
// origins are real browser origins, and nothing leaves loopback.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		msg := "no Chromium: install it with `apt-get install -y chromium` (or set CHROMIUM to its path) to run the browser suite"
		if os.Getenv("E2E_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP *.test 127.0.0.1, MAP localhost 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 700),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not have a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// verdict is what a page's fetch() came to, as JavaScript saw it.
type verdict struct {
	OK      bool              `json:"ok"` // the promise resolved
	Status  int               `json:"status"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"` // response.headers.get(name); "" when null
	Error   string            `json:"error"`   // the rejection, a TypeError
}

// fetchFrom opens page (an origin's page) in the tab and runs
// fetch(url, init) there; init is a JavaScript object literal.
func fetchFrom(t *testing.T, ctx context.Context, page, url, init string, readHeaders ...string) verdict {
	t.Helper()
	if readHeaders == nil {
		readHeaders = []string{}
	}
	names, _ := json.Marshal(readHeaders)
	js := fmt.Sprintf(`(async () => {
		try {
			const res = await fetch(%q, %s);
			const body = await res.text();
			const headers = {};
			for (const name of %s) headers[name] = res.headers.get(name) || "";
			return {ok: true, status: res.status, body, headers};
		} catch (e) {
			return {ok: false, error: String(e)};
		}
	})()`, url, init, names)
	return run[verdict](t, ctx, page, js)
}

// run navigates the tab to page unless it is there already, then
// evaluates js, awaiting the promise it returns.
func run[T any](t *testing.T, ctx context.Context, page, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	here, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	if here != page {
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatalf("opening %s: %v", page, err)
		}
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating on %s: %v", page, err)
	}
	return v
}

func wantResolved(t *testing.T, v verdict, status int, body string) {
	t.Helper()
	if !v.OK {
		t.Fatalf("fetch rejected (%s), want it to resolve with %d %q", v.Error, status, body)
	}
	if v.Status != status || v.Body != body {
		t.Fatalf("fetch resolved with %d %q, want %d %q", v.Status, v.Body, status, body)
	}
}

func wantRejected(t *testing.T, v verdict) {
	t.Helper()
	if v.OK {
		t.Fatalf("fetch resolved with %d %q, want the browser to reject it", v.Status, v.Body)
	}
	if v.Error != "TypeError: Failed to fetch" {
		t.Fatalf("fetch rejected with %q, want a CORS TypeError", v.Error)
	}
}
