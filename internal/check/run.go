package check

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/corsedge/caddy-cors/internal/decision"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// Request is a script's fetch(URL, {method, headers, credentials}) on a
// page of Origin.
type Request struct {
	URL           string
	Origin        string
	Method        string // as the script writes it; "" is GET
	Headers       []fetch.Header
	Credentials   bool // credentials: "include"
	PreflightOnly bool // send the preflight only, never the actual request
	// Browser is the engine whose rules and words the check follows
	// (Chromium by default).
	Browser fetch.Engine
}

// maxRedirects is the Fetch standard's redirect limit (HTTP-redirect
// fetch, step 5).
const maxRedirects = 20

// requestTimeout bounds one request through the handlers (a slow upstream).
const requestTimeout = 30 * time.Second

// Run checks req against the config: it sends the requests a browser
// would, through the server a connection to req.URL would reach, and
// applies the browser's checks to the responses. A *CouldNotRun error
// means there is no verdict.
func (c *Config) Run(req Request) (*Result, error) {
	u, origin, err := parseRequest(req)
	if err != nil {
		return nil, err
	}
	method := fetch.NormalizeMethod(cmp.Or(req.Method, "GET"))
	if !fetch.IsToken(method) {
		return nil, couldNotRun("method %q: not a method name", method)
	}
	if fetch.IsForbiddenMethod(method) {
		return nil, couldNotRun("method %s: fetch() refuses it (a forbidden method) before sending anything", method)
	}
	res := &Result{URL: u.String(), Origin: origin, Method: method, Credentials: req.Credentials, PreflightOnly: req.PreflightOnly,
		Browser: req.Browser.String(), engine: req.Browser}
	for _, w := range c.warnings {
		res.Notes = append(res.Notes, "config warning from http.handlers.cors: "+w)
	}
	var headers []fetch.Header
	for _, h := range req.Headers {
		if fetch.IsForbiddenRequestHeader(h.Name, h.Value) {
			res.Notes = append(res.Notes, fmt.Sprintf("header %s: a forbidden request header; fetch() drops it without an error, so it is not sent", h.Name))
			continue
		}
		headers = append(headers, h)
	}
	if serializeOrigin(u) == origin {
		res.Verdict = Allowed
		res.Notes = append(res.Notes, "same-origin request: CORS does not apply, the browser sends no preflight and reads the response")
		return res, nil
	}
	if err := c.follow(res, u, origin, method, headers, req); err != nil {
		return nil, err
	}
	diagnose(res, c.hasCORS)
	engineNotes(res, u, origin)
	return res, nil
}

// follow runs one fetch, preflight and actual request, and the redirects
// that the actual request's responses lead to.
func (c *Config) follow(res *Result, u *url.URL, origin, method string, headers []fetch.Header, req Request) error {
	first := u.String()
	for hop := 0; ; hop++ {
		tgt, err := c.pick(u)
		if err != nil {
			if hop > 0 {
				return couldNotRun("the response redirects to %s, which this config does not serve: %v", u, err)
			}
			return err
		}
		if hop == 0 {
			res.Server, res.Listen = tgt.name, tgt.listen
		}
		redirectedFrom := ""
		if hop > 0 {
			redirectedFrom = first
		}
		freq := fetch.Request{URL: u.String(), Origin: origin, Method: method, Headers: headers, Credentials: req.Credentials, Engine: req.Browser}
		// HTTP fetch: a preflight when the method or a header is not
		// CORS-safelisted (the preflight cache is empty in a check).
		if req.Browser.NeedsPreflight(method, headers) {
			res.Preflighted = true
			ex, resp := c.send(tgt, "preflight", http.MethodOptions, u, preflightHeaders(req.Browser, origin, method, headers))
			res.Exchanges = append(res.Exchanges, ex)
			if f := fetch.CheckPreflight(resp, freq); f != nil {
				res.block(f, u.String(), redirectedFrom, origin)
				return nil
			}
		} else if req.PreflightOnly && hop == 0 {
			return couldNotRun("this request needs no preflight (its method and headers are CORS-safelisted), so --preflight-only has nothing to send; drop it to check the actual request")
		}
		if req.PreflightOnly {
			res.Verdict = Allowed
			res.Notes = append(res.Notes, "--preflight-only: the preflight passes; the actual request was not sent, so its response (which must carry Access-Control-Allow-Origin too) is not checked")
			return nil
		}
		ex, resp := c.send(tgt, "actual", method, u, actualHeaders(origin, headers))
		res.Exchanges = append(res.Exchanges, ex)
		// HTTP fetch, step 4.4: a CORS check on every response of a
		// request whose response tainting is "cors", redirects included.
		if f := fetch.CheckCORS(resp, origin, req.Credentials, false); f != nil {
			res.block(f, u.String(), redirectedFrom, origin)
			return nil
		}
		loc := resp.Header.Get("Location")
		if !fetch.IsRedirect(resp.Status) || loc == "" {
			res.Verdict = Allowed
			return nil
		}
		// HTTP-redirect fetch.
		if hop+1 >= maxRedirects {
			return couldNotRun("more than %d redirects: the browser gives up with a network error", maxRedirects)
		}
		next, err := u.Parse(loc)
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			return couldNotRun("the response redirects to %q, which a browser cannot follow", loc)
		}
		if next.User != nil {
			return couldNotRun("the response redirects to %q, a URL with credentials, which a CORS request refuses", loc)
		}
		origin, method, headers = redirected(resp.Status, u, next, origin, method, headers)
		res.Notes = append(res.Notes, fmt.Sprintf("%d redirect to %s: the browser follows it", resp.Status, next))
		u = next
	}
}

// redirected is what HTTP-redirect fetch changes in the request that
// follows a redirect from u to next.
func redirected(status int, u, next *url.URL, origin, method string, headers []fetch.Header) (string, string, []fetch.Header) {
	// Step 11: a cross-origin redirect from a URL of another origin than
	// the page's taints the origin: it is sent as "null" from then on.
	if serializeOrigin(next) != serializeOrigin(u) && origin != serializeOrigin(u) {
		origin = "null"
	}
	// Step 12: 301 and 302 turn POST into GET, 303 any method but HEAD,
	// and the request-body headers go.
	if (status == 301 || status == 302) && method == "POST" || status == 303 && method != "HEAD" {
		method = "GET"
		headers = slices.DeleteFunc(slices.Clone(headers), func(h fetch.Header) bool {
			switch strings.ToLower(h.Name) {
			case "content-encoding", "content-language", "content-location", "content-type":
				return true
			}
			return false
		})
	}
	return origin, method, headers
}

func (res *Result) block(f *fetch.Failure, url, redirectedFrom, origin string) {
	res.Verdict = Blocked
	res.Reason = newReason(res.engine, f, url, redirectedFrom, origin)
}

// preflightHeaders are the headers of the CORS-preflight request (Fetch,
// CORS-preflight fetch, steps 1-4): Accept */*, ACRM, and ACRH when there
// are CORS-unsafe names; never credentials, never the script's headers.
func preflightHeaders(e fetch.Engine, origin, method string, headers []fetch.Header) http.Header {
	acrm, acrh := e.PreflightRequestHeaders(method, headers)
	h := http.Header{
		"Accept":                        {"*/*"},
		"Origin":                        {origin},
		"Access-Control-Request-Method": {acrm},
		"Sec-Fetch-Mode":                {"cors"},
	}
	if acrh != "" {
		h["Access-Control-Request-Headers"] = []string{acrh}
	}
	return h
}

// actualHeaders are the script's headers plus Origin (and Accept */*
// unless the script set one). Cookies cannot be simulated.
func actualHeaders(origin string, headers []fetch.Header) http.Header {
	h := http.Header{"Origin": {origin}, "Sec-Fetch-Mode": {"cors"}}
	for _, hd := range headers {
		h.Add(hd.Name, hd.Value)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "*/*")
	}
	return h
}

// send serves one request through the server's handler chain as a
// connection would bring it (newRequest), with decision's hook on its
// context: what the cors handlers decided comes from the decisions they
// report, not from their logs or counters.
func (c *Config) send(tgt target, kind, method string, u *url.URL, h http.Header) (Exchange, fetch.Response) {
	var seen decided
	ctx, cancel := context.WithTimeout(decision.WithHook(context.Background(), seen.report), requestTimeout)
	defer cancel()
	w := newRecorder()
	tgt.server.ServeHTTP(w, newRequest(ctx, method, u, h))
	resp := w.response()

	ex := Exchange{Kind: kind, Method: method, URL: u.String(), RequestHeaders: lines(h, nil), Status: resp.Status,
		ResponseHeaders: lines(resp.Header, corsRelevant)}
	ex.CORSDenials, ex.CORSHandled = seen.explain(method, u.RequestURI())
	return ex, resp
}

// corsRelevant picks the response headers a CORS answer depends on.
func corsRelevant(name string) bool {
	return strings.HasPrefix(name, "Access-Control-") || name == "Vary" || name == "Location"
}

// lines lists h's field lines sorted by name, filtered by keep.
func lines(h http.Header, keep func(string) bool) []HeaderLine {
	names := make([]string, 0, len(h))
	for name := range h {
		if keep == nil || keep(http.CanonicalHeaderKey(name)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := []HeaderLine{}
	for _, name := range names {
		for _, v := range h[name] {
			out = append(out, HeaderLine{Name: name, Value: v})
		}
	}
	return out
}

// parseRequest checks the URL and Origin as a browser would have them.
func parseRequest(req Request) (*url.URL, string, error) {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", couldNotRun("URL %q: want an absolute http:// or https:// URL", req.URL)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Fragment = ""
	origin := req.Origin
	if origin == "" {
		return nil, "", couldNotRun("--origin is required: the origin of the page that calls fetch(), e.g. https://app.example.com")
	}
	if origin != "null" {
		o, err := url.Parse(origin)
		if err != nil || o.Scheme == "" || o.Host == "" {
			return nil, "", couldNotRun("origin %q: want scheme://host[:port], as the browser sends it in Origin (or null)", origin)
		}
		if want := serializeOrigin(o); want != origin || (o.Path != "" || o.RawQuery != "" || o.User != nil) {
			return nil, "", couldNotRun("origin %q: a browser sends %q", origin, want)
		}
	}
	return u, origin, nil
}
