package check

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// What a handler does with the recorder, and the response head a browser
// gets: the status and the header fields as they were when the head went
// out, as net/http's server sends them.
var recorderCases = []struct {
	name   string
	handle func(w http.ResponseWriter)
	status int
	header string // the head's X-A values
}{
	{"nothing written: 200 with the header map as left", func(w http.ResponseWriter) {
		w.Header().Set("X-A", "1")
	}, 200, "[1]"},
	{"fields set after WriteHeader are not sent", func(w http.ResponseWriter) {
		w.Header().Set("X-A", "1")
		w.WriteHeader(404)
		w.Header().Set("X-A", "2")
	}, 404, "[1]"},
	{"the first WriteHeader counts", func(w http.ResponseWriter) {
		w.WriteHeader(502)
		w.WriteHeader(200)
	}, 502, "[]"},
	{"Write sends 200", func(w http.ResponseWriter) {
		w.Header().Add("X-A", "1")
		fmt.Fprint(w, "body")
		w.Header().Add("X-A", "2")
		w.WriteHeader(500)
	}, 200, "[1]"},
	{"Flush sends 200", func(w http.ResponseWriter) {
		w.(http.Flusher).Flush()
		w.Header().Set("X-A", "1")
	}, 200, "[]"},
	{"an informational response is not the response", func(w http.ResponseWriter) {
		w.Header().Set("X-A", "early")
		w.WriteHeader(103)
		w.Header().Set("X-A", "final")
		w.WriteHeader(204)
	}, 204, "[final]"},
	{"101 is final", func(w http.ResponseWriter) {
		w.WriteHeader(101)
		w.WriteHeader(200)
	}, 101, "[]"},
}

func TestRecorder(t *testing.T) {
	for _, tc := range recorderCases {
		t.Run(tc.name, func(t *testing.T) {
			w := newRecorder()
			tc.handle(w)
			resp := w.response()
			if resp.Status != tc.status || fmt.Sprint(resp.Header.Values("X-A")) != tc.header {
				t.Errorf("status %d, X-A %v; want %d, %s", resp.Status, resp.Header.Values("X-A"), tc.status, tc.header)
			}
		})
	}
}

// The request of a simulated connection: what a server reads from a
// browser's connection to the URL.
func TestNewRequest(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "the check's")
	for _, tc := range []struct {
		url, host, requestURI string
		tls                   bool
		serverName            string
	}{
		{"http://localhost:8000/api/x?a=1", "localhost:8000", "/api/x?a=1", false, ""},
		{"https://api.example.com/x", "api.example.com", "/x", true, "api.example.com"},
		{"https://api.example.com:8443/", "api.example.com:8443", "/", true, "api.example.com"},
		{"https://127.0.0.1:8443/", "127.0.0.1:8443", "/", true, ""}, // no SNI for an IP address
		{"https://[::1]/", "[::1]", "/", true, ""},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Origin": {"https://app.example"}}
		r := newRequest(ctx, "PUT", u, h)
		if r.Method != "PUT" || r.Host != tc.host || r.RequestURI != tc.requestURI || r.URL.String() != tc.url ||
			r.RemoteAddr != remoteAddr || r.Proto != "HTTP/1.1" || r.Body != http.NoBody || r.Header.Get("Origin") != "https://app.example" {
			t.Errorf("%s: %s host %q uri %q url %s from %s %s body %v header %v", tc.url, r.Method, r.Host, r.RequestURI, r.URL, r.RemoteAddr, r.Proto, r.Body, r.Header)
		}
		if r.Context().Value(key{}) != "the check's" {
			t.Errorf("%s: the request does not carry the context", tc.url)
		}
		if (r.TLS != nil) != tc.tls || tc.tls && (!r.TLS.HandshakeComplete || r.TLS.ServerName != tc.serverName) {
			t.Errorf("%s: TLS %+v, want a completed handshake with server name %q: %v", tc.url, r.TLS, tc.serverName, tc.tls)
		}
		if r.URL == u {
			t.Errorf("%s: the request shares the caller's URL", tc.url)
		}
	}
}
