package e2e

import (
	"bufio"
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

// The processes of the WebKit engine (webkit_test.go): Xvfb, a virtual X
// display of its own; WebKitWebDriver, which starts a MiniBrowser per
// session; and the loopbackProxy that the browsers' traffic goes through.

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
