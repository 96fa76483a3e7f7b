package e2e

import (
	"testing"
)

// TestWebKitTabsKeepApart holds the WebKit engine's open to its promise
// of a fresh context for each case although the cases share a session: a
// cookie an earlier tab got is gone, and a preflight an earlier tab's
// fetch cached is sent again.
func TestWebKitTabsKeepApart(t *testing.T) {
	b := newBackend(t)
	loadCaddy(t, suiteCaddyfile(t, b))
	w := newWebKit(t).(*webkit)
	const preflighted = `{method: "PUT", headers: {"X-A": "1"}}`
	counted := "/cache60/x"

	first := w.open(t)
	var v verdict
	// Same-origin, so that WebKit keeps the cookie (see the cookie case).
	first.eval(t, api+"/", fetchJS(api+"/cred/cookie/set", `{}`, nil), &v)
	checkVerdict(t, w, v, resolves(200, "cookie set"))
	first.eval(t, api+"/", fetchJS(api+"/cred/cookie/echo", `{}`, nil), &v)
	checkVerdict(t, w, v, resolves(200, "cookie s3cret"))
	before := b.optionsCount(counted)
	for range 2 {
		first.eval(t, appPage, fetchJS(tabURL(first, api+counted), preflighted, nil), &v)
		checkVerdict(t, w, v, resolves(200, "backend"))
	}
	if n := b.optionsCount(counted) - before; n != 1 {
		t.Fatalf("the first tab sent %d preflights for two identical fetches, want 1 (max_age 60)", n)
	}

	second := w.open(t)
	second.eval(t, api+"/", fetchJS(api+"/cred/cookie/echo", `{}`, nil), &v)
	checkVerdict(t, w, v, resolves(200, "no cookie"))
	before = b.optionsCount(counted)
	second.eval(t, appPage, fetchJS(tabURL(second, api+counted), preflighted, nil), &v)
	checkVerdict(t, w, v, resolves(200, "backend"))
	if n := b.optionsCount(counted) - before; n != 1 {
		t.Fatalf("the second tab sent %d preflights, want 1: the first tab's cached preflight answered it", n)
	}
}
