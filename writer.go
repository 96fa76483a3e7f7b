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
type corsWriter struct {
	caddyhttp.ResponseWriterWrapper
	h       *Handler
	r       *http.Request
	out     decided
	pending *pending // a decision that awaits a permission answer, or nil
	done    bool
}

// pending is an actual request's decision whose origin awaits a
// permission lookup running beside the next handler: the headers wait
// for its answer, the body does not.
type pending struct {
	d      decision.Decision
	answer <-chan bool
}

// writers are reused across requests. The rule that makes it safe: a
// writer goes back only after next.ServeHTTP has returned and the headers
// are settled, and net/http forbids using a ResponseWriter after its
// ServeHTTP returns (a hijacked connection is used through its net.Conn,
// not the writer; a handler that panics never gives its writer back).
// Nothing that goes out with the response lives in the writer: the values
// are in decided's own array, because net/http may serialize the header
// map after ServeHTTP has returned.
var writers = sync.Pool{New: func() any { return new(corsWriter) }}

// serveNext calls next through a pooled writer that settles out's
// headers (or p's, once answered), and gives the writer back.
func (h *Handler) serveNext(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, out decided, p *pending) error {
	cw := writers.Get().(*corsWriter)
	cw.ResponseWriter, cw.h, cw.r, cw.out, cw.pending = w, h, r, out, p
	err := next.ServeHTTP(cw, r)
	cw.finalize()
	*cw = corsWriter{}
	writers.Put(cw)
	return err
}

// finalize settles the headers, once: it waits for a permission answer
// still to come and records the decision it completes, then writes the
// decided headers.
func (cw *corsWriter) finalize() {
	if cw.done {
		return
	}
	cw.done = true
	if p := cw.pending; p != nil {
		cw.h.policy.completeActual(&p.d, <-p.answer)
		cw.h.record(cw.r, &p.d)
		cw.out = decide(&p.d)
	}
	cw.out.writeTo(cw.ResponseWriter.Header())
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
