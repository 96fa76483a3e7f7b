package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The WebKit engine: Debian's WebKitGTK, its MiniBrowser driven over W3C
// WebDriver (classic) by WebKitWebDriver, on an Xvfb display. One driver
// runs per test binary; each test gets a session (a MiniBrowser with its
// own ephemeral website data), and the cases of a test share it (see
// open). All its traffic goes through a loopbackProxy.

// webkitShared is the run's driver, started by the first test that needs
// it.
var webkitShared struct {
	once sync.Once
	d    *webkitDriver
	err  error
}

// newWebKit gives a session of the run's WebKit driver, started on first
// use and stopped by TestMain; the session ends with the test.
func newWebKit(t *testing.T) engine {
	t.Helper()
	tools := findWebKit(t)
	webkitShared.once.Do(func() { webkitShared.d, webkitShared.err = startWebKit(tools, nil) })
	if webkitShared.err != nil {
		t.Fatalf("starting WebKit: %v", webkitShared.err)
	}
	return webkitShared.d.session(t)
}

func stopSharedWebKit() {
	if webkitShared.d != nil {
		webkitShared.d.stop()
	}
}

// session opens a browser for t: MiniBrowser in automation mode, all its
// traffic through the proxy, closed when t ends.
func (d *webkitDriver) session(t *testing.T) *webkit {
	t.Helper()
	s, err := d.wd.newSession(map[string]any{
		"webkitgtk:browserOptions": map[string]any{"binary": d.mini, "args": []string{"--automation"}},
		// Every request, http and https, goes to the proxy.
		"proxy":    map[string]any{"proxyType": "manual", "httpProxy": d.proxy.addr, "sslProxy": d.proxy.addr},
		"timeouts": map[string]any{"script": 30000, "pageLoad": 15000},
	})
	if err != nil {
		t.Fatalf("opening a WebKit session: %v", err)
	}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Errorf("closing the WebKit session: %v", err)
		}
	})
	if err := s.setWindowRect(1000, 700); err != nil {
		t.Fatalf("sizing the WebKit window: %v", err)
	}
	return &webkit{s: s, proxy: d.proxy}
}

// webkit is one session, the engine of one test.
type webkit struct {
	s     *wdSession
	proxy *loopbackProxy
	tabs  int // tabs opened so far
}

func (*webkit) name() string { return "webkit" }

func (w *webkit) version(*testing.T) string {
	return fmt.Sprintf("%v %v (WebKitGTK)", w.s.caps["browserName"], w.s.caps["browserVersion"])
}

func (*webkit) rejection() string { return "TypeError: Load failed" }

// open gives a tab in the test's session. Starting a browser for every
// case would cost a second each, so the cases share one, kept apart
// instead: the cookies that earlier cases' responses set are deleted
// first, and the tab's URLs carry a query of their own (ownURL), so that
// neither the HTTP cache nor the preflight cache, both keyed by URL (the
// latter by origin and URL), holds an entry for them.
func (w *webkit) open(t *testing.T) tab {
	t.Helper()
	for _, origin := range w.proxy.takeCookieOrigins() {
		w.deleteCookies(t, origin)
	}
	w.tabs++
	return webkitTab{w.s, w.tabs}
}

// deleteCookies deletes the cookies of origin: WebDriver deletes only the
// current document's, and WebKit answers before they are gone, so the
// tab waits until none is listed.
func (w *webkit) deleteCookies(t *testing.T, origin string) {
	t.Helper()
	if err := w.s.navigate(origin + "/"); err != nil {
		t.Fatalf("opening %s to delete its cookies: %v", origin, err)
	}
	if err := w.s.deleteCookies(); err != nil {
		t.Fatalf("deleting the cookies of %s: %v", origin, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left, err := w.s.cookies()
		if err != nil {
			t.Fatalf("listing the cookies of %s: %v", origin, err)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cookies %q of %s still there 10 s after deleting them", left, origin)
		}
	}
}

type webkitTab struct {
	s *wdSession
	n int
}

// ownURL makes url this tab's own with a query parameter.
func (w webkitTab) ownURL(url string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "webkit-tab=" + strconv.Itoa(w.n)
}

func (w webkitTab) eval(t *testing.T, page, js string, out any) {
	t.Helper()
	here, err := w.s.url()
	if err != nil {
		t.Fatalf("reading WebKit's location: %v", err)
	}
	if here != page {
		if err := w.s.navigate(page); err != nil {
			t.Fatalf("opening %s in WebKit: %v", page, err)
		}
	}
	var answer struct {
		Value json.RawMessage `json:"value"`
		Error *string         `json:"error"`
	}
	script := `const done = arguments[arguments.length - 1];
		Promise.resolve(` + js + `).then(value => done({value}), e => done({error: String(e)}));`
	if err := w.s.executeAsync(30*time.Second, script, &answer); err != nil {
		t.Fatalf("evaluating on %s in WebKit: %v", page, err)
	}
	if answer.Error != nil {
		t.Fatalf("evaluating on %s in WebKit: the promise rejected: %s", page, *answer.Error)
	}
	if err := json.Unmarshal(answer.Value, out); err != nil {
		t.Fatalf("decoding %s: %v", answer.Value, err)
	}
}

// screenshot waits for two animation frames first: WebKit's screenshot
// is of what was last painted, which (found by running it) is still the
// blank page when the page's script has only just changed it.
func (w webkitTab) screenshot(t *testing.T) []byte {
	t.Helper()
	var painted bool
	if err := w.s.executeAsync(30*time.Second, `const done = arguments[0];
		requestAnimationFrame(() => requestAnimationFrame(() => done(true)));`, &painted); err != nil {
		t.Fatalf("waiting for WebKit to paint: %v", err)
	}
	b64, err := w.s.screenshot()
	if err != nil {
		t.Fatalf("screenshot in WebKit: %v", err)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return png
}
