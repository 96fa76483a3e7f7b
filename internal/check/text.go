package check

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the result for a person: each request and the
// CORS-relevant part of its response, then the verdict with Chromium's
// words and the cors handler's own reason.
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
		fmt.Fprintf(&b, "verdict: blocked\nChromium: %s\n", r.Reason.Console)
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
