package check

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// target is where a connection to a URL lands.
type target struct {
	name   string
	server *caddyhttp.Server
	listen string // the listen address that took it
}

// pick chooses the server that a browser's connection to u would reach,
// without resolving a name: the check must answer the same on any machine,
// for a config whose names point elsewhere or nowhere yet. A connection
// is taken by a configured TCP listen address (the check binds nothing)
// that covers u's port and could have u's host as its destination (see
// mayTake), on a server that speaks TLS for https and plain HTTP for
// http, as the connection would. When that leaves several servers (sites
// bound to different addresses on one port), the site decides (bySite).
func (c *Config) pick(u *url.URL) (target, error) {
	port, err := urlPort(u)
	if err != nil {
		return target{}, err
	}
	takers, configured, wrongScheme := c.takers(u, port)
	switch {
	case len(takers) == 1:
		return takers[0].target, nil
	case len(takers) > 1:
		return bySite(takers, u)
	case wrongScheme != nil:
		return target{}, wrongScheme
	case len(configured) == 0:
		return target{}, couldNotRun("no server of this config listens for %s: it configures no listen addresses", u.Host)
	}
	return target{}, couldNotRun("no server of this config listens for %s (port %d); configured addresses: %s", u.Host, port, strings.Join(configured, ", "))
}

// taker is a server that can take a connection to the URL.
type taker struct {
	target
	exact bool // a listen address of it is bound to the URL's host itself
}

// takers are the servers, in name order, with a listen address that can
// take a connection to u on port; also every configured address, and the
// error for a server that can take it but speaks the other scheme.
func (c *Config) takers(u *url.URL, port int) (takers []taker, configured []string, wrongScheme error) {
	host := strings.Trim(strings.ToLower(u.Hostname()), "[]")
	repl := caddy.NewReplacer()
	for _, name := range c.ServerNames() {
		srv := c.servers[name]
		var t *taker
		for _, raw := range srv.Listen {
			addr := repl.ReplaceAll(raw, "")
			configured = append(configured, addr)
			na, err := caddy.ParseNetworkAddressWithDefaults(addr, "tcp", 0)
			listenHost := strings.Trim(strings.ToLower(na.Host), "[]")
			if err != nil || !strings.HasPrefix(na.Network, "tcp") ||
				uint(port) < na.StartPort || uint(port) > na.EndPort || !mayTake(listenHost, host) {
				continue
			}
			if tls := len(srv.TLSConnPolicies) > 0; tls != (u.Scheme == "https") {
				if wrongScheme == nil {
					speaks := "plain HTTP"
					if tls {
						speaks = "TLS (https)"
					}
					wrongScheme = couldNotRun("server %q listens on %s with %s, but the URL is %s: a browser would fail to connect", name, addr, speaks, u.Scheme)
				}
				continue
			}
			if t == nil {
				t = &taker{target: target{name: name, server: srv, listen: addr}}
			}
			if listenHost == host && !t.exact {
				t.exact, t.listen = true, addr
			}
		}
		if t != nil {
			takers = append(takers, *t)
		}
	}
	return takers, configured, wrongScheme
}

// mayTake reports whether a listener bound to listenHost can be the
// destination of a connection to urlHost (both lower case, without
// brackets), without DNS: every interface; the host itself; for
// localhost, 127.0.0.1 and ::1 (browsers never resolve localhost
// elsewhere); for an address, that address; for any other name, any
// address, as a correctly configured DNS points the name at its site's.
func mayTake(listenHost, urlHost string) bool {
	switch {
	case listenHost == "" || listenHost == "0.0.0.0" || listenHost == "::":
		return true
	case listenHost == urlHost:
		return true
	case isLocalhost(urlHost) || isLocalhost(listenHost):
		other := listenHost
		if isLocalhost(listenHost) {
			other = urlHost
		}
		return isLocalhost(other) || other == "127.0.0.1" || other == "::1"
	case net.ParseIP(urlHost) != nil:
		// A listener bound to a name, which the check does not resolve,
		// does not take a connection to an address.
		return net.ParseIP(urlHost).Equal(net.ParseIP(listenHost))
	}
	return true
}

func isLocalhost(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// bySite picks among servers that could each take the connection the one
// that a correctly configured DNS would have sent it to: the only one
// bound to the URL's host itself, else the only one with a site for the
// host, else the only one with a site for any host (siteFor).
func bySite(takers []taker, u *url.URL) (target, error) {
	host := strings.ToLower(u.Hostname())
	best, ranks := -1, make([]int, len(takers))
	for i, t := range takers {
		ranks[i] = 3
		if !t.exact {
			ranks[i] = siteFor(t.server, u)
		}
		best = max(best, ranks[i])
	}
	var names []string
	var pick target
	for i, t := range takers {
		if ranks[i] == best {
			names = append(names, fmt.Sprintf("%q (%s)", t.name, t.listen))
			pick = t.target
		}
	}
	switch {
	case best == 0:
		return target{}, couldNotRun("servers %s all listen on the port of %s, and none has a site for %s: which one a browser reaches depends on where %s resolves", strings.Join(names, ", "), u.Host, host, host)
	case len(names) > 1:
		return target{}, couldNotRun("servers %s all have a site for %s on its port: which one a browser reaches depends on where %s resolves; give the site one server", strings.Join(names, ", "), host, host)
	}
	return pick, nil
}

// siteFor is 2 when a top-level route of srv matches u's host with a
// host matcher, 1 when a route has no host matcher (a site for any
// host), 0 otherwise.
func siteFor(srv *caddyhttp.Server, u *url.URL) int {
	r := newRequest(context.WithValue(context.Background(), caddy.ReplacerCtxKey, caddy.NewReplacer()), http.MethodGet, u, http.Header{})
	site := 0
	for _, route := range srv.Routes {
		hosts := 0
		for _, set := range route.MatcherSets {
			for _, m := range set {
				var mh caddyhttp.MatchHost
				switch m := m.(type) {
				case caddyhttp.MatchHost:
					mh = m
				case *caddyhttp.MatchHost:
					mh = *m
				default:
					continue
				}
				hosts++
				if ok, _ := mh.MatchWithError(r); ok {
					return 2
				}
			}
		}
		if hosts == 0 {
			site = 1
		}
	}
	return site
}

func urlPort(u *url.URL) (int, error) {
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return 0, couldNotRun("URL %q: bad port", u.String())
		}
		return n, nil
	}
	switch u.Scheme {
	case "http":
		return 80, nil
	case "https":
		return 443, nil
	}
	return 0, couldNotRun("URL %q: the scheme must be http or https", u.String())
}

// serializeOrigin is the origin of u as a browser serializes it:
// scheme://host[:port], the default port dropped.
func serializeOrigin(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host
}
