package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Firefox engine: Debian's firefox-esr, headless, driven over WebDriver
// BiDi by puppeteer-core from firefox/driver.mjs, one long-lived Node
// process per test run that takes one JSON command per line.

const firefoxInstall = "install it with `apt-get install -y firefox-esr nodejs npm` (or set FIREFOX to its path) to run the browser suite in Firefox"

var shared struct {
	once sync.Once
	d    *firefoxDriver
	err  error
}

// newFirefox gives the run's Firefox, started on first use. It is never
// stopped explicitly: when the test binary exits, the driver's stdin
// closes and it closes the browser.
func newFirefox(t *testing.T) engine {
	t.Helper()
	cmd := firefoxCommand(t)
	shared.once.Do(func() { shared.d, shared.err = startFirefox(cmd) })
	if shared.err != nil {
		t.Fatalf("starting Firefox: %v", shared.err)
	}
	return shared.d
}

// firefoxCommand is the command that runs the driver, with node_modules
// installed from the lockfile first if they are missing, so that the
// README's test command works on a fresh clone.
func firefoxCommand(t *testing.T) *exec.Cmd {
	t.Helper()
	path := os.Getenv("FIREFOX")
	if path == "" {
		path, _ = exec.LookPath("firefox-esr")
	}
	node, _ := exec.LookPath("node")
	if path == "" || node == "" {
		missing(t, "no Firefox (firefox-esr and node): "+firefoxInstall)
	}
	npmCI(t)
	cmd := exec.Command(node, "driver.mjs")
	cmd.Dir = "firefox"
	cmd.Env = append(os.Environ(), "FIREFOX="+path, "DEAD_PROXY="+closedPort())
	return cmd
}

var npmOnce struct {
	once sync.Once
	err  error
}

func npmCI(t *testing.T) {
	t.Helper()
	npmOnce.once.Do(func() {
		if _, err := os.Stat("firefox/node_modules/puppeteer-core/package.json"); err == nil {
			return
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			npmOnce.err = errors.New("no npm: install it with `apt-get install -y npm`")
			return
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = "firefox"
		if out, err := cmd.CombinedOutput(); err != nil {
			npmOnce.err = fmt.Errorf("npm ci in e2e/firefox: %v\n%s", err, out)
		}
	})
	if npmOnce.err != nil {
		missing(t, npmOnce.err.Error())
	}
}

// firefoxDriver talks to one driver.mjs process.
type firefoxDriver struct {
	mu      sync.Mutex // one command at a time
	in      io.WriteCloser
	answers chan driverAnswer
	done    chan struct{} // closed when the process has exited
	stderr  *os.File
	lastID  int
	ver     string
}

type driverAnswer struct {
	ID    int             `json:"id"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// startFirefox starts cmd (the driver, possibly wrapped, as strace does)
// and waits for the browser.
func startFirefox(cmd *exec.Cmd) (*firefoxDriver, error) {
	stderr, err := os.CreateTemp("", "e2e-firefox-*.log")
	if err != nil {
		return nil, err
	}
	// Unlinked at once: the driver writes and log reads through the open
	// file, and nothing is left behind however the run ends.
	_ = os.Remove(stderr.Name())
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &firefoxDriver{in: in, answers: make(chan driverAnswer), done: make(chan struct{}), stderr: stderr}
	go func() {
		lines := bufio.NewScanner(out)
		lines.Buffer(nil, 64<<20) // screenshots are long lines
		for lines.Scan() {
			var a driverAnswer
			if err := json.Unmarshal(lines.Bytes(), &a); err != nil {
				a.Error = fmt.Sprintf("driver wrote %q", lines.Bytes())
			}
			d.answers <- a
		}
		_ = cmd.Wait()
		close(d.done)
	}()
	// Launching a fresh profile takes a few seconds on a busy machine.
	if err := d.call(60*time.Second, map[string]any{"cmd": "version"}, &d.ver); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// call sends one command and decodes its value into out.
func (d *firefoxDriver) call(timeout time.Duration, cmd map[string]any, out any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastID++
	cmd["id"] = d.lastID
	line, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	if _, err := d.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing to the driver: %v%s", err, d.log())
	}
	deadline := time.After(timeout)
	for {
		var a driverAnswer
		select {
		case a = <-d.answers:
		case <-d.done:
			return fmt.Errorf("the driver exited%s", d.log())
		case <-deadline:
			return fmt.Errorf("no answer to %s within %v%s", cmd["cmd"], timeout, d.log())
		}
		if a.ID < d.lastID {
			continue // the late answer to a command that timed out
		}
		if a.Error != "" {
			return errors.New(a.Error)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(a.Value, out)
	}
}

// log is the tail of the driver's stderr, for error messages.
func (d *firefoxDriver) log() string {
	info, err := d.stderr.Stat()
	if err != nil {
		return ""
	}
	from := max(info.Size()-4000, 0)
	b := make([]byte, info.Size()-from)
	n, _ := d.stderr.ReadAt(b, from)
	b = b[:n]
	if len(b) == 0 {
		return ""
	}
	return "; driver stderr:\n" + string(b)
}

// stop closes the driver's stdin, which closes the browser, and waits.
func (d *firefoxDriver) stop() {
	_ = d.in.Close()
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
	}
	_ = d.stderr.Close()
}

func (*firefoxDriver) name() string { return "firefox" }

func (d *firefoxDriver) version(*testing.T) string { return d.ver }

func (*firefoxDriver) rejection() string {
	return "TypeError: NetworkError when attempting to fetch resource."
}

func (d *firefoxDriver) open(t *testing.T) tab {
	t.Helper()
	var id string
	if err := d.call(30*time.Second, map[string]any{"cmd": "open"}, &id); err != nil {
		t.Fatalf("opening a Firefox browser context: %v", err)
	}
	t.Cleanup(func() {
		if err := d.call(30*time.Second, map[string]any{"cmd": "close", "ctx": id}, nil); err != nil {
			t.Errorf("closing Firefox browser context %s: %v", id, err)
		}
	})
	return firefoxTab{d, id}
}

type firefoxTab struct {
	d  *firefoxDriver
	id string
}

func (f firefoxTab) eval(t *testing.T, page, js string, out any) {
	t.Helper()
	if err := f.d.call(30*time.Second, map[string]any{"cmd": "eval", "ctx": f.id, "page": page, "js": js}, out); err != nil {
		t.Fatalf("evaluating on %s in Firefox: %v", page, err)
	}
}

// corsMessages are the "Cross-Origin Request Blocked" lines the page
// logged since the last eval began. Firefox logs about the URL where the
// failure was found (after a redirect, not url), and a failed preflight
// in two or three lines, the last one a little later: the lines are read
// until none has come for quietFor.
func (f firefoxTab) corsMessages(string) []string {
	const quietFor = 300 * time.Millisecond
	var got []string
	changed := time.Now()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var lines []string
		if err := f.d.call(10*time.Second, map[string]any{"cmd": "console", "ctx": f.id}, &lines); err != nil {
			return []string{"reading the console: " + err.Error()}
		}
		var cors []string
		for _, l := range lines {
			if strings.HasPrefix(l, "Cross-Origin Request Blocked:") {
				cors = append(cors, l)
			}
		}
		if len(cors) != len(got) {
			got, changed = cors, time.Now()
		}
		if len(got) > 0 && time.Since(changed) >= quietFor {
			break
		}
	}
	return got
}

func (f firefoxTab) screenshot(t *testing.T) []byte {
	t.Helper()
	var b64 string
	if err := f.d.call(30*time.Second, map[string]any{"cmd": "screenshot", "ctx": f.id}, &b64); err != nil {
		t.Fatalf("screenshot in Firefox: %v", err)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// closedPort is the address of a local port nothing listens on (it was
// just closed), the proxy for every name that is not the suite's.
func closedPort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:9"
	}
	defer l.Close()
	return l.Addr().String()
}
