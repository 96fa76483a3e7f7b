package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
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
	return chromiumTab{ctx, watchConsole(t, ctx)}
}

type chromiumTab struct {
	ctx     context.Context
	console *consoleLog
}

// eval also starts a new page of the console log: corsMessage reads what
// this evaluation made Chromium log.
func (c chromiumTab) eval(t *testing.T, page, js string, out any) {
	t.Helper()
	c.console.reset()
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

// corsConsole is a tab whose engine tells why it refused a fetch, in its
// console's words: Chromium (its Log domain) and Firefox (WebDriver
// BiDi's log.entryAdded, through the driver). WebDriver classic has no
// access to WebKit's console, so the cross-check holds only its verdicts.
type corsConsole interface {
	// corsMessages are the console lines about the CORS refusal of a
	// fetch of url during the last eval, in order, or none when none came
	// within a few seconds.
	corsMessages(url string) []string
}

func (c chromiumTab) corsMessages(url string) []string {
	if msg := c.console.wait(url); msg != "" {
		return []string{msg}
	}
	return nil
}

// consoleLog collects Chromium's console entries about CORS.
type consoleLog struct {
	mu      sync.Mutex
	entries []string
}

func watchConsole(t *testing.T, ctx context.Context) *consoleLog {
	t.Helper()
	cl := &consoleLog{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && strings.Contains(e.Entry.Text, "blocked by CORS policy") {
			cl.mu.Lock()
			cl.entries = append(cl.entries, e.Entry.Text)
			cl.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listening to the console: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the console log: %v", err)
	}
	return cl
}

func (cl *consoleLog) reset() {
	cl.mu.Lock()
	cl.entries = nil
	cl.mu.Unlock()
}

// wait returns the last CORS message Chromium logged about a fetch of url
// (at url, or redirected from it), waiting a little: the entry can arrive
// just after the promise rejects.
func (cl *consoleLog) wait(url string) string {
	about := "'" + url + "'"
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		cl.mu.Lock()
		var msg string
		for _, e := range cl.entries {
			if strings.Contains(e, about) {
				msg = e
			}
		}
		cl.mu.Unlock()
		if msg != "" {
			return msg
		}
	}
	return ""
}
