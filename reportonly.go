package cors

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/corsedge/caddy-cors/internal/decision"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// report_only, the way CSP's Content-Security-Policy-Report-Only works:
// the same policy, decided and judged, never enforced. This file is the
// request path: a writer that sees the response go out without touching
// it. reportjudge.go is the judgment, reportlog.go and reportmetrics.go
// what is done with it.

// compileReportOnly adds what report_only needs to know at load time.
func (p *policy) compileReportOnly() {
	if !p.reportOnly {
		return
	}
	p.notes = append(p.notes, "report_only: this handler changes no response; what enforcing would change is counted in caddy_cors_report_only_total and logged at warn (would_block, would_hide_headers) and info (would_allow, would_expose_headers)")
}

// serveReportOnly serves a request decided in d (or whose origin awaits
// answer) without changing anything: the next handler gets the request
// and the client's own writer behind a reportWriter, which only reads
// the response as it starts. Requests without Origin and same-origin
// requests are not CORS requests: the browser checks nothing, so there is
// nothing to judge, and they go to next with no writer at all.
func (h *Handler) serveReportOnly(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, d *decision.Decision, answer <-chan bool) error {
	if d.Kind != decision.Actual && d.Kind != decision.Preflight {
		return next.ServeHTTP(w, r)
	}
	rw := reportWriters.Get().(*reportWriter)
	rw.start(w, h, r, d, answer)
	err := next.ServeHTTP(rw, r)
	if rw.state == responseOpen {
		// Nothing written: net/http sends 200, or Caddy writes err's
		// status with this header map.
		rw.see(statusOf(err))
	}
	rw.ResponseWriter = nil
	if rw.answer != nil && !rw.answered(r) {
		// The permission lookup is still out. The response must not wait
		// for it, as it does when enforcing: the judgment finishes beside,
		// from a copy, and the writer goes back now.
		late := &lateJudgment{h: h, d: rw.d, seen: rw.seen, state: rw.state, method: rw.method, reqMethod: rw.reqMethod, uri: rw.uri, host: rw.host}
		rw.release()
		go late.finish()
		return err
	}
	rw.finish()
	return err
}

// statusOf is the status Caddy sends for a handler that wrote nothing and
// returned err (when no handle_errors route writes another response).
func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var he caddyhttp.HandlerError
	if errors.As(err, &he) && he.StatusCode != 0 {
		return he.StatusCode
	}
	return http.StatusInternalServerError
}

// The states of a reportWriter's response.
const (
	responseOpen    = iota // not started yet
	responseSeen           // started: seen holds what the judgment needs of it
	responseSkipped        // not a response the browser CORS-checks (101 Switching Protocols)
)

// reportWriter passes everything through to the client's writer and, when
// the response starts, reads what the judgment needs of it (see), so
// that later edits of the header map, which do not go out, do not count.
// It holds nothing of the request that the judgment still needs after
// ServeHTTP returns but strings, which are immutable, so the judgment can
// finish beside the response when a permission answer is late.
type reportWriter struct {
	reportRequest
	names [maxACRHNames]string // the preflight's Access-Control-Request-Headers names, the first numNames
	would wouldBe
}

// reportRequest is a reportWriter's state for one request, reset as a whole
// when the writer goes back (names and would are cleared apart: the
// first as far as it was filled, the second by its user).
type reportRequest struct {
	caddyhttp.ResponseWriterWrapper
	h      *Handler
	d      decision.Decision
	answer <-chan bool // a permission lookup's answer still to come, or nil

	// The request as the judgment and the log line need it.
	method     string // the preflight's Access-Control-Request-Method, or the request's method
	reqMethod  string
	uri, host  string
	numNames   int
	state      uint8
	seen       seen
	exposeLine [1]string // the policy's ACEH as a field line, for fetch.Exposed
}

// reportWriters are reused across requests. The rule that makes it safe
// is corsWriter's: a writer goes back only once the judgment is done,
// after next.ServeHTTP has returned, and keeps no reference to the
// request or the client's writer past that (strings aside). A writer
// whose judgment waits for a late permission answer goes back from the
// goroutine that finishes it.
var reportWriters = sync.Pool{New: func() any { return &reportWriter{would: newWouldBe()} }}

// start sets rw up for r, decided in d.
func (rw *reportWriter) start(w http.ResponseWriter, h *Handler, r *http.Request, d *decision.Decision, answer <-chan bool) {
	rw.ResponseWriter, rw.h, rw.d, rw.answer = w, h, *d, answer
	rw.reqMethod, rw.uri, rw.host = r.Method, r.RequestURI, r.Host
	rw.method = r.Method
	if d.Kind == decision.Preflight {
		rw.method = ""
		if acrm := r.Header[hdrACRM]; len(acrm) > 0 {
			rw.method = acrm[0]
		}
		rw.numNames = requestedNames(r.Header[hdrACRH], &rw.names)
	}
}

// answered completes an actual request's decision when the permission
// answer is already there. A "no" while the request's context is done
// may only mean that the lookup gave up with the client, so it does not
// count: the answer is asked again, off the request path.
func (rw *reportWriter) answered(r *http.Request) bool {
	select {
	case allowed := <-rw.answer:
		if allowed || r.Context().Err() == nil {
			rw.h.policy.completeActual(&rw.d, allowed)
			return true
		}
	default:
	}
	return false
}

// lateJudgment is what the judgment of an actual request needs once the
// request has been served, while its permission answer is still to come.
type lateJudgment struct {
	h                            *Handler
	d                            decision.Decision
	seen                         seen
	state                        uint8
	method, reqMethod, uri, host string
}

// finish waits for the permission answer and judges the request then. The
// request's context ended with ServeHTTP, so the module is asked again
// under a context of its own: it joins the lookup in flight (or reads its
// cached answer) and bounds the wait by its timeout, so this goroutine
// always ends.
func (l *lateJudgment) finish() {
	allowed := l.h.policy.permission.Allowed(context.Background(), l.d.Origin, l.host)
	l.h.policy.completeActual(&l.d, allowed)
	rw := reportWriters.Get().(*reportWriter)
	rw.h, rw.d, rw.seen, rw.state = l.h, l.d, l.seen, l.state
	rw.method, rw.reqMethod, rw.uri, rw.host = l.method, l.reqMethod, l.uri, l.host
	rw.finish()
}

// finish judges the request, records the judgment, and gives rw back.
func (rw *reportWriter) finish() {
	if rw.state == responseSeen {
		rw.h.report.record(rw, rw.judge())
	}
	rw.release()
}

// release gives rw back, holding nothing of its request.
func (rw *reportWriter) release() {
	clear(rw.names[:rw.numNames])
	rw.reportRequest = reportRequest{}
	reportWriters.Put(rw)
}

// WriteHeader implements http.ResponseWriter. Informational responses
// (103 Early Hints) are not final and pass by unseen.
func (rw *reportWriter) WriteHeader(status int) {
	if status < 100 || status > 199 || status == http.StatusSwitchingProtocols {
		rw.see(status)
	}
	rw.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (rw *reportWriter) Write(b []byte) (int, error) {
	rw.see(http.StatusOK)
	return rw.ResponseWriter.Write(b)
}

// ReadFrom implements io.ReaderFrom, which file_server and reverse_proxy
// use; the wrapped writer would otherwise start the response unseen.
func (rw *reportWriter) ReadFrom(r io.Reader) (int64, error) {
	rw.see(http.StatusOK)
	return rw.ResponseWriterWrapper.ReadFrom(r)
}

// FlushError lets http.ResponseController flush a streaming response
// (reverse_proxy does), seen first.
func (rw *reportWriter) FlushError() error {
	rw.see(http.StatusOK)
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

// Flush implements http.Flusher for handlers that assert it directly.
func (rw *reportWriter) Flush() {
	_ = rw.FlushError()
}

// see reads the response as it starts with status, once. A 101 (a
// WebSocket handshake, which a browser does not CORS-check) is not judged.
func (rw *reportWriter) see(status int) {
	if rw.state != responseOpen {
		return
	}
	if status == http.StatusSwitchingProtocols {
		rw.state = responseSkipped
		return
	}
	rw.state = responseSeen
	rw.seeResponse(status, rw.ResponseWriter.Header())
}

// requestedNames splits a preflight's Access-Control-Request-Headers
// lines into names, within the bounds in which the policy judges a list
// at all (acrh.go: a list past them is refused as a whole): the names
// before the first bound is reached are judged, so that a hostile list
// costs the judgment no more than it costs the policy. It does not
// allocate.
func requestedNames(lines []string, names *[maxACRHNames]string) int {
	n, empties, budget := 0, 0, maxACRHBytes
	for i, line := range lines {
		if i == maxACRHLines {
			break
		}
		if len(line) > budget {
			line = line[:budget]
		}
		budget -= len(line)
		for more := true; more; {
			var name string
			name, line, more = strings.Cut(line, ",")
			if name = fetch.TrimOWS(name); name == "" {
				if empties++; empties > maxACRHEmpty {
					return n
				}
				continue
			}
			if n == len(names) {
				return n
			}
			names[n] = name
			n++
		}
	}
	return n
}

// Interface guards
var (
	_ http.ResponseWriter = (*reportWriter)(nil)
	_ io.ReaderFrom       = (*reportWriter)(nil)
	_ http.Flusher        = (*reportWriter)(nil)
)
