package cors

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The docs' staged enforcement (the recipe with @verified), as written there: the verified origins
// get the module's answers (its preflights, its headers instead of the
// backend's), everything else gets the backend's response untouched.
func TestReportOnlyStagedRecipe(t *testing.T) {
	var options atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A backend with CORS of its own, as django-cors-headers sends it
		// (but exposing one name only).
		h := w.Header()
		h.Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" {
			h.Set(hdrACAO, o)
			h.Set(hdrACAC, "true")
			h.Set(hdrACEH, "X-Request-Id")
		}
		if r.Method == http.MethodOptions {
			options.Add(1)
			h.Set(hdrACAM, "DELETE, GET, OPTIONS, PATCH, POST, PUT")
			h.Set(hdrACAH, "accept, authorization, content-type, x-tenant")
			w.WriteHeader(http.StatusOK)
			return
		}
		h.Set("X-Request-Id", "r-1")
		_, _ = io.WriteString(w, "items")
	}))
	defer backend.Close()
	port := freePort(t)
	recipe := docBlock(t, "caddyfile", "@verified").text
	recipe = strings.Replace(recipe, "api.example.com {", fmt.Sprintf("http://127.0.0.1:%d {", port), 1)
	recipe = strings.Replace(recipe, "reverse_proxy localhost:8000", "reverse_proxy "+backend.Listener.Addr().String(), 1)
	caddytest.NewTester(t).InitServer(fmt.Sprintf(`{
	skip_install_trust
	admin `+adminAddress()+`
	http_port %d
	https_port %d
	grace_period 1ns
}
`, port, freePort(t))+recipe, "caddyfile")

	do := func(method, origin string, headers ...string) (*http.Response, string) {
		r, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d/api/items/", port), nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		for i := 0; i < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	cors := func(res *http.Response) http.Header { return corsPart(res.Header) }

	// A verified origin: the module enforces.
	res, body := do("GET", app)
	if want := (http.Header{hdrACAO: {app}, hdrACAC: {"true"}, hdrACEH: {"X-Request-Id, X-Total-Count"}, "Vary": {"Origin"}}); body != "items" || !reflect.DeepEqual(cors(res), want) {
		t.Errorf("verified GET: %q %v, want the module's headers %v", body, cors(res), want)
	}
	res, _ = do("OPTIONS", app, hdrACRM, "PUT", hdrACRH, "x-tenant")
	if res.StatusCode != http.StatusNoContent || options.Load() != 0 {
		t.Errorf("verified preflight: %d, backend saw %d OPTIONS; want 204 from the module, none", res.StatusCode, options.Load())
	}

	// Anyone else: the backend's own response, untouched.
	const preview = "https://pr7.preview.example.com"
	res, body = do("GET", preview)
	if want := (http.Header{hdrACAO: {preview}, hdrACAC: {"true"}, hdrACEH: {"X-Request-Id"}, "Vary": {"Origin"}}); body != "items" || !reflect.DeepEqual(cors(res), want) {
		t.Errorf("unverified GET: %q %v, want the backend's %v", body, cors(res), want)
	}
	res, _ = do("OPTIONS", preview, hdrACRM, "PUT", hdrACRH, "x-tenant")
	if res.StatusCode != http.StatusOK || options.Load() != 1 || res.Header.Get(hdrACAM) != "DELETE, GET, OPTIONS, PATCH, POST, PUT" {
		t.Errorf("unverified preflight: %d %v, backend saw %d OPTIONS; want the backend's 200", res.StatusCode, cors(res), options.Load())
	}
	res, _ = do("GET", "")
	if want := (http.Header{"Vary": {"Origin"}}); !reflect.DeepEqual(cors(res), want) {
		t.Errorf("no Origin: %v, want the backend's %v", cors(res), want)
	}
}
