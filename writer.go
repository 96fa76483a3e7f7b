package cors

import (
	"io"
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// corsWriter makes the decided CORS headers the ones that go out, however
// the response is produced. It writes them into the header map at the last
// moment (WriteHeader, the first Write, ReadFrom or Flush), after a backend
// behind reverse_proxy or another handler had its say, so their values are
// replaced rather than duplicated. When the next handler writes nothing,
// serve writes them on the way out, where Caddy writes its error responses
// (basic_auth's 401, reverse_proxy's 502) with the same header map.
//
// It carries the request's decision, and the permission lookup still
// running for it, if any: the headers wait for its answer, the body does
// not.
type corsWriter struct {
	caddyhttp.ResponseWriterWrapper
	h      *Handler
	r      *http.Request
	d      decision.Decision
	lookup <-chan bool // a permission answer that completes d, or nil
	done   bool
}

// writers are reused across requests. The rule that makes it safe: a
// writer goes back only after next.ServeHTTP has returned and the headers
// are settled, and net/http forbids using a ResponseWriter after its
// ServeHTTP returns (a hijacked connection is used through its net.Conn,
// not the writer; a handler that panics never gives its writer back).
// Nothing that goes out with the response lives in the writer: the header
// values are written as slices of a fresh array (writeDecided), because
// net/http may serialize the header map after ServeHTTP has returned.
var writers = sync.Pool{New: func() any { return new(corsWriter) }}

// getWriter returns a writer for w and r, its decision zero.
func getWriter(h *Handler, w http.ResponseWriter, r *http.Request) *corsWriter {
	cw := writers.Get().(*corsWriter)
	cw.ResponseWriter, cw.h, cw.r = w, h, r
	return cw
}

// putWriter gives cw back, holding nothing of its request.
func putWriter(cw *corsWriter) {
	*cw = corsWriter{}
	writers.Put(cw)
}

// serve calls next with the writer, settles the headers if next wrote
// nothing, and gives the writer back.
func (cw *corsWriter) serve(next caddyhttp.Handler) error {
	err := next.ServeHTTP(cw, cw.r)
	cw.finalize()
	putWriter(cw)
	return err
}

// finalize settles the headers, once: it waits for a permission answer
// still to come, records the decision it completes, and writes the
// decision's headers.
func (cw *corsWriter) finalize() {
	if cw.done {
		return
	}
	cw.done = true
	if cw.lookup != nil {
		cw.h.policy.completeActual(&cw.d, <-cw.lookup)
		cw.lookup = nil
		cw.h.record(cw.r, &cw.d)
	}
	writeDecided(cw.ResponseWriter.Header(), &cw.d)
}

// WriteHeader implements http.ResponseWriter. Informational responses
// (103 Early Hints) are not final and pass through as they are.
func (cw *corsWriter) WriteHeader(status int) {
	if status < 100 || status > 199 || status == http.StatusSwitchingProtocols {
		cw.finalize()
	}
	cw.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (cw *corsWriter) Write(b []byte) (int, error) {
	cw.finalize()
	return cw.ResponseWriter.Write(b)
}

// ReadFrom implements io.ReaderFrom, which file_server and reverse_proxy
// use; the wrapped writer would otherwise send the headers without us.
func (cw *corsWriter) ReadFrom(r io.Reader) (int64, error) {
	cw.finalize()
	return cw.ResponseWriterWrapper.ReadFrom(r)
}

// FlushError lets http.ResponseController flush a streaming response
// (reverse_proxy does) without sending the headers before they are settled.
func (cw *corsWriter) FlushError() error {
	cw.finalize()
	return http.NewResponseController(cw.ResponseWriter).Flush()
}

// Flush implements http.Flusher for handlers that assert it directly.
func (cw *corsWriter) Flush() {
	_ = cw.FlushError()
}
