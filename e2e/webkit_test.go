package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The WebKit engine: Debian's WebKitGTK, its MiniBrowser driven over W3C
// WebDriver (classic) by WebKitWebDriver, on an Xvfb display. One driver
// runs per test binary; each test gets a session (a MiniBrowser with its
// own ephemeral website data), and the cases of a test share it (see
// open). All its traffic goes through a loopbackProxy.

const webkitInstall = "install it with `apt-get install -y webkit2gtk-driver xvfb` (or set WEBKIT_WEBDRIVER and MINIBROWSER to their paths) to run the browser suite in WebKit"

// webkitTools are the programs the engine runs.
type webkitTools struct {
	xvfb, driver, miniBrowser string
}

// findWebKit locates the programs, or skips t (fails it under
// E2E_REQUIRE_BROWSER=1) with the command that installs them.
func findWebKit(t *testing.T) webkitTools {
	t.Helper()
	var w webkitTools
	w.xvfb, _ = exec.LookPath("Xvfb")
	w.driver = os.Getenv("WEBKIT_WEBDRIVER")
	if w.driver == "" {
		w.driver, _ = exec.LookPath("WebKitWebDriver")
	}
	// MiniBrowser is not on PATH: libwebkit2gtk-4.1-0 installs it in the
	// library directory of its architecture.
	w.miniBrowser = os.Getenv("MINIBROWSER")
	if w.miniBrowser == "" {
		found, _ := filepath.Glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser")
		if len(found) > 0 {
			w.miniBrowser = found[0]
		}
	}
	if w.xvfb == "" || w.driver == "" || w.miniBrowser == "" {
		missing(t, "no WebKit (Xvfb, WebKitWebDriver and MiniBrowser): "+webkitInstall)
	}
	return w
}

// webkitDriver is a running WebKitWebDriver on its own Xvfb display, with
// the proxy its browsers use.
type webkitDriver struct {
	wd      *webDriver
	proxy   *loopbackProxy
	mini    string
	xvfb    *exec.Cmd
	driver  *exec.Cmd
	done    chan struct{} // closed when the driver has exited
	home    string        // XDG directories of the browsers
	log     *os.File      // the driver's and browsers' output
	stopped sync.Once
}

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

// startWebKit starts Xvfb, the proxy and the driver. wrap, when not nil,
// changes the driver's command before it starts (strace does).
func startWebKit(tools webkitTools, wrap func(*exec.Cmd)) (d *webkitDriver, err error) {
	d = &webkitDriver{mini: tools.miniBrowser, done: make(chan struct{})}
	defer func() {
		if err != nil {
			d.stop()
		}
	}()
	if d.home, err = os.MkdirTemp("", "e2e-webkit-"); err != nil {
		return nil, err
	}
	display, err := d.startXvfb(tools.xvfb)
	if err != nil {
		return nil, err
	}
	if d.proxy, err = startLoopbackProxy(); err != nil {
		return nil, err
	}
	port := freePort()
	d.driver = exec.Command(tools.driver, "--port="+port)
	d.driver.Env = append(os.Environ(),
		"DISPLAY="+display,
		// Its own XDG directories: nothing of the user's, nothing kept.
		"HOME="+d.home, "XDG_CACHE_HOME="+d.home+"/cache", "XDG_DATA_HOME="+d.home+"/data",
		"XDG_CONFIG_HOME="+d.home+"/config", "XDG_RUNTIME_DIR="+d.home,
		"NO_AT_BRIDGE=1", // no accessibility bus
	)
	d.driver.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if d.log, err = os.CreateTemp("", "e2e-webkit-*.log"); err != nil {
		return nil, err
	}
	_ = os.Remove(d.log.Name()) // read through the open file; nothing left behind
	d.driver.Stdout, d.driver.Stderr = d.log, d.log
	if wrap != nil {
		wrap(d.driver)
	}
	if err := d.driver.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = d.driver.Wait()
		close(d.done)
	}()
	d.wd = &webDriver{base: "http://127.0.0.1:" + port, client: &http.Client{}}
	if err := d.waitReady(); err != nil {
		return nil, fmt.Errorf("%v%s", err, tail(d.log))
	}
	return d, nil
}

// startXvfb starts a virtual X server on a display it picks itself
// (-displayfd) and returns the display.
func (d *webkitDriver) startXvfb(xvfb string) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	d.xvfb = exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	d.xvfb.ExtraFiles = []*os.File{w}
	d.xvfb.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = d.xvfb.Start()
	w.Close()
	if err != nil {
		return "", err
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if _, err := strconv.Atoi(n); err != nil {
			return "", fmt.Errorf("xvfb gave no display number (%q)", n)
		}
		return ":" + n, nil
	case <-time.After(30 * time.Second):
		return "", errors.New("xvfb gave no display number within 30 s")
	}
}

// waitReady polls the driver's status until it takes sessions.
func (d *webkitDriver) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var status struct {
			Ready bool `json:"ready"`
		}
		err := d.wd.do(2*time.Second, http.MethodGet, "/status", nil, &status)
		if err == nil && status.Ready {
			return nil
		}
		select {
		case <-d.done:
			return errors.New("WebKitWebDriver exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("WebKitWebDriver not ready within 30 s (last: %v)", err)
		}
	}
}

// stop ends the driver's process group (the driver, its browsers and
// their processes), then Xvfb and the proxy.
func (d *webkitDriver) stop() {
	d.stopped.Do(func() {
		if d.driver != nil && d.driver.Process != nil {
			_ = syscall.Kill(-d.driver.Process.Pid, syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-d.driver.Process.Pid, syscall.SIGKILL)
				<-d.done
			}
		}
		if d.xvfb != nil && d.xvfb.Process != nil {
			_ = d.xvfb.Process.Kill()
			_ = d.xvfb.Wait()
		}
		if d.proxy != nil {
			d.proxy.close()
		}
		if d.log != nil {
			_ = d.log.Close()
		}
		if d.home != "" {
			_ = os.RemoveAll(d.home)
		}
	})
}

// session opens a browser for t: MiniBrowser in automation mode, all its
// traffic through the proxy, closed when t ends.
func (d *webkitDriver) session(t *testing.T) *webkit {
	t.Helper()
	proxy := d.proxy.addr
	s, err := d.wd.newSession(map[string]any{
		"webkitgtk:browserOptions": map[string]any{"binary": d.mini, "args": []string{"--automation"}},
		"proxy":                    map[string]any{"proxyType": "manual", "httpProxy": proxy, "sslProxy": proxy},
		"timeouts":                 map[string]any{"script": 30000, "pageLoad": 15000},
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

// freePort is a local TCP port nothing listened on a moment ago.
func freePort() string {
	_, port, _ := strings.Cut(closedPort(), ":")
	return port
}

// tail is the end of a log file, for error messages.
func tail(f *os.File) string {
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	from := max(info.Size()-4000, 0)
	b := make([]byte, info.Size()-from)
	n, _ := f.ReadAt(b, from)
	if n == 0 {
		return ""
	}
	return "; WebKitWebDriver's output:\n" + string(b[:n])
}
