// Package decision is the cors handler's decision about one request as a
// value: what kind of request it is, whether it is allowed and why not,
// and the CORS response headers that follow. The handler writes its
// responses, logs and metrics from it; `caddy cors check` and report-only
// read it instead of re-deriving it from header strings.
package decision

// Kind is what a request is to the CORS protocol, seen from the server.
type Kind uint8

const (
	// NoOrigin: a request without Origin, not a CORS request.
	NoOrigin Kind = iota + 1
	// SameOrigin: the Origin is the request's own origin (scheme, host
	// and port), so the browser needs no CORS headers (Fetch, "main
	// fetch": same-origin requests are not CORS requests).
	SameOrigin
	// Actual: a cross-origin request other than a preflight.
	Actual
	// Preflight: a CORS-preflight request, OPTIONS with Origin and
	// Access-Control-Request-Method.
	Preflight
)

func (k Kind) String() string {
	switch k {
	case NoOrigin:
		return "no_origin"
	case SameOrigin:
		return "same_origin"
	case Actual:
		return "actual"
	case Preflight:
		return "preflight"
	}
	return "unknown"
}

// Reason says why a request is not allowed; Allowed when it is.
type Reason uint8

const (
	Allowed Reason = iota
	// OriginNotAllowed: the Origin is not allowed, or the request has
	// more than one Origin line (which is no origin at all).
	OriginNotAllowed
	// MethodNotAllowed: the preflight's Access-Control-Request-Method is
	// not allowed (Value), or not one line.
	MethodNotAllowed
	// HeaderNotAllowed: a name in Access-Control-Request-Headers is not
	// allowed (Value), or the list as a whole is refused (Value "": too
	// long or malformed).
	HeaderNotAllowed
)

// Decision is the cors handler's decision about one request.
type Decision struct {
	Kind   Kind
	Reason Reason
	// Origin is the request's Origin value ("" without one; the first
	// line when there are several).
	Origin string
	// Origins is the number of Origin lines of the request.
	Origins int
	// Value is what was refused: the method with MethodNotAllowed, the
	// header name with HeaderNotAllowed ("" when the whole list was).
	Value string

	// The CORS response headers the decision implies, "" (nil for ACAH)
	// when the header is not sent. Values may be the request's own
	// strings; whoever writes them into a response gives the response
	// its own slices.
	ACAO, ACAC, ACEH, ACAM, ACMA, ACAPN string
	ACAH                                []string // echoed Access-Control-Request-Headers lines
	// ExposeFromResponse: ACEH lists the names of the response's own
	// headers (expose_headers * with credentials), known only when the
	// response is written.
	ExposeFromResponse bool
	// Vary lists the request headers the response varies on, to merge
	// into the response's Vary.
	Vary string
}

// Allowed reports whether the request may proceed as the browser asked:
// a preflight passes, an actual response is readable (a same-origin or
// no-Origin request needs nothing and is allowed).
func (d *Decision) Allowed() bool { return d.Reason == Allowed }

// Counter names the metric that counts the decision, as in
// caddy_cors_<counter>_total: "preflights" or "requests".
func (d *Decision) Counter() string {
	if d.Kind == Preflight {
		return "preflights"
	}
	return "requests"
}

// Result is the metric's result label for the decision.
func (d *Decision) Result() string {
	switch d.Kind {
	case NoOrigin, SameOrigin:
		return d.Kind.String()
	case Actual:
		if d.Reason == Allowed {
			return "allowed"
		}
		return "not_allowed"
	}
	switch d.Reason {
	case OriginNotAllowed:
		return "denied_origin"
	case MethodNotAllowed:
		return "denied_method"
	case HeaderNotAllowed:
		return "denied_header"
	}
	return "allowed"
}

// Message is the decision in a sentence, as the handler logs a denial.
func (d *Decision) Message() string {
	switch {
	case d.Kind == Actual && d.Reason == OriginNotAllowed:
		return "origin not allowed; response sent without CORS headers"
	case d.Kind == Preflight && d.Reason == OriginNotAllowed:
		return "preflight denied: origin not allowed"
	case d.Reason == MethodNotAllowed:
		return "preflight denied: method not allowed"
	case d.Reason == HeaderNotAllowed:
		return "preflight denied: header not allowed"
	}
	return d.Kind.String() + ": " + d.Result()
}
