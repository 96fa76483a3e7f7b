package cors

import (
	"io"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// corsWriter makes the decided CORS headers the ones that go out, however
// the response is produced. It writes them into the header map at the last
// moment (WriteHeader, the first Write, ReadFrom or Flush), after a backend
// behind reverse_proxy or another handler had its say, so their values are
// replaced rather than duplicated. When the next handler writes nothing,
// serve writes them on the way out, where Caddy writes its error responses
// (basic_auth's 401, reverse_proxy's 502) with the same header map.
//
// One corsWriter is the one allocation of an actual request: it carries the
// per-request backing array of the header values too.
type corsWriter struct {
	caddyhttp.ResponseWriterWrapper
	headers            actualHeaders
	preflight          *passthroughPreflight // instead of headers, with passthrough_preflight
	exposeFromResponse bool
	done               bool
}

func newCORSWriter(w http.ResponseWriter) *corsWriter {
	return &corsWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
}

// serve calls next with the writer and settles the headers if next wrote
// nothing.
func (cw *corsWriter) serve(r *http.Request, next caddyhttp.Handler) error {
	err := next.ServeHTTP(cw, r)
	cw.finalize()
	return err
}

func (cw *corsWriter) finalize() {
	if !cw.done {
		cw.done = true
		if cw.preflight != nil {
			cw.preflight.writeTo(cw.ResponseWriter.Header())
			return
		}
		cw.headers.writeTo(cw.ResponseWriter.Header(), cw.exposeFromResponse)
	}
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
