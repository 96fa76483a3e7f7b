package cors

import (
	"net/http"
	"strings"

	"github.com/corsedge/caddy-cors/internal/decision"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// The judgment of report_only: for one cross-origin request, what the
// browser concludes from the response as it was sent, and what it would
// conclude from the headers this handler would have sent, by the Fetch
// standard's CORS check and CORS-preflight check as internal/fetch
// implements them for `caddy cors check` (one implementation of the
// browser's rules). The server cannot see a request's credentials mode,
// so both are judged: omitted and included.

// outcome is what enforcing would change about a request, as the
// browser sees it.
type outcome uint8

const (
	same               outcome = iota // nothing a script could notice
	wouldBlock                        // the response as sent passes, the module's would fail: enforcing breaks this caller
	wouldAllow                        // the reverse: enforcing lets in a caller the response refuses
	wouldHideHeaders                  // both pass; the script could read fewer response headers under the module's ACEH
	wouldExposeHeaders                // both pass; the script could read more
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"same", "would_block", "would_allow", "would_hide_headers", "would_expose_headers"}

func (o outcome) String() string { return outcomeNames[o] }

// rank orders outcomes by what matters most when the two credentials
// modes differ: a broken caller, then a widened policy, then headers
// hidden, then headers exposed.
var rank = [numOutcomes]uint8{same: 0, wouldExposeHeaders: 1, wouldHideHeaders: 2, wouldAllow: 3, wouldBlock: 4}

// differs names what differs between the two responses, the reason of
// an outcome other than same.
type differs uint8

const (
	differsNothing       differs = iota
	differsOrigin                // the Origin is allowed by one and not the other (the value is the origin)
	differsMethod                // the preflight's method (the value)
	differsHeader                // a requested header name (the value; "" when the list as a whole is refused)
	differsCredentials           // credentials: Access-Control-Allow-Credentials, or "*" with credentials
	differsExposedHeader         // a response header name a script can read under one ACEH and not the other
	differsStatus                // the preflight response's status: not ok, or a redirect
	numDiffers
)

var differsNames = [numDiffers]string{"", "origin", "method", "header", "credentials", "exposed_header", "status"}

func (r differs) String() string { return differsNames[r] }

// The credentials modes judged, as indexes.
const (
	omit = iota
	include
	numModes
)

// judgment is report_only's conclusion about one request.
type judgment struct {
	outcome outcome
	reason  differs
	value   string // what differs: origin, method, header name or exposed header name
	status  int    // with differsStatus: the status of the response that fails
	modes   uint8  // bit 1<<omit, 1<<include: the credentials modes in which outcome shows
}

// seen is what the judgment reads of the response as sent, taken as it
// starts: its status, the browser's verdict on it in each mode, and, for
// an actual request, the response header names a script could read only
// under the response's own ACEH (hidden) or only under the module's
// (exposed), assuming the module allows the request: the smallest such
// name, so that the same difference is always reported by the same name.
type seen struct {
	status          int
	sent            [numModes]fetch.Failure
	hidden, exposed [numModes]string
}

// wouldBe is the header map of the response this module would have sent,
// built for the judgment and reused: the map and the array behind its
// values belong to one reportWriter, are filled by moduleVerdicts,
// read by internal/fetch during that call only, and cleared before it
// returns, so no request's values stay in a pooled writer.
type wouldBe struct {
	h    http.Header
	vals [3]string
}

func newWouldBe() wouldBe { return wouldBe{h: make(http.Header, 4)} }

func (wb *wouldBe) set(name, value string, i int) {
	if value != "" {
		wb.vals[i] = value
		wb.h[name] = wb.vals[i : i+1 : i+1]
	}
}

// seeResponse reads the response as it starts with status and header h.
func (rw *reportWriter) seeResponse(status int, h http.Header) {
	d, s := &rw.d, &rw.seen
	s.status = status
	s.sent = rw.verdicts(fetch.Response{Status: status, Header: h})
	if d.Kind == decision.Actual && (s.sent[omit].Kind == 0 || s.sent[include].Kind == 0) {
		rw.compareExposed(h)
	}
}

// compareExposed fills seen's hidden and exposed names: each response
// header name (as sent, but the CORS ones, which the module replaces)
// that a script could read under one of the two ACEH values and not under
// the other, in each mode in which the response as sent passes. The
// module's ACEH is the policy's (the request's decision may still await
// a permission answer; it matters only if the module allows the request,
// and then the ACEH is this one), or with expose_headers * and
// credentials every name of the response.
func (rw *reportWriter) compareExposed(h http.Header) {
	p, s := rw.h.policy, &rw.seen
	sent := h[hdrACEH] // canonical, as fetch reads it
	fromResponse := p.exposeFromResponse
	if !fromResponse && sameList(sent, p.aceh) {
		return // the same list exposes the same names
	}
	var module []string
	if p.aceh != "" {
		rw.exposeLine[0] = p.aceh
		module = rw.exposeLine[:]
	}
	for name := range h {
		if isCORSName(name) || !fetch.IsToken(name) {
			continue
		}
		for m := range numModes {
			if s.sent[m].Kind != 0 {
				continue
			}
			bySent := fetch.Exposed(sent, name, m == include)
			byModule := fromResponse && !fetch.IsForbiddenResponseHeaderName(name) || fetch.Exposed(module, name, m == include)
			switch {
			case bySent && !byModule && (s.hidden[m] == "" || name < s.hidden[m]):
				s.hidden[m] = name
			case byModule && !bySent && (s.exposed[m] == "" || name < s.exposed[m]):
				s.exposed[m] = name
			}
		}
	}
}

// sameList reports whether the ACEH field lines sent are exactly the one
// value v ("" and no lines alike).
func sameList(sent []string, v string) bool {
	switch len(sent) {
	case 0:
		return v == ""
	case 1:
		return sent[0] == v
	}
	return false
}

// isCORSName reports whether name is an Access-Control-* name, in any case.
func isCORSName(name string) bool {
	return len(name) > len(corsPrefix) && strings.EqualFold(name[:len(corsPrefix)], corsPrefix)
}

// judge compares, in each credentials mode, the browser's verdict on the
// response as sent with its verdict on the module's, and returns the
// outcome that matters most (rank) with its reason in the first mode
// where it shows.
func (rw *reportWriter) judge() judgment {
	d, s := &rw.d, &rw.seen
	module := rw.moduleVerdicts()
	var per [numModes]judgment
	for m := range numModes {
		sentOK, moduleOK := s.sent[m].Kind == 0, module[m].Kind == 0
		j := &per[m]
		switch {
		case sentOK && !moduleOK:
			j.outcome = wouldBlock
			if d.Allowed() {
				j.reason, j.value, j.status = rw.failureReason(module[m])
			} else {
				j.reason, j.value = denialReason(d)
			}
		case !sentOK && moduleOK:
			j.outcome = wouldAllow
			j.reason, j.value, j.status = rw.failureReason(s.sent[m])
		case sentOK && s.hidden[m] != "":
			j.outcome, j.reason, j.value = wouldHideHeaders, differsExposedHeader, s.hidden[m]
		case sentOK && s.exposed[m] != "":
			j.outcome, j.reason, j.value = wouldExposeHeaders, differsExposedHeader, s.exposed[m]
		}
	}
	j := per[omit]
	if rank[per[include].outcome] > rank[j.outcome] {
		j = per[include]
	}
	for m := range numModes {
		if per[m].outcome == j.outcome {
			j.modes |= 1 << m
		}
	}
	return j
}

// moduleVerdicts is the browser's verdict, in each mode, on the response
// this module would have sent: for an actual request the response as sent
// with the decided CORS headers instead of its own (only ACAO and ACAC
// matter to the CORS check); for a preflight the module's own answer
// (preflight_status, or 403 without CORS headers when denied), or with
// passthrough_preflight the next handler's status with the decided
// headers.
func (rw *reportWriter) moduleVerdicts() [numModes]fetch.Failure {
	d, wb := &rw.d, &rw.would
	wb.set(hdrACAO, d.ACAO, 0)
	wb.set(hdrACAC, d.ACAC, 1)
	resp := fetch.Response{Status: rw.seen.status, Header: wb.h}
	if d.Kind == decision.Preflight {
		wb.set(hdrACAM, d.ACAM, 2)
		if len(d.ACAH) > 0 {
			wb.h[hdrACAH] = d.ACAH // the request's own lines, only read here
		}
		if !rw.h.policy.passthrough {
			resp.Status = http.StatusForbidden
			if d.Allowed() {
				resp.Status = rw.h.policy.preflightStatus
			}
		}
	}
	v := rw.verdicts(resp)
	clear(wb.h)
	wb.vals = [3]string{}
	return v
}

// verdicts is the browser's verdict on resp in each credentials mode:
// the CORS-preflight check for a preflight, the CORS check otherwise.
func (rw *reportWriter) verdicts(resp fetch.Response) [numModes]fetch.Failure {
	d := &rw.d
	if d.Kind == decision.Preflight {
		return fetch.PreflightVerdicts(resp, d.Origin, rw.method, rw.names[:rw.numNames])
	}
	return fetch.CORSVerdicts(resp, d.Origin, false)
}

// denialReason is the reason of a request the module denies, from its
// decision: what it refused, rather than what the browser would make of
// the 403 (always a missing Access-Control-Allow-Origin).
func denialReason(d *decision.Decision) (differs, string) {
	switch d.Reason {
	case decision.MethodNotAllowed:
		return differsMethod, d.Value
	case decision.HeaderNotAllowed:
		if d.Value == "" {
			return differsHeader, "Access-Control-Request-Headers too long or malformed"
		}
		return differsHeader, d.Value
	}
	return differsOrigin, d.Origin
}

// failureReason is the reason of a browser's failure f: the class of
// failure, with the value it concerns.
func (rw *reportWriter) failureReason(f fetch.Failure) (differs, string, int) {
	switch f.Kind.Class() {
	case "credentials":
		return differsCredentials, "", 0
	case "method":
		return differsMethod, rw.method, 0
	case "header":
		return differsHeader, f.Value, 0
	case "status", "redirect":
		return differsStatus, "", rw.seen.status
	}
	return differsOrigin, rw.d.Origin, 0
}
