package cors

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// The writer with responses that are not a plain status, headers and
// body, in a real Caddy (caddytest, see testcaddy_test.go): a WebSocket
// upgrade (101) through reverse_proxy, 103 Early Hints, a Hijack through
// http.ResponseController, and server-sent events through reverse_proxy
// with flush_interval -1. The CORS headers go on the 101 and on the final
// responses; informational responses pass through as they are.

// writerWant is the CORS part of every 101 and final response below to a
// request from integrationOrigin (Vary merged with a backend's).
func writerWant(vary ...string) http.Header {
	return http.Header{hdrACAO: {integrationOrigin}, hdrACAC: {"true"}, hdrACEH: {"X-Stream"}, "Vary": append(vary, "Origin")}
}

// writerBound bounds every wait of these tests: a failure, not a pace.
const writerBound = 10 * time.Second

// startWriterCaddy loads a site with the cors handler in front of
// reverse_proxy to backend (flush_interval -1 on /sse/) and of the
// hijacking handler on /hijack/, and returns its address.
func startWriterCaddy(t *testing.T, backend string) string {
	t.Helper()
	_, port := startCaddy(t, func(port int) string {
		return fmt.Sprintf(`{
	skip_install_trust
	admin %[1]s
	auto_https off
	default_bind 127.0.0.1
	grace_period 1ns
}

http://127.0.0.1:%[2]d {
	cors %[3]s {
		credentials
		expose_headers X-Stream
	}
	handle /sse/* {
		reverse_proxy %[4]s {
			flush_interval -1
		}
	}
	handle /hijack/* {
		route {
			cors_test_hijack
		}
	}
	reverse_proxy %[4]s
}
`, adminAddress(), port, integrationOrigin, backend)
	})
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// writerClient is a client of the test site with its own connections.
func writerClient(t *testing.T) *http.Client {
	t.Helper()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 3 * writerBound}
}

// dialSite opens a connection to the site, bounded by writerBound.
func dialSite(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, writerBound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(3 * writerBound)); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// A WebSocket through reverse_proxy: the 101 carries exactly the CORS
// headers (the backend's own replaced, its Vary merged), and the
// connection then carries frames both ways.
func TestWriterWebSocketThroughReverseProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(websocketEcho))
	t.Cleanup(backend.Close)
	addr := startWriterCaddy(t, backend.Listener.Addr().String())

	conn, br := dialSite(t, addr)
	req, _ := http.NewRequest("GET", "http://"+addr+"/ws/echo", nil)
	req.Header.Set("Origin", integrationOrigin)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's example
	req.Header.Set("Sec-WebSocket-Key", key)
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("reading the handshake's response: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		t.Fatalf("status %d, Sec-WebSocket-Accept %q, body %q: want 101 with the backend's accept", res.StatusCode, res.Header.Get("Sec-WebSocket-Accept"), body)
	}
	if got, want := corsPart(res.Header), writerWant("Accept-Encoding"); !reflect.DeepEqual(got, want) {
		t.Errorf("CORS headers of the 101:\n got %v\nwant %v", got, want)
	}

	for _, msg := range []string{"hello", strings.Repeat("long ", 40)} {
		if err := writeFrame(conn, wsText, []byte(msg), true); err != nil {
			t.Fatal(err)
		}
		op, payload, masked, err := readFrame(br)
		if err != nil || op != wsText || masked || string(payload) != msg {
			t.Fatalf("echo of %q: opcode %d, masked %v, payload %q, error %v", msg, op, masked, payload, err)
		}
	}
	if err := writeFrame(conn, wsClose, []byte{0x03, 0xe8}, true); err != nil {
		t.Fatal(err)
	}
	if op, _, _, err := readFrame(br); err != nil || op != wsClose {
		t.Fatalf("closing: opcode %d, error %v; want the close frame back", op, err)
	}
}

// 103 Early Hints through reverse_proxy pass through as the backend sent
// them, before the final response, and without CORS headers (they are
// not a response a script reads); the final response carries them. The
// backend writes the final response only once the client has the 103, so
// a 103 held back until then fails the test.
func TestWriterEarlyHints(t *testing.T) {
	const link = "</style.css>; rel=preload; as=style"
	hintsSeen := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", link)
		w.Header().Set("X-Hint", "yes")
		w.WriteHeader(http.StatusEarlyHints)
		select {
		case <-hintsSeen:
		case <-time.After(writerBound):
			http.Error(w, fmt.Sprintf("the client did not have the 103 within %s of its writing", writerBound), http.StatusGatewayTimeout)
			return
		}
		w.Header().Set(hdrACAO, "*") // the backend's own, replaced
		_, _ = io.WriteString(w, "final")
	}))
	t.Cleanup(backend.Close)
	addr := startWriterCaddy(t, backend.Listener.Addr().String())

	var hints []textproto.MIMEHeader
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		if code != http.StatusEarlyHints {
			return fmt.Errorf("informational response %d, want 103", code)
		}
		hints = append(hints, h)
		if len(hints) == 1 {
			close(hintsSeen)
		}
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "http://"+addr+"/hints/x", nil)
	req.Header.Set("Origin", integrationOrigin)
	res, err := writerClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != "final" {
		t.Fatalf("final response: status %d, body %q; want 200 %q", res.StatusCode, body, "final")
	}
	if len(hints) != 1 {
		t.Fatalf("%d 103 responses, want 1", len(hints))
	}
	hint := http.Header(hints[0])
	if hint.Get("Link") != link || hint.Get("X-Hint") != "yes" || len(corsPart(hint)) != 0 {
		t.Errorf("103 headers %v: want the backend's Link and X-Hint, and no CORS headers or Vary", hint)
	}
	if got, want := corsPart(res.Header), writerWant(); !reflect.DeepEqual(got, want) {
		t.Errorf("CORS headers of the final response:\n got %v\nwant %v", got, want)
	}
}

// A handler behind the cors handler hijacks the connection through
// http.ResponseController: after a 101 of its own, which carries the
// CORS headers; and before writing anything, when the bytes on the
// connection are its own, byte for byte.
func TestWriterHijack(t *testing.T) {
	addr := startWriterCaddy(t, deadAddress(t))

	t.Run("after a 101", func(t *testing.T) {
		conn, br := dialSite(t, addr)
		req, _ := http.NewRequest("GET", "http://"+addr+"/hijack/upgrade", nil)
		req.Header.Set("Origin", integrationOrigin)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "line-echo")
		if err := req.Write(conn); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Upgrade") != "line-echo" {
			t.Fatalf("status %d, Upgrade %q: want 101 line-echo", res.StatusCode, res.Header.Get("Upgrade"))
		}
		if got, want := corsPart(res.Header), writerWant(); !reflect.DeepEqual(got, want) {
			t.Errorf("CORS headers of the 101:\n got %v\nwant %v", got, want)
		}
		if _, err := io.WriteString(conn, "ping\n"); err != nil {
			t.Fatal(err)
		}
		if line, err := br.ReadString('\n'); err != nil || line != "echo: ping\n" {
			t.Fatalf("after the upgrade: %q, %v; want %q", line, err, "echo: ping\n")
		}
	})

	t.Run("before writing", func(t *testing.T) {
		conn, br := dialSite(t, addr)
		if _, err := fmt.Fprintf(conn, "GET /hijack/raw HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\n\r\n", addr, integrationOrigin); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(br)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != rawHijackResponse {
			t.Errorf("bytes on the hijacked connection:\n%q\nwant only the handler's:\n%q", got, rawHijackResponse)
		}
	})
}

// Server-sent events through reverse_proxy with flush_interval -1: the
// response's CORS headers, and each event reaches the client before the
// backend writes the next (it waits for the client's acknowledgement), so
// a response held back in a buffer fails the test.
func TestWriterServerSentEvents(t *testing.T) {
	const events = 3
	acks := make(chan int, events)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Stream", "yes")
		w.Header().Set(hdrACAO, "*") // the backend's own, replaced
		rc := http.NewResponseController(w)
		for i := 1; i <= events; i++ {
			if i > 1 {
				select {
				case n := <-acks:
					if n != i-1 {
						fmt.Fprintf(w, "data: FAILED: acknowledgement of event %d, want %d\n\n", n, i-1)
						return
					}
				case <-time.After(writerBound):
					fmt.Fprintf(w, "data: FAILED: event %d was due, but event %d was not acknowledged within %s: held back?\n\n", i, i-1, writerBound)
					return
				}
			}
			fmt.Fprintf(w, "id: %d\ndata: event %d\n\n", i, i)
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(backend.Close)
	addr := startWriterCaddy(t, backend.Listener.Addr().String())

	req, _ := http.NewRequest("GET", "http://"+addr+"/sse/stream", nil)
	req.Header.Set("Origin", integrationOrigin)
	req.Header.Set("Accept", "text/event-stream")
	res, err := writerClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("X-Stream") != "yes" {
		t.Fatalf("status %d, Content-Type %q, X-Stream %q: want the backend's stream", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("X-Stream"))
	}
	if got, want := corsPart(res.Header), writerWant(); !reflect.DeepEqual(got, want) {
		t.Errorf("CORS headers of the stream:\n got %v\nwant %v", got, want)
	}
	br := bufio.NewReader(res.Body)
	for i := 1; i <= events; i++ {
		event, err := readEvent(br)
		if want := fmt.Sprintf("id: %d\ndata: event %d\n", i, i); err != nil || event != want {
			t.Fatalf("event %d: %q, %v; want %q", i, event, err, want)
		}
		acks <- i
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the last event: %q, %v; want the end of the stream", rest, err)
	}
}

// readEvent reads one server-sent event: its lines up to the blank one.
func readEvent(br *bufio.Reader) (string, error) {
	var event strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return event.String() + line, err
		}
		if line == "\n" {
			return event.String(), nil
		}
		event.WriteString(line)
	}
}

// rawHijackResponse is what hijackHandler writes on /hijack/raw.
const rawHijackResponse = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\nX-Raw: yes\r\n\r\nraw"

func init() {
	caddy.RegisterModule(hijackHandler{})
	httpcaddyfile.RegisterHandlerDirective("cors_test_hijack", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		h.Next() // consume directive name
		if h.NextArg() {
			return nil, h.ArgErr()
		}
		return hijackHandler{}, nil
	})
}

// hijackHandler (http.handlers.cors_test_hijack, registered by this test
// binary only) takes the connection over with http.ResponseController,
// the way WebSocket servers do: on /hijack/upgrade after a 101 of its
// own (with a CORS header of its own, which the cors handler replaces),
// then echoing one line; on /hijack/raw before writing anything, writing
// a raw response.
type hijackHandler struct{}

func (hijackHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.cors_test_hijack", New: func() caddy.Module { return new(hijackHandler) }}
}

func (hijackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	upgrade := r.URL.Path == "/hijack/upgrade"
	if upgrade {
		w.Header().Set("Upgrade", "line-echo")
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set(hdrACAO, "*")
		w.WriteHeader(http.StatusSwitchingProtocols)
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	defer conn.Close()
	if upgrade {
		line, err := brw.ReadString('\n')
		if err != nil {
			return nil
		}
		_, _ = brw.WriteString("echo: " + line)
	} else {
		_, _ = brw.WriteString(rawHijackResponse)
	}
	_ = brw.Flush()
	return nil
}
