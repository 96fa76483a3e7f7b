package check

import (
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/corsedge/caddy-cors/internal/fetch"
)

// engineNotes adds what the result's engine does differently that the
// check cannot simulate but a user should know.
func engineNotes(res *Result, u *url.URL, origin string) {
	if res.engine == fetch.WebKit && res.Credentials && crossSiteInWebKit(u, origin) {
		// The browser suite's credentialed cookie case: WebKit
		// (MiniBrowser, as Safari) kept no cookie from a response to a
		// page on another site. The verdict does not depend on cookies,
		// and the check sends none in any engine.
		res.Notes = append(res.Notes, "WebKit: "+u.Hostname()+" is another site than "+origin+
			" to WebKit, which by default (as Safari) stores no cookie from a response to a page of another site and so sends none;"+
			" the verdict does not depend on cookies, but the server may see none")
	}
}

// crossSiteInWebKit reports whether WebKit counts u and the page's origin
// as two sites: another registrable domain, or a host under a suffix the
// public suffix list does not know (as .test, where the suite found
// WebKit counting every host as a site of its own).
func crossSiteInWebKit(u *url.URL, origin string) bool {
	o, err := url.Parse(origin)
	if err != nil || origin == "null" {
		return true
	}
	a, b := u.Hostname(), o.Hostname()
	if a == b {
		return false
	}
	if ps, icann := publicsuffix.PublicSuffix(a); !icann && !strings.Contains(ps, ".") {
		return true
	}
	da, errA := publicsuffix.EffectiveTLDPlusOne(a)
	db, errB := publicsuffix.EffectiveTLDPlusOne(b)
	return errA != nil || errB != nil || da != db
}
