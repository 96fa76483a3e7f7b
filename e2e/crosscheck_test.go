package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corsedge/caddy-cors/internal/check"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// The simulator held against the browsers: every fetch of the suite that
// one `caddy cors check` can express runs, after the engine has run it,
// through the check engine with the same config (suiteCaddyfile, loaded
// for checks beside the running Caddy), the page's origin as Origin and
// the request as the engine built it from fetch()'s arguments. The check
// must reach the engine's verdict (run with --browser of that engine),
// and for a refusal in Chromium and Firefox the same kind of failure in
// the same words as the engine's console lines. WebKit's console cannot
// be read over WebDriver classic, so there only the verdict (and the
// status an allowed fetch read) is held. WebKit runs each case at URLs of its own (ownURLs): the check
// gets those, whose query no route looks at.
//
// Sites that proxy to another site of the same config need no rule here:
// the suite's Caddy is running during the checks, so such a proxy reaches
// it (the suite has none).

// minCrossChecked is how many of the suite's fetches a full run must hold
// against the check in each engine, so that the cross-check cannot pass
// by checking nothing.
const minCrossChecked = 20

// observed is one fetch of a case as the engine ran it.
type observed struct {
	label   string // "fetch 2 of 3", for the report
	url     string
	req     check.Request
	v       verdict
	console []string // the engine's console lines about a refusal
	words   bool     // the engine reports console lines (Chromium, Firefox), so console must match
	skip    string   // why one check cannot express this fetch; "" when it can
}

// crossCoverage counts, per engine, what the cross-check held and why it
// left fetches out.
type crossCoverage struct {
	ran     int // cases run
	checked int
	skipped []skippedFetch
}

type skippedFetch struct{ why, where string }

// observe records fetch i of case c (its run-th run, of url) and what the
// engine made of it; for a refusal in an engine that reports console lines
// it reads the line now, before the next fetch.
func observe(tb tab, c browserCase, i, run int, f fetchCase, url string, v verdict) observed {
	o := observed{label: fmt.Sprintf("fetch %d of %d", i+1, len(c.fetches)), url: url, v: v}
	o.req, o.skip = checkRequest(f.page, url, f.sandboxed, v)
	if o.skip == "" {
		o.skip = notOneCheck(i, run, o.req)
	}
	if o.skip != "" || v.OK {
		return o
	}
	// Chromium logs nothing in the page's console when it refuses a
	// sandboxed frame's fetch: there the verdict is all there is to hold.
	if cc, ok := tb.(corsConsole); ok && !f.sandboxed {
		o.console, o.words = cc.corsMessages(url), true
	}
	return o
}

// notOneCheck is the rule for the fetches of a case that one check cannot
// express, given the request the engine built; "" when it can.
func notOneCheck(i, run int, req check.Request) string {
	switch {
	case run > 0:
		// The preflight-cache cases: the first run of the fetch starts
		// with the fresh context's empty preflight cache, as a check
		// does; the repeats may be answered from the entries it made.
		return "a repeat of the same fetch, which the engine's preflight cache may answer; a check starts with an empty cache"
	case i > 0 && req.Credentials:
		// A credentialed fetch sends the cookies the case's earlier
		// responses set (the cookie echo); a check sends no cookies.
		return "a credentialed fetch after others in the same context, which carries the cookies they set; a check sends none"
	}
	return ""
}

// checkRequest is the check of a fetch of url from page, as the engine
// built the request: the page's origin as Origin ("null" from a sandboxed
// frame), the Request's method, header list and credentials mode. The
// second result says why no check can express it, or is "".
func checkRequest(page, url string, sandboxed bool, v verdict) (check.Request, string) {
	req := check.Request{URL: url, Origin: strings.TrimSuffix(page, "/")}
	if sandboxed {
		// sandboxJS's fetch(url): a GET without headers or credentials.
		req.Origin = "null"
		return req, ""
	}
	r := v.Request
	switch {
	case r == nil:
		return req, "the engine described no request: new Request(url, init) threw"
	case r.Mode != "cors":
		return req, fmt.Sprintf("mode %q: a check is a fetch in mode cors", r.Mode)
	case r.Redirect != "follow":
		return req, fmt.Sprintf("redirect %q: a check follows redirects", r.Redirect)
	}
	req.Method = r.Method
	req.Credentials = r.Credentials == "include"
	for _, h := range r.Headers {
		req.Headers = append(req.Headers, fetch.Header{Name: h[0], Value: h[1]})
	}
	return req, ""
}

// crossCheck holds each fetch the check can express against the check,
// each in a subtest, and counts them in cov.
func crossCheck(t *testing.T, e engine, cfg *check.Config, c browserCase, seen []observed, cov *crossCoverage) {
	t.Helper()
	for _, o := range seen {
		if o.skip != "" {
			cov.skipped = append(cov.skipped, skippedFetch{o.skip, fmt.Sprintf("%q, %s", c.name, o.label)})
			continue
		}
		cov.checked++
		t.Run("cors check of "+o.label, func(t *testing.T) { holdCheck(t, e.name(), cfg, o) })
	}
}

// holdCheck runs the check of o with the engine's rules and fails unless
// it comes to the verdict the engine came to: for an allowed fetch the
// status the page read, for a refusal, when the engine gave its words,
// the same kind of failure in the same words.
func holdCheck(t *testing.T, engine string, cfg *check.Config, o observed) {
	t.Helper()
	eng, ok := fetch.ParseEngine(engine)
	if !ok {
		t.Fatalf("no check engine for %s", engine)
	}
	req := o.req
	req.Browser = eng
	res, err := cfg.Run(req)
	if err != nil {
		t.Fatalf("check of %s: %v", o.url, err)
	}
	var text strings.Builder
	res.WriteText(&text)
	if res.Browser != engine {
		t.Fatalf("check ran for %q, want %q", res.Browser, engine)
	}
	if o.v.OK != (res.Verdict == check.Allowed) {
		t.Fatalf("%s: ok=%v %s %q; check: %s\n%s", engine, o.v.OK, o.v.Error, o.console, res.Verdict, text.String())
	}
	if o.v.OK {
		// A same-origin fetch has no exchanges: CORS does not apply.
		if n := len(res.Exchanges); n > 0 && res.Exchanges[n-1].Status != o.v.Status {
			t.Fatalf("%s read status %d, the check's last response is %d\n%s", engine, o.v.Status, res.Exchanges[n-1].Status, text.String())
		}
		return
	}
	if !o.words {
		return
	}
	holdWords(t, engine, o.console, res)
}

// holdWords fails unless the engine's console lines about a refusal are
// the check's: the kind the first line tells, then every line, in order.
func holdWords(t *testing.T, engine string, console []string, res *check.Result) {
	t.Helper()
	want := res.Reason.ConsoleLines()
	if len(console) == 0 {
		t.Fatalf("%s logged no CORS message; check says %q", engine, want)
	}
	kindOf, checkKind := fetch.KindOfConsole, res.Reason.Failure().Kind
	if engine == "firefox" {
		kindOf, checkKind = fetch.KindOfFirefoxConsole, res.Reason.Failure().FirefoxKind()
	}
	kind, ok := kindOf(console[0])
	if !ok {
		t.Fatalf("%s logged no CORS message we know (%q); check says %q", engine, console, want)
	}
	if kind != checkKind {
		t.Fatalf("%s: %q (%v)\ncheck: %q (%v)", engine, console, kind, want, checkKind)
	}
	if strings.Join(console, "\n") != strings.Join(want, "\n") {
		t.Errorf("same kind (%v), different words:\n%s:\n\t%s\ncheck:\n\t%s", kind, engine,
			strings.Join(console, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// assert fails a full, otherwise green run of the suite in e unless every
// fetch was either held against the check or skipped by the rule above,
// and at least minCrossChecked were held; it logs the skipped ones.
func (cov *crossCoverage) assert(t *testing.T, e engine) {
	t.Helper()
	if t.Failed() {
		return
	}
	if cov.ran < len(browserCases) {
		t.Logf("cross-check: %d of %d cases ran, so its coverage is not asserted", cov.ran, len(browserCases))
		return
	}
	fetches := 0
	for _, c := range browserCases {
		for _, f := range c.fetches {
			fetches += max(f.times, 1)
		}
	}
	cov.logSkipped(t)
	t.Logf("cross-check: %d of the suite's %d fetches held against caddy cors check in %s, %d skipped", cov.checked, fetches, e.name(), len(cov.skipped))
	if cov.checked+len(cov.skipped) != fetches {
		t.Errorf("cross-check: %d held and %d skipped, but the suite has %d fetches", cov.checked, len(cov.skipped), fetches)
	}
	if cov.checked < minCrossChecked {
		t.Errorf("cross-check: only %d fetches held against the check in %s, want at least %d", cov.checked, e.name(), minCrossChecked)
	}
}

// logSkipped logs the skipped fetches by reason; a fetch skipped in
// several runs is one line with the count.
func (cov *crossCoverage) logSkipped(t *testing.T) {
	t.Helper()
	type line struct {
		where string
		runs  int
	}
	var whys []string
	by := map[string][]line{}
	for _, s := range cov.skipped {
		lines, seen := by[s.why]
		if !seen {
			whys = append(whys, s.why)
		}
		if n := len(lines); n > 0 && lines[n-1].where == s.where {
			lines[n-1].runs++
		} else {
			lines = append(lines, line{s.where, 1})
		}
		by[s.why] = lines
	}
	for _, why := range whys {
		var text strings.Builder
		n := 0
		for _, l := range by[why] {
			n += l.runs
			text.WriteString("\n\t" + l.where)
			if l.runs > 1 {
				fmt.Fprintf(&text, " (%d runs)", l.runs)
			}
		}
		t.Logf("cross-check skipped %d fetches, %s:%s", n, why, text.String())
	}
}
