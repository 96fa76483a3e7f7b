package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// A W3C WebDriver (classic) client, as much as the WebKit engine needs:
// sessions, navigation, asynchronous script, screenshots, window size and
// cookies. The protocol is HTTP with JSON bodies; every answer is
// {"value": ...}, and a failure carries {"error", "message"} in value with
// a 4xx or 5xx status.

// webDriver is a WebDriver server at base (http://127.0.0.1:port).
type webDriver struct {
	base   string
	client *http.Client
}

// wdSession is one session of a webDriver.
type wdSession struct {
	wd   *webDriver
	id   string
	caps map[string]any // the capabilities the driver answered with
}

// wdError is a WebDriver error answer.
type wdError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *wdError) Error() string { return e.Code + ": " + e.Message }

// do sends one command and decodes its value into out (when not nil). The
// timeout bounds the whole exchange: a driver that hangs fails the command.
func (wd *webDriver) do(timeout time.Duration, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, wd.base+path, in)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := wd.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20)) // screenshots are a few MB at most
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %v", method, path, err)
	}
	var answer struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("%s %s: %d %q is not a WebDriver answer", method, path, res.StatusCode, raw)
	}
	if res.StatusCode != http.StatusOK {
		var e wdError
		if err := json.Unmarshal(answer.Value, &e); err != nil || e.Code == "" {
			return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		return fmt.Errorf("%s %s: %w", method, path, &e)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(answer.Value, out)
}

// newSession opens a session with the capabilities caps (alwaysMatch).
func (wd *webDriver) newSession(caps map[string]any) (*wdSession, error) {
	var v struct {
		SessionID    string         `json:"sessionId"`
		Capabilities map[string]any `json:"capabilities"`
	}
	// Starting a browser takes a few seconds on a busy machine.
	body := map[string]any{"capabilities": map[string]any{"alwaysMatch": caps}}
	if err := wd.do(60*time.Second, http.MethodPost, "/session", body, &v); err != nil {
		return nil, err
	}
	return &wdSession{wd: wd, id: v.SessionID, caps: v.Capabilities}, nil
}

func (s *wdSession) do(timeout time.Duration, method, path string, body, out any) error {
	return s.wd.do(timeout, method, "/session/"+s.id+path, body, out)
}

// close ends the session, which closes its browser.
func (s *wdSession) close() error {
	return s.do(30*time.Second, http.MethodDelete, "", nil, nil)
}

// url is the current top-level browsing context's URL.
func (s *wdSession) url() (string, error) {
	var u string
	err := s.do(30*time.Second, http.MethodGet, "/url", nil, &u)
	return u, err
}

// navigate loads u and waits for its load event (page load strategy
// "normal").
func (s *wdSession) navigate(u string) error {
	return s.do(30*time.Second, http.MethodPost, "/url", map[string]any{"url": u}, nil)
}

// executeAsync runs script as the body of a function whose last argument
// is the callback that ends it, and decodes what it was called with.
func (s *wdSession) executeAsync(timeout time.Duration, script string, out any) error {
	return s.do(timeout, http.MethodPost, "/execute/async", map[string]any{"script": script, "args": []any{}}, out)
}

// screenshot is the viewport as a base64 PNG.
func (s *wdSession) screenshot() (string, error) {
	var b64 string
	err := s.do(30*time.Second, http.MethodGet, "/screenshot", nil, &b64)
	return b64, err
}

func (s *wdSession) setWindowRect(width, height int) error {
	return s.do(30*time.Second, http.MethodPost, "/window/rect", map[string]any{"width": width, "height": height}, nil)
}

// cookies are the names of the cookies of the current document's URL.
func (s *wdSession) cookies() ([]string, error) {
	var cs []struct {
		Name string `json:"name"`
	}
	if err := s.do(30*time.Second, http.MethodGet, "/cookie", nil, &cs); err != nil {
		return nil, err
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names, nil
}

// deleteCookies asks to delete the cookies of the current document's URL.
func (s *wdSession) deleteCookies() error {
	return s.do(30*time.Second, http.MethodDelete, "/cookie", nil, nil)
}
