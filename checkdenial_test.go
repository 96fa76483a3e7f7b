package cors

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// `caddy cors check` reports a cors handler's refusal "in the words and
// fields of the line the handler logs about it at debug level"
// (internal/check/denial.go): for each kind of denial, the message and
// fields it reports are those of the line the handler logs for the same
// request, compared as JSON (what --json prints, what Caddy's JSON log
// writes).
func TestCheckDenialIsTheHandlersLogLine(t *testing.T) {
	const page, other = "http://localhost:8080", "http://evil.test:8080"
	file := writeCaddyfile(t, `{
	admin off
}
http://localhost:8000 {
	cors `+page+` {
		methods PUT
		headers content-type
	}
	respond "ok"
}
`)
	h, logs := provision(t, Handler{Origins: []string{page}, Methods: []string{"PUT"}, Headers: []string{"content-type"}})
	for _, tc := range []struct {
		name    string
		args    []string          // of the check, before the URL
		method  string            // of the request the handler gets
		headers map[string]string // its headers
	}{
		{"preflight, origin", []string{"--origin", other, "--method", "PUT"}, "OPTIONS", map[string]string{"Origin": other, hdrACRM: "PUT"}},
		{"preflight, method", []string{"--origin", page, "--method", "DELETE"}, "OPTIONS", map[string]string{"Origin": page, hdrACRM: "DELETE"}},
		{"preflight, header", []string{"--origin", page, "--method", "PUT", "--header", "X-Secret:1"}, "OPTIONS", map[string]string{"Origin": page, hdrACRM: "PUT", hdrACRH: "x-secret"}},
		{"actual request, origin", []string{"--origin", other}, "GET", map[string]string{"Origin": other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out, _ := runCheckArgs(t, append(append([]string{"--config", file, "--adapter", "caddyfile", "--json"}, tc.args...), "http://localhost:8000/x")...)
			var report struct {
				CORSDenials []struct {
					Message string         `json:"message"`
					Fields  map[string]any `json:"fields"`
				} `json:"cors_denials"`
			}
			if err := json.Unmarshal([]byte(out), &report); err != nil || len(report.CORSDenials) != 1 {
				t.Fatalf("the check reported %d denials (%v), want 1:\n%s", len(report.CORSDenials), err, out)
			}
			got := report.CORSDenials[0]

			logs.TakeAll()
			r := request(tc.method, tc.headers)
			r.RequestURI = "/x" // as a server sets it
			if err := h.ServeHTTP(httptest.NewRecorder(), r, &spy{status: 200}); err != nil {
				t.Fatal(err)
			}
			lines := logs.TakeAll()
			if len(lines) != 1 {
				t.Fatalf("the handler logged %d lines, want 1: %v", len(lines), lines)
			}
			logged, _ := json.Marshal(lines[0].ContextMap())
			var want map[string]any
			if err := json.Unmarshal(logged, &want); err != nil {
				t.Fatal(err)
			}
			if got.Message != lines[0].Message || !reflect.DeepEqual(got.Fields, want) {
				reported, _ := json.Marshal(got.Fields)
				t.Errorf("the check reports the refusal as\n  %s %s\nthe handler logs\n  %s %s",
					got.Message, reported, lines[0].Message, strings.TrimSpace(string(logged)))
			}
		})
	}
}
