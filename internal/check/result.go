package check

import (
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// Verdicts.
const (
	Allowed = "allowed"
	Blocked = "blocked"
)

// Result is what a check found: the requests the browser would send, what
// came back, and what the browser concludes.
type Result struct {
	URL         string `json:"url"`
	Origin      string `json:"origin"`
	Method      string `json:"method"`
	Credentials bool   `json:"credentials"`
	Browser     string `json:"browser"`          // the engine whose rules and words the check follows
	Server      string `json:"server,omitempty"` // the HTTP app's server that took the connection
	Listen      string `json:"listen,omitempty"` // its listen address that matched

	Preflighted   bool       `json:"preflighted"`    // the browser sends a preflight first
	PreflightOnly bool       `json:"preflight_only"` // the actual request was not sent
	Exchanges     []Exchange `json:"exchanges"`

	Verdict string  `json:"verdict"`          // "allowed" or "blocked"
	Reason  *Reason `json:"reason,omitempty"` // why blocked, as the engine says it

	// Why a cors handler refused this request: the origin, method or
	// header, named, in the words of its debug log line. The line to act
	// on.
	CORSDenials []Denial `json:"cors_denials,omitempty"`
	// Problems seen in the responses or the config, with how to fix them.
	Diagnoses []string `json:"diagnoses,omitempty"`
	// Things the check did that a user should know (dropped headers,
	// config warnings, caveats).
	Notes []string `json:"notes,omitempty"`

	engine fetch.Engine
}

// Exchange is one request the browser sends and the response it gets.
type Exchange struct {
	Kind            string       `json:"kind"` // "preflight" or "actual"
	Method          string       `json:"method"`
	URL             string       `json:"url"`
	RequestHeaders  []HeaderLine `json:"request_headers"`
	Status          int          `json:"status"`
	ResponseHeaders []HeaderLine `json:"response_headers"` // the CORS-relevant ones: Access-Control-*, Vary, Location
	CORSDenials     []Denial     `json:"cors_denials,omitempty"`
	// What each cors handler that ran decided, as its metrics count it
	// ("preflights/allowed", "requests/not_allowed", ...), sorted; empty
	// when no cors handler saw the request.
	CORSHandled []string `json:"cors_handled,omitempty"`
}

// HeaderLine is one header field line.
type HeaderLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Reason is a browser's refusal.
type Reason struct {
	Kind      string `json:"kind"`      // fetch.Kind's name, e.g. "header_not_allowed"
	Class     string `json:"class"`     // origin, credentials, status, redirect, method or header
	Preflight bool   `json:"preflight"` // the preflight failed, so the actual request was never sent
	// Message is the engine's words for the failure: Chromium's after
	// "blocked by CORS policy: ", Firefox's "(Reason: ...)"; "" for
	// WebKit, whose words the check does not know.
	Message string `json:"message"`
	// Console is the engine's console line ("" for WebKit), and
	// ConsoleMore the lines Firefox logs after it for a failed preflight.
	Console     string   `json:"console"`
	ConsoleMore []string `json:"console_more,omitempty"`

	failure *fetch.Failure
}

// Failure is the browser-side failure behind the reason.
func (r *Reason) Failure() *fetch.Failure { return r.failure }

// ConsoleLines are the engine's console lines about the failure, in
// order; none for WebKit.
func (r *Reason) ConsoleLines() []string {
	if r.Console == "" {
		return nil
	}
	return append([]string{r.Console}, r.ConsoleMore...)
}

func newReason(e fetch.Engine, f *fetch.Failure, url, redirectedFrom, origin string) *Reason {
	r := &Reason{Kind: f.Kind.String(), Class: f.Kind.Class(), Preflight: f.Preflight, failure: f}
	switch e {
	case fetch.Chromium:
		r.Message = f.Message()
		r.Console = f.Console(url, redirectedFrom, origin)
	case fetch.Firefox:
		r.Message = f.FirefoxReason()
		if lines := f.FirefoxConsole(url); len(lines) > 0 {
			r.Console, r.ConsoleMore = lines[0], lines[1:]
		}
	}
	return r
}
