package cors

import (
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// report_only's log lines. Anyone can send any Origin, so the lines are
// limited: one per (kind, outcome, origin, reason, value) a minute, and
// reportLinesPerSecond in all, with the number held back by the latter
// on the next line written. The bookkeeping is bounded: it remembers only
// keys logged within the last minute, at most 60 s x reportLinesPerSecond
// of them, each with at most reportMaxValue bytes of the request's values.
const (
	reportLinesPerSecond = 10
	reportRepeatAfter    = time.Minute
	reportMaxKeys        = 2 * 60 * reportLinesPerSecond // room for a minute's keys twice over, so a sweep frees half
	reportMaxValue       = 128                           // bytes of an origin or a name kept in a key or a line
	maxLoggedURI         = 1024                          // bytes of the URI a line quotes
)

// reportMessages are the log messages, by outcome.
var reportMessages = [numOutcomes]string{
	wouldBlock:         "report_only: enforcing would block this request",
	wouldAllow:         "report_only: enforcing would let in a request the response refuses",
	wouldHideHeaders:   "report_only: enforcing would hide response headers from the script",
	wouldExposeHeaders: "report_only: enforcing would expose more response headers to the script",
}

// reportKey is what makes two lines the same line.
type reportKey struct {
	kind          decision.Kind
	outcome       outcome
	reason        differs
	origin, value string // truncated to reportMaxValue
}

// reportLog decides which lines are written.
type reportLog struct {
	now      func() time.Time // time.Now, or a test's clock
	mu       sync.Mutex
	last     map[reportKey]int64 // when each key was last logged, in Unix nanoseconds
	second   int64               // the second that lines counts lines of
	lines    int
	heldBack int // lines held back by the rate since the last line written
}

func newReportLog() *reportLog {
	return &reportLog{now: time.Now, last: make(map[reportKey]int64)}
}

// admit reports whether the line of k may be written now, and how many
// lines the rate held back before it.
func (l *reportLog) admit(k reportKey) (ok bool, heldBack int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UnixNano() // under the lock, so that the windows only move forward
	if t, seen := l.last[k]; seen && now-t < int64(reportRepeatAfter) {
		return false, 0 // the same line within a minute: the metric counts it
	}
	if s := now / int64(time.Second); s > l.second {
		l.second, l.lines = s, 0
	}
	if l.lines >= reportLinesPerSecond {
		l.heldBack++
		return false, 0
	}
	if len(l.last) >= reportMaxKeys {
		l.sweep(now)
	}
	l.lines++
	k.origin, k.value = strings.Clone(k.origin), strings.Clone(k.value) // not the request's memory
	l.last[k] = now
	heldBack, l.heldBack = l.heldBack, 0
	return true, heldBack
}

// sweep forgets the keys last logged a minute ago or more. The rate
// admits at most 60 x reportLinesPerSecond keys (plus a second's) within
// a minute, so at reportMaxKeys a sweep frees about half: the map stays
// bounded and sweeps are rare.
func (l *reportLog) sweep(now int64) {
	for k, t := range l.last {
		if now-t >= int64(reportRepeatAfter) {
			delete(l.last, k)
		}
	}
}

// size is the number of keys remembered (for tests).
func (l *reportLog) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.last)
}

// logReport writes the line of judgment j about rw's request, within the
// log's limits: warn when enforcing would break something
// (would_block, would_hide_headers), info when it would widen the policy.
func (h *Handler) logReport(rw *reportWriter, j judgment) {
	level := zapcore.InfoLevel
	if j.outcome == wouldBlock || j.outcome == wouldHideHeaders {
		level = zapcore.WarnLevel
	}
	if !h.logger.Core().Enabled(level) {
		return
	}
	origin, value := clip(rw.d.Origin), clip(j.value)
	ok, heldBack := h.report.log.admit(reportKey{kind: rw.d.Kind, outcome: j.outcome, reason: j.reason, origin: origin, value: value})
	if !ok {
		return
	}
	c := h.logger.Check(level, reportMessages[j.outcome])
	if c == nil {
		return
	}
	fields := make([]zap.Field, 0, 10)
	fields = append(fields,
		zap.String("kind", rw.d.Kind.String()),
		zap.String("outcome", j.outcome.String()),
		zap.String("reason", j.reason.String()),
	)
	switch {
	case j.reason == differsStatus:
		fields = append(fields, zap.Int("status", j.status))
	case value != "":
		fields = append(fields, zap.String("value", value))
	}
	fields = append(fields,
		zap.String("credentials", modeNames[j.modes]),
		zap.String("origin", origin),
		zap.String("method", rw.reqMethod),
	)
	if rw.d.Kind == decision.Preflight {
		fields = append(fields, zap.String("requested_method", clip(rw.method)))
	}
	uri := rw.uri
	if len(uri) > maxLoggedURI {
		uri = uri[:maxLoggedURI]
	}
	fields = append(fields, zap.String("uri", uri))
	if heldBack > 0 {
		fields = append(fields, zap.Int("held_back", heldBack))
	}
	c.Write(fields...)
}

// modeNames names the credentials modes in which an outcome shows.
var modeNames = [4]string{1 << omit: "omit", 1 << include: "include", 1<<omit | 1<<include: "both"}

// clip bounds what a line or a key keeps of a value an attacker chose.
func clip(s string) string {
	if len(s) > reportMaxValue {
		return s[:reportMaxValue]
	}
	return s
}
