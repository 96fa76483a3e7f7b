package check

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"

	"github.com/corsedge/caddy-cors/internal/fetch"
)

// remoteAddr is the client address of the simulated connection: a browser
// on this machine.
const remoteAddr = "127.0.0.1:49152"

// newRequest is the request a browser's connection to u brings to the
// server: Host and RequestURI from the URL, a loopback RemoteAddr and,
// for https, a completed TLS handshake with the URL's host as its server
// name (none for an IP address, which TLS does not send, RFC 6066).
func newRequest(ctx context.Context, method string, u *url.URL, h http.Header) *http.Request {
	target := *u
	r := &http.Request{
		Method:     method,
		URL:        &target,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       u.Host,
		RemoteAddr: remoteAddr,
		RequestURI: u.RequestURI(),
	}
	if u.Scheme == "https" {
		r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}
		if net.ParseIP(u.Hostname()) == nil {
			r.TLS.ServerName = u.Hostname()
		}
	}
	return r.WithContext(ctx)
}

// recorder is the response side of the simulated connection. It keeps
// what the browser's checks read, the status and the header fields as
// they were when the response head went out, and discards the body,
// which no check reads. As net/http's server does, it takes the head at
// the first final WriteHeader (or the first Write or Flush, as 200), lets
// informational responses (1xx but 101) pass, and, when the handler wrote
// nothing, sends 200 with the header map as the handler left it.
type recorder struct {
	header http.Header
	status int
	sent   http.Header // the header fields of the response head, once sent
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

// Header implements http.ResponseWriter.
func (w *recorder) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter.
func (w *recorder) WriteHeader(status int) {
	if w.sent != nil || status >= 100 && status <= 199 && status != http.StatusSwitchingProtocols {
		return
	}
	w.status, w.sent = status, w.header.Clone()
}

// Write implements http.ResponseWriter; the body is discarded.
func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Flush implements http.Flusher, for streaming handlers: it sends the head.
func (w *recorder) Flush() { w.WriteHeader(http.StatusOK) }

// response is the response head, once the handler has returned.
func (w *recorder) response() fetch.Response {
	w.WriteHeader(http.StatusOK)
	return fetch.Response{Status: w.status, Header: w.sent}
}
