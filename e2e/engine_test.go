package e2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// engine is a browser engine the suite's cases run in: Chromium over the
// DevTools protocol (chromium, browser_test.go), Firefox over WebDriver
// BiDi (firefox, firefox_test.go) and WebKit over WebDriver classic
// (webkit, webkit_test.go). The Go test stays in control: it asks
// the engine for one fetch() at a time and checks the server in between.
type engine interface {
	name() string
	version(t *testing.T) string
	// rejection is the TypeError fetch() rejects with when the browser
	// refuses a response for CORS (the engines word it differently).
	rejection() string
	// open gives a tab in a fresh browser context (its own cookies, HTTP
	// cache and preflight cache), closed when the test ends; or, for an
	// engine whose tabs share their caches, a tab with URLs of its own
	// (ownURLs).
	open(t *testing.T) tab
}

// tab is one page of a browser context.
type tab interface {
	// eval opens page unless the tab is on it already, evaluates js there,
	// awaits the promise it returns and decodes the value into out.
	eval(t *testing.T, page, js string, out any)
	screenshot(t *testing.T) []byte
}

// ownURLs is a tab that shares its HTTP and preflight caches with the
// engine's other tabs (WebKit's cases share one session). Both caches are
// keyed by URL, so the runner fetches ownURL(url) instead of url: the same
// resource at a URL no other tab has used.
type ownURLs interface {
	ownURL(url string) string
}

// tabURL is the URL tb fetches for url.
func tabURL(tb tab, url string) string {
	if o, ok := tb.(ownURLs); ok {
		return o.ownURL(url)
	}
	return url
}

// engines are the suite's engines, by name; each starts on first use and
// skips (or fails, with E2E_REQUIRE_BROWSER=1) the test when it is missing.
var engines = []struct {
	name  string
	start func(t *testing.T) engine
}{
	{"chromium", newChromium},
	{"firefox", newFirefox},
	{"webkit", newWebKit},
}

// TestMain stops the engines that outlive a test (WebKit's driver and
// its X server) once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	stopSharedWebKit()
	os.Exit(code)
}

// eachEngine runs f in a subtest per engine.
func eachEngine(t *testing.T, f func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			eng := e.start(t)
			t.Logf("%s: %s", eng.name(), eng.version(t))
			f(t, eng)
		})
	}
}

// missing skips t, or fails it when CI requires every engine.
func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("E2E_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// verdict is what a page's fetch() came to, as JavaScript saw it.
type verdict struct {
	OK      bool              `json:"ok"` // the promise resolved
	Status  int               `json:"status"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"` // response.headers.get(name); "" when null
	Error   string            `json:"error"`   // the rejection, a TypeError
	// Request is the request the engine built from fetch()'s arguments
	// (new Request(url, init)), what the cross-check gives caddy cors
	// check; nil for a sandboxed frame's fetch(url).
	Request *requestSeen `json:"request"`
}

// requestSeen is a Request object's view of a fetch(): the method as
// fetch() normalized it, the header list (names lower-cased, sorted, with
// any Content-Type a body implies), and the modes.
type requestSeen struct {
	Method      string      `json:"method"`
	Headers     [][2]string `json:"headers"`
	Credentials string      `json:"credentials"` // "omit", "same-origin" or "include"
	Mode        string      `json:"mode"`
	Redirect    string      `json:"redirect"`
}

// fetchJS is the page script of one fetch(url, init); init is a
// JavaScript object literal. Its value is a verdict.
func fetchJS(url, init string, readHeaders []string) string {
	if readHeaders == nil {
		readHeaders = []string{}
	}
	names, _ := json.Marshal(readHeaders)
	return fmt.Sprintf(`(async () => {
		const url = %q, init = %s;
		let request = null;
		try {
			const r = new Request(url, init);
			request = {method: r.method, headers: [...r.headers], credentials: r.credentials, mode: r.mode, redirect: r.redirect};
			const res = await fetch(url, init);
			const body = await res.text();
			const headers = {};
			for (const name of %s) headers[name] = res.headers.get(name) || "";
			return {ok: true, status: res.status, body, headers, request};
		} catch (e) {
			return {ok: false, error: String(e), request};
		}
	})()`, url, cmp.Or(init, "{}"), names)
}

// sandboxJS runs fetch(url) in a sandboxed iframe (origin "null") inside
// the page and reports its verdict through postMessage.
func sandboxJS(url string) string {
	return `new Promise(resolve => {
		window.addEventListener("message", e => resolve(e.data), {once: true});
		const f = document.createElement("iframe");
		f.sandbox = "allow-scripts";
		f.srcdoc = "<script>" +
			"fetch(" + JSON.stringify(` + "`" + url + "`" + `) + ")" +
			".then(async r => parent.postMessage({ok: true, status: r.status, body: await r.text()}, '*'))" +
			".catch(e => parent.postMessage({ok: false, error: String(e)}, '*'))" +
			"<\/script>";
		document.body.appendChild(f);
	})`
}
