package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
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

// fetchFrom opens page (an origin's page) in the tab and runs
// fetch(url, init) there; init is a JavaScript object literal.
func fetchFrom(t *testing.T, ctx context.Context, page, url, init string, readHeaders ...string) verdict {
	t.Helper()
	return run[verdict](t, ctx, page, fetchJS(url, init, readHeaders))
}

// fetchFromSandbox runs fetch(url) in a sandboxed iframe (origin "null")
// inside the app page and reports its verdict through postMessage.
func fetchFromSandbox(t *testing.T, ctx context.Context, url string) verdict {
	t.Helper()
	return run[verdict](t, ctx, appPage, sandboxJS(url))
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

// wantResolved and wantRejected check a Chromium verdict from fetchFrom,
// for Chromium-only tests written against the helpers above.
func wantResolved(t *testing.T, v verdict, status int, body string) {
	t.Helper()
	checkVerdict(t, chromium{}, v, resolves(status, body))
}

func wantRejected(t *testing.T, v verdict) {
	t.Helper()
	checkVerdict(t, chromium{}, v, refused)
}

// chromium is the Chromium engine of the suite's runner: one Chromium per
// test (browser(t)), and a fresh browser context for each tab.
type chromium struct{ ctx context.Context }

func newChromium(t *testing.T) engine {
	t.Helper()
	return chromium{browser(t)}
}

func (chromium) name() string { return "chromium" }

func (c chromium) version(t *testing.T) string {
	t.Helper()
	v, err := cdp.Call(c.ctx, chromedp.FromContext(c.ctx).Browser, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("reading Chromium's version: %v", err)
	}
	return v.Product
}

func (chromium) rejection() string { return "TypeError: Failed to fetch" }

// open gives a tab in a new browser context, disposed when the test ends.
func (c chromium) open(t *testing.T) tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("opening a browser context: %v", err)
	}
	return chromiumTab{ctx}
}

type chromiumTab struct{ ctx context.Context }

func (c chromiumTab) eval(t *testing.T, page, js string, out any) {
	t.Helper()
	raw := run[json.RawMessage](t, c.ctx, page, js)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}

func (c chromiumTab) screenshot(t *testing.T) []byte {
	t.Helper()
	shot, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return shot
}
