package check

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// target is where a connection to a URL lands.
type target struct {
	name   string
	server *caddyhttp.Server
	listen string // the listen address that took it
}

// pick chooses the server that a browser's connection to u would reach:
// the one with a configured TCP listen address that covers u's port and
// host (an address without a host listens on every interface). Only the
// configured addresses count: the check binds nothing. The server must
// speak TLS for https and plain HTTP for http, as the connection would.
func (c *Config) pick(u *url.URL) (target, error) {
	port, err := urlPort(u)
	if err != nil {
		return target{}, err
	}
	var configured []string
	repl := caddy.NewReplacer()
	for _, name := range c.ServerNames() {
		srv := c.servers[name]
		for _, raw := range srv.Listen {
			addr := repl.ReplaceAll(raw, "")
			configured = append(configured, addr)
			na, err := caddy.ParseNetworkAddressWithDefaults(addr, "tcp", 0)
			if err != nil || !strings.HasPrefix(na.Network, "tcp") {
				continue
			}
			if uint(port) < na.StartPort || uint(port) > na.EndPort || !hostMatches(na.Host, u.Hostname()) {
				continue
			}
			tls := len(srv.TLSConnPolicies) > 0
			if tls != (u.Scheme == "https") {
				speaks := "plain HTTP"
				if tls {
					speaks = "TLS (https)"
				}
				return target{}, couldNotRun("server %q listens on %s with %s, but the URL is %s: a browser would fail to connect", name, addr, speaks, u.Scheme)
			}
			return target{name: name, server: srv, listen: addr}, nil
		}
	}
	if len(configured) == 0 {
		return target{}, couldNotRun("no server of this config listens for %s: it configures no listen addresses", u.Host)
	}
	return target{}, couldNotRun("no server of this config listens for %s (port %d); configured addresses: %s", u.Host, port, strings.Join(configured, ", "))
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

// hostMatches reports whether a listener bound to listenHost accepts a
// connection to urlHost: every interface, the same name, or a shared IP
// address (localhost and 127.0.0.1). Names are resolved only when the
// listener is bound to a specific address.
func hostMatches(listenHost, urlHost string) bool {
	switch listenHost {
	case "", "0.0.0.0", "::", "[::]":
		return true
	}
	if strings.EqualFold(listenHost, urlHost) {
		return true
	}
	a, b := resolve(listenHost), resolve(urlHost)
	for _, x := range a {
		for _, y := range b {
			if x.Equal(y) {
				return true
			}
		}
	}
	return false
}

func resolve(host string) []net.IP {
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return []net.IP{ip}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil
	}
	ips := make([]net.IP, len(addrs))
	for i, a := range addrs {
		ips[i] = a.IP
	}
	return ips
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
