package check

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the result for a person: each request and the
// CORS-relevant part of its response, then the verdict with the engine's
// words (Chromium's by default) and the cors handler's own reason.
func (r *Result) WriteText(w io.Writer) {
	var b strings.Builder
	cred := ""
	if r.Credentials {
		cred = `, credentials: "include"`
	}
	fmt.Fprintf(&b, "fetch(%q, {method: %q%s}) from origin %s\n", r.URL, r.Method, cred, r.Origin)
	if r.Server != "" {
		fmt.Fprintf(&b, "served by server %q (listen %s)\n", r.Server, r.Listen)
	}
	for _, ex := range r.Exchanges {
		fmt.Fprintf(&b, "\n%s request:\n  > %s %s\n", ex.Kind, ex.Method, ex.URL)
		for _, h := range ex.RequestHeaders {
			fmt.Fprintf(&b, "  > %s: %s\n", h.Name, h.Value)
		}
		fmt.Fprintf(&b, "  < %d\n", ex.Status)
		if len(ex.ResponseHeaders) == 0 {
			b.WriteString("  < (no CORS headers)\n")
		}
		for _, h := range ex.ResponseHeaders {
			fmt.Fprintf(&b, "  < %s: %s\n", h.Name, h.Value)
		}
		for _, d := range ex.CORSDenials {
			fmt.Fprintf(&b, "  cors handler: %s\n", d)
		}
	}
	b.WriteString("\n")
	switch {
	case r.Verdict == Allowed:
		b.WriteString("verdict: allowed: the browser lets the page read the response\n")
	case r.Reason != nil:
		b.WriteString("verdict: blocked\n")
		r.writeWords(&b)
	}
	if r.Verdict == Blocked && len(r.CORSDenials) > 0 {
		fmt.Fprintf(&b, "why: the cors handler denied it: %s\n", r.CORSDenials[len(r.CORSDenials)-1])
	}
	for _, d := range r.Diagnoses {
		fmt.Fprintf(&b, "problem: %s\n", d)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	io.WriteString(w, b.String())
}

// writeWords prints the engine's console lines about the refusal, each
// after the engine's name; for WebKit, whose words the check does not
// know, the kind of failure instead.
func (r *Result) writeWords(b *strings.Builder) {
	lines := r.Reason.ConsoleLines()
	if len(lines) == 0 {
		fmt.Fprintf(b, "%s: fetch() rejects (TypeError: Load failed), for %s (%s)%s\n", r.engine.Title(), r.Reason.Kind, r.Reason.Class, noWords)
		return
	}
	for _, l := range lines {
		fmt.Fprintf(b, "%s: %s\n", r.engine.Title(), l)
	}
}

// noWords is why the check has no WebKit console line.
const noWords = "; WebKit's console words are not known to the check: WebDriver classic, which drives WebKit in the browser suite, gives no console access"
