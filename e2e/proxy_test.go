package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"sync"
	"time"
)

// loopbackProxy is the HTTP proxy that WebKit sends all its traffic to
// (the WebDriver proxy capability), because WebKit has no switch like
// Chromium's --host-resolver-rules or Firefox's network.dns.forceResolve.
// It maps the suite's names (*.test and localhost) to 127.0.0.1 at the
// port of the URL, and refuses everything else, tunnels (CONNECT)
// included: it can reach nothing but loopback, so neither can the browser.
// It also notes the origins whose responses set cookies, so that the
// engine can delete them before the next case.
type loopbackProxy struct {
	srv  *http.Server
	addr string // host:port it listens on

	mu      sync.Mutex
	cookies []string // origins whose responses set a cookie, since the last take
	refused []string // what it refused, for the log
}

func startLoopbackProxy() (*loopbackProxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &loopbackProxy{addr: l.Addr().String()}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	forward := &httputil.ReverseProxy{
		// The request goes on as the browser sent it (absolute form,
		// Host from the URL), less the hop-by-hop headers; Rewrite adds
		// no X-Forwarded-* headers.
		Rewrite: func(*httputil.ProxyRequest) {},
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				to, ok := toLoopback(addr)
				if !ok {
					return nil, fmt.Errorf("%s is not a name of the suite", addr)
				}
				return dialer.DialContext(ctx, network, to)
			},
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		ModifyResponse: func(res *http.Response) error {
			if len(res.Header.Values("Set-Cookie")) > 0 {
				p.noteCookie(res.Request.URL.Scheme + "://" + res.Request.URL.Host)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "loopback proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := toLoopback(r.URL.Host); r.Method == http.MethodConnect || r.URL.Scheme != "http" || !ok {
				p.noteRefused(r.Method + " " + r.URL.String() + " " + r.Host)
				http.Error(w, "loopback proxy: only plain HTTP to the suite's names", http.StatusForbidden)
				return
			}
			forward.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// toLoopback maps host:port to 127.0.0.1:port when host is one of the
// suite's names.
func toLoopback(hostport string) (string, bool) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "80"
	}
	host = strings.ToLower(host)
	if host != "localhost" && host != "127.0.0.1" && !strings.HasSuffix(host, ".test") {
		return "", false
	}
	return net.JoinHostPort("127.0.0.1", port), true
}

func (p *loopbackProxy) noteCookie(origin string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.cookies, origin) {
		p.cookies = append(p.cookies, origin)
	}
}

func (p *loopbackProxy) noteRefused(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused = append(p.refused, what)
}

// takeCookieOrigins returns the origins that set cookies since the last
// call, and forgets them.
func (p *loopbackProxy) takeCookieOrigins() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.cookies
	p.cookies = nil
	return o
}

func (p *loopbackProxy) refusals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refused)
}

func (p *loopbackProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		_ = p.srv.Close()
	}
}
