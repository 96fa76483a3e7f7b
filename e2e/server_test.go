package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"golang.org/x/crypto/bcrypt"

	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/corsedge/caddy-cors"
)

// loadCaddy runs Caddy in this process with a Caddyfile, replacing any
// config loaded before, and stops it when the test ends.
func loadCaddy(t *testing.T, caddyfile string) {
	t.Helper()
	cfg, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	for _, w := range warnings {
		t.Logf("caddyfile warning: %s", w.Message)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading Caddy: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
}

// backend is an application behind reverse_proxy. It counts the OPTIONS
// requests it receives per path, sets and echoes a cookie, and on
// /own-cors/ sends CORS headers of its own.
type backend struct {
	*httptest.Server
	mu      sync.Mutex
	options map[string]int
}

func newBackend(t *testing.T) *backend {
	b := &backend{options: map[string]int{}}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodOptions:
			b.mu.Lock()
			b.options[r.URL.Path]++
			b.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		case strings.HasSuffix(r.URL.Path, "/cookie/set"):
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cret", Path: "/", SameSite: http.SameSiteLaxMode})
			_, _ = io.WriteString(w, "cookie set")
			return
		case strings.HasSuffix(r.URL.Path, "/cookie/echo"):
			c, err := r.Cookie("session")
			if err != nil {
				_, _ = io.WriteString(w, "no cookie")
				return
			}
			_, _ = io.WriteString(w, "cookie "+c.Value)
			return
		case strings.HasPrefix(r.URL.Path, "/own-cors/"):
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		w.Header().Set("X-Custom", "custom-value")
		_, _ = io.WriteString(w, "backend")
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) optionsCount(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.options[path]
}

func deadAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Origins of the suite. The API is one origin; pages come from others.
// Their ports are this test binary's own (reservePort).
var (
	apiPort   = reservePort()
	otherPort = reservePort()
	api       = fmt.Sprintf("http://api.example.test:%d", apiPort)
	appPage   = fmt.Sprintf("http://app.example.test:%d/", apiPort)
	app7Page  = fmt.Sprintf("http://app7.example.test:%d/", apiPort)
	evilPage  = fmt.Sprintf("http://evil-example.test:%d/", apiPort)
	lookalike = fmt.Sprintf("http://app.example.test.evil.test:%d/", apiPort)
	appPort2  = fmt.Sprintf("http://app.example.test:%d/", otherPort)
	otherPage = fmt.Sprintf("http://other.example.test:%d/", otherPort)
	app       = fmt.Sprintf("http://app.example.test:%d", apiPort)
)

const aliceAuth = "Basic YWxpY2U6c2VjcmV0" // alice:secret

func suiteCaddyfile(t *testing.T, b *backend) string {
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	http_port %[1]d
}

%[2]s {
	handle /exact/* {
		cors %[3]s {
			methods GET PUT
			headers content-type x-allowed
		}
		respond "exact"
	}
	handle /cred/* {
		cors %[3]s {
			credentials
		}
		reverse_proxy %[4]s
	}
	handle /nocred/* {
		cors %[3]s
		reverse_proxy %[4]s
	}
	handle /star-headers/* {
		cors %[3]s {
			headers *
			credentials
		}
		respond "star"
	}
	handle /subdomain/* {
		cors http://*.example.test:%[1]d
		respond "subdomain"
	}
	handle /port/* {
		cors http://app.example.test:*
		respond "port"
	}
	handle /regexp/* {
		cors {
			origin_regexp http://app[0-9]*\.example\.test:%[1]d
		}
		respond "regexp"
	}
	handle /public/* {
		cors {
			allow_all
		}
		respond "public"
	}
	handle /expose/* {
		cors %[3]s {
			expose_headers X-Visible
		}
		header X-Visible visible
		header X-Hidden hidden
		respond "expose"
	}
	handle /expose-all/* {
		cors %[3]s {
			expose_headers *
			credentials
		}
		reverse_proxy %[4]s
	}
	handle /auth/* {
		cors %[3]s {
			credentials
			headers authorization
		}
		basic_auth {
			alice %[5]s
		}
		respond "secret"
	}
	handle /dead/* {
		cors %[3]s
		reverse_proxy %[6]s
	}
	handle /own-cors/* {
		cors %[3]s {
			credentials
		}
		reverse_proxy %[4]s
	}
	# Preflights pass through to the backend here, so that it counts them.
	handle /cache60/* {
		cors %[3]s {
			headers x-a
			max_age 60
			passthrough_preflight
		}
		reverse_proxy %[4]s
	}
	handle /cache0/* {
		cors %[3]s {
			headers x-a
			max_age 0
			passthrough_preflight
		}
		reverse_proxy %[4]s
	}
	handle /cache-unset/* {
		cors %[3]s {
			headers x-a
			passthrough_preflight
		}
		reverse_proxy %[4]s
	}
	# Not the module: a hand-written preflight answer with a literal
	# "Access-Control-Allow-Headers: *", to pin what stock browsers make of
	# it for Authorization.
	handle /literal-star-headers/* {
		header Access-Control-Allow-Origin %[3]s
		@preflight method OPTIONS
		header @preflight Access-Control-Allow-Headers *
		respond @preflight 204
		respond "literal star"
	}
	handle /null-listed/* {
		cors null
		respond "null listed"
	}
	handle /null-unlisted/* {
		cors %[3]s
		respond "null unlisted"
	}
	# Wrong on purpose (the suite must see browsers refuse these): a header
	# directive outside cors edits the response after the module settled
	# its headers, adding a second ACAO, or replacing the origin with *
	# while ACAC says true.
	handle /broken-acao-twice/* {
		route {
			header {
				+Access-Control-Allow-Origin "*"
				defer
			}
			cors %[3]s
			respond "broken"
		}
	}
	handle /broken-star-credentials/* {
		route {
			header {
				Access-Control-Allow-Origin "*"
				defer
			}
			cors %[3]s {
				credentials
			}
			respond "broken"
		}
	}
}

# The pages: empty documents on other origins.
http://app.example.test:%[1]d, http://app7.example.test:%[1]d, http://evil-example.test:%[1]d, http://app.example.test.evil.test:%[1]d, http://app.example.test:%[7]d, http://other.example.test:%[7]d {
	header Content-Type "text/html; charset=utf-8"
	respond "<!doctype html><title>page</title><body></body>"
}
`, apiPort, api, app, b.Listener.Addr(), hash, deadAddress(t), otherPort)
}
