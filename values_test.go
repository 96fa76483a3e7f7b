package cors

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// A preflight response's values are its own: editing them in place, as
// Caddy's header directive does, must not rewrite the request's headers
// (which later handlers, logs and placeholders read).
func TestPreflightResponseDoesNotShareRequestValues(t *testing.T) {
	for _, passthrough := range []bool{false, true} {
		h, _ := provision(t, Handler{Origins: []string{app}, Headers: []string{"*"}, PassthroughPreflight: passthrough})
		r := httptest.NewRequest("OPTIONS", "http://api.example.com/x", nil)
		r.Header[hdrOrigin] = []string{app}
		r.Header[hdrACRM] = []string{"PUT"}
		r.Header[hdrACRH] = []string{"x-one", "x-two"}
		want := r.Header.Clone()
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, &spy{status: 204}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{hdrACAO, hdrACAM, hdrACAH} {
			if len(w.Header()[name]) == 0 {
				t.Fatalf("passthrough %v: no %s in the response: %v", passthrough, name, w.Header())
			}
		}
		for _, values := range w.Header() {
			for i := range values {
				values[i] = "edited"
			}
		}
		if !reflect.DeepEqual(r.Header, want) {
			t.Errorf("passthrough %v: request headers after in-place edits of the response:\n got %v\nwant %v", passthrough, r.Header, want)
		}
	}
}

// With expose_headers * and credentials, ACEH lists header names only:
// Go keeps declared trailers under "Trailer:" keys of the same map, and
// those are not names a script could read.
func TestExposeFromResponseSkipsTrailerKeys(t *testing.T) {
	h, _ := provision(t, Handler{Origins: []string{app}, ExposeHeaders: []string{"*"}, Credentials: true})
	r := httptest.NewRequest("GET", "http://api.example.com/x", nil)
	r.Header.Set("Origin", app)
	w := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("X-Custom", "1")
		w.Header().Set(http.TrailerPrefix+"X-Sum", "abc")
		w.Header()["x-not-canonical"] = []string{"1"}
		w.Header()["Bad Name"] = []string{"1"}
		w.WriteHeader(200)
		return nil
	})
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	if got, want := w.Header()[hdrACEH], []string{"X-Custom, x-not-canonical"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ACEH = %q, want %q", got, want)
	}
}
