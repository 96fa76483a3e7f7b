package cors

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// runCheckArgs runs `caddy cors check` in process.
func runCheckArgs(t *testing.T, args ...string) (status int, stdout string, err error) {
	t.Helper()
	var out bytes.Buffer
	status, err = runCheck(args, &out, func() { out.WriteString("HELP") })
	return status, out.String(), err
}

func writeCaddyfile(t *testing.T, body string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// The example's two calls: the page's allowed GET and its refused PUT.
func TestCheckCommandExample(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
	}{
		{[]string{"--origin", "http://localhost:8080", "--header", "Content-Type: application/json", "--expect", "allowed"}, 0},
		{[]string{"--origin", "http://localhost:8080", "--method", "PUT", "--header", "X-Secret: 1", "--expect", "blocked"}, 0},
		{[]string{"--origin", "http://localhost:8080", "--method", "PUT", "--header", "X-Secret: 1"}, 1},
		{[]string{"--origin", "http://localhost:8080", "--method", "PUT", "--header", "X-Secret: 1", "--expect", "allowed"}, 1},
		{[]string{"--origin", "http://localhost:8080"}, 0},
		{[]string{"--origin", "http://evil.test:8080"}, 1},
	} {
		args := append([]string{"--config", "Caddyfile.example"}, tc.args...)
		args = append(args, "http://localhost:8000/api/hello")
		status, out, err := runCheckArgs(t, args...)
		if status != tc.status {
			t.Errorf("check %q: status %d (%v), want %d\n%s", tc.args, status, err, tc.status, out)
		}
	}
}

func TestCheckCommandExpectDiff(t *testing.T) {
	status, out, err := runCheckArgs(t, "--config", "Caddyfile.example", "--origin", "http://localhost:8080",
		"--method", "PUT", "--header", "X-Secret:1", "--expect", "allowed", "http://localhost:8000/api/hello")
	want := "--expect allowed, got blocked: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
	if status != 1 || err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("status %d, err %v; want 1 and one line starting %q", status, err, want)
	}
	if !strings.Contains(out, `cors handler: preflight denied: header not allowed (header "x-secret"`) {
		t.Fatalf("output lacks the module's reason:\n%s", out)
	}
}

func TestCheckCommandCannotRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", "Caddyfile.example", "http://localhost:8000/"}, "--origin is required"},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--nope", "http://localhost:8000/"}, "unknown flag: --nope"},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test"}, "the URL to check is required"},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--expect", "yes", "http://localhost:8000/"}, `--expect "yes"`},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--header", ":x", "http://localhost:8000/"}, `--header ":x"`},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "http://localhost:9999/"}, "configured addresses: :8000, :8080"},
		{[]string{"--config", "does-not-exist", "--origin", "http://a.test", "http://localhost:8000/"}, "reading config"},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--expect", "allowed", "http://localhost:9999/"}, "configured addresses"},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--browser", "safari", "http://localhost:8000/"}, `--browser "safari": want one of chromium, firefox, webkit`},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--browser", "", "http://localhost:8000/"}, `--browser "": want one of chromium, firefox, webkit`},
		{[]string{"--config", "Caddyfile.example", "--origin", "http://a.test", "--browser", "http://localhost:8000/"}, `--browser "http://localhost:8000/"`},
	} {
		status, _, err := runCheckArgs(t, tc.args...)
		if status != 2 || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("check %q: status %d, err %v; want 2 with %q", tc.args, status, err, tc.want)
		}
	}
	status, out, err := runCheckArgs(t, "--help")
	if status != 0 || err != nil || out != "HELP" {
		t.Errorf("--help: status %d, err %v, out %q", status, err, out)
	}
}

// checkJSON is the shape of `caddy cors check --json`, written out here
// rather than taken from internal/check, so that the strict decoder
// refuses any field the output gains without this test (and the README's
// description of the output) being looked at.
type checkJSON struct {
	URL           string          `json:"url"`
	Origin        string          `json:"origin"`
	Method        string          `json:"method"`
	Credentials   bool            `json:"credentials"`
	Browser       string          `json:"browser"`
	Server        string          `json:"server"`
	Listen        string          `json:"listen"`
	Preflighted   bool            `json:"preflighted"`
	PreflightOnly bool            `json:"preflight_only"`
	Exchanges     []checkExchange `json:"exchanges"`
	Verdict       string          `json:"verdict"`
	Reason        *checkReason    `json:"reason"`
	CORSDenials   []checkDenial   `json:"cors_denials"`
	Diagnoses     []string        `json:"diagnoses"`
	Notes         []string        `json:"notes"`
}

type checkReason struct {
	Kind        string   `json:"kind"`
	Class       string   `json:"class"`
	Preflight   bool     `json:"preflight"`
	Message     string   `json:"message"`
	Console     string   `json:"console"`
	ConsoleMore []string `json:"console_more"`
}

type checkExchange struct {
	Kind            string            `json:"kind"`
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	RequestHeaders  []checkHeaderLine `json:"request_headers"`
	Status          int               `json:"status"`
	ResponseHeaders []checkHeaderLine `json:"response_headers"`
	CORSDenials     []checkDenial     `json:"cors_denials"`
	CORSHandled     []string          `json:"cors_handled"`
}

type checkHeaderLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type checkDenial struct {
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
}

// --json prints one object: the example's refused PUT, field by field.
func TestCheckCommandJSON(t *testing.T) {
	status, out, _ := runCheckArgs(t, "--config", "Caddyfile.example", "--origin", "http://localhost:8080",
		"--method", "PUT", "--header", "X-Secret:1", "--json", "http://localhost:8000/api/hello")
	if status != 1 {
		t.Fatalf("status %d, want 1", status)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got checkJSON
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("not the documented JSON object: %v\n%s", err, out)
	}
	if tok, err := dec.Token(); err != io.EOF {
		t.Fatalf("more after the object: %v %v\n%s", tok, err, out)
	}

	const message = "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
	denial := checkDenial{Level: "debug", Message: "preflight denied: header not allowed",
		Fields: map[string]any{"header": "x-secret", "origin": "http://localhost:8080"}} // as the handler logs it
	want := checkJSON{
		URL: "http://localhost:8000/api/hello", Origin: "http://localhost:8080", Method: "PUT", Browser: "chromium",
		Server: "srv0", Listen: ":8000", Preflighted: true,
		Exchanges: []checkExchange{{
			Kind: "preflight", Method: "OPTIONS", URL: "http://localhost:8000/api/hello",
			RequestHeaders: []checkHeaderLine{
				{"Accept", "*/*"},
				{hdrACRH, "x-secret"},
				{hdrACRM, "PUT"},
				{"Origin", "http://localhost:8080"},
				{"Sec-Fetch-Mode", "cors"},
			},
			Status:          403,
			ResponseHeaders: []checkHeaderLine{},
			CORSDenials:     []checkDenial{denial},
			CORSHandled:     []string{"preflights/denied_header"},
		}},
		Verdict: "blocked",
		Reason: &checkReason{
			Kind: "missing_allow_origin", Class: "origin", Preflight: true, Message: message,
			Console: "Access to fetch at 'http://localhost:8000/api/hello' from origin 'http://localhost:8080' has been blocked by CORS policy: " + message,
		},
		CORSDenials: []checkDenial{denial},
	}
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		wantJSON, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("--json output:\n%s\nwant:\n%s", gotJSON, wantJSON)
	}
}

// Each recipe of the docs (found by its marker, wherever it lives) does
// what its text says, as a browser sees it.
// Requests that would reach the recipe's upstream (nothing listens there)
// are preflight-only where a preflight is what is asked; a simple request
// gets the 502, whose CORS headers the cors handler still sets.
func TestCheckCommandDocRecipes(t *testing.T) {
	type call struct {
		args   []string
		expect string
	}
	for _, tc := range []struct {
		marker string
		calls  []call
	}{
		{"max_age 2h", []call{
			{[]string{"--origin", "https://app.example.com", "--credentials", "--method", "DELETE", "--preflight-only", "https://api.example.com/x"}, "allowed"},
			{[]string{"--origin", "https://app.example.com", "--credentials", "https://api.example.com/x"}, "allowed"},
			{[]string{"--origin", "https://evil.example.com", "--method", "DELETE", "--preflight-only", "https://api.example.com/x"}, "blocked"},
			{[]string{"--origin", "https://app.example.com", "http://api.example.com/x"}, "blocked"}, // the HTTP->HTTPS redirect carries no ACAO
		}},
		{"cors http://localhost:* http://127.0.0.1:*", []call{
			{[]string{"--origin", "http://localhost:5173", "--method", "PUT", "--header", "Content-Type:application/json", "--preflight-only", "http://localhost:8000/x"}, "allowed"},
			{[]string{"--origin", "http://127.0.0.1:3000", "--method", "PUT", "--preflight-only", "http://localhost:8000/x"}, "allowed"},
			{[]string{"--origin", "http://example.com", "--method", "PUT", "--preflight-only", "http://localhost:8000/x"}, "blocked"},
		}},
		{"expose_headers *", []call{
			{[]string{"--origin", "https://anyone.example", "--method", "PUT", "--header", "Content-Type:application/json", "--preflight-only", "https://api.example.com/x"}, "allowed"},
			{[]string{"--origin", "https://anyone.example", "--credentials", "--method", "PUT", "--header", "Content-Type:application/json", "--preflight-only", "https://api.example.com/x"}, "blocked"},
		}},
		{"cors /public/*", []call{
			{[]string{"--origin", "https://app.example.com", "--credentials", "--method", "PUT", "--preflight-only", "https://example.com/api/x"}, "allowed"},
			{[]string{"--origin", "https://other.example", "--method", "PUT", "--preflight-only", "https://example.com/public/x"}, "allowed"},
			{[]string{"--origin", "https://other.example", "--method", "PUT", "--preflight-only", "https://example.com/api/x"}, "blocked"},
		}},
		{"basic_auth", []call{
			{[]string{"--origin", "https://app.example.com", "--credentials", "--header", "Authorization:Basic YWxpY2U6eA==", "--preflight-only", "https://api.example.com/x"}, "allowed"},
			{[]string{"--origin", "https://app.example.com", "https://api.example.com/x"}, "allowed"}, // basic_auth's 401, readable
		}},
		{"file_server", []call{
			{[]string{"--origin", "https://anyone.example", "https://assets.example.com/font.woff2"}, "allowed"}, // the 404 of a root that is not there, readable
			{[]string{"--origin", "https://anyone.example", "--credentials", "https://assets.example.com/font.woff2"}, "blocked"},
		}},
		{"php_fastcgi", []call{
			// Answered by cors: nothing listens on the PHP socket.
			{[]string{"--origin", "https://app.example.com", "--credentials", "--method", "PUT", "--header", "Content-Type:application/json", "--preflight-only", "https://api.example.com/orders"}, "allowed"},
			{[]string{"--origin", "https://evil.example", "--method", "PUT", "--preflight-only", "https://api.example.com/orders"}, "blocked"},
		}},
	} {
		file := writeCaddyfile(t, docBlock(t, "caddyfile", tc.marker).text)
		for _, c := range tc.calls {
			args := append([]string{"--config", file, "--adapter", "caddyfile", "--expect", c.expect}, c.args...)
			status, out, err := runCheckArgs(t, args...)
			if status != 0 {
				t.Errorf("recipe %q, check %q: status %d (%v)\n%s", tc.marker, c.args, status, err, out)
			}
		}
	}
}

// A header snippet that duplicates a backend's ACAO is diagnosed.
func TestCheckCommandHeaderSnippet(t *testing.T) {
	file := writeCaddyfile(t, `{
	admin off
}
http://localhost:8000 {
	header Access-Control-Allow-Origin "http://localhost:8080"
	header +Access-Control-Allow-Origin "*"
	respond "ok"
}
`)
	status, out, _ := runCheckArgs(t, "--config", file, "--origin", "http://localhost:8080", "http://localhost:8000/")
	if status != 1 || !strings.Contains(out, "Chromium: Access to fetch at 'http://localhost:8000/' from origin 'http://localhost:8080' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values 'http://localhost:8080, *', but only one is allowed.") ||
		!strings.Contains(out, "problem: the actual response carries Access-Control-Allow-Origin 2 times") ||
		!strings.Contains(out, "note: this config has no cors handler") {
		t.Fatalf("status %d:\n%s", status, out)
	}
}

// Sites on named hosts bound to 127.0.0.1 (the names resolve nowhere):
// the check answers for each site, picking the server by the URL's scheme
// and port and the site by its host, instead of exiting 2 because the
// names do not resolve to the bound address.
func TestCheckCommandSiteByHost(t *testing.T) {
	file := writeCaddyfile(t, `{
	admin off
}
http://one.example.test:8080 {
	bind 127.0.0.1
	cors http://app.one.test
	respond "one"
}
http://two.example.test:8080 {
	bind 127.0.0.1
	cors http://app.two.test
	respond "two"
}
`)
	for _, tc := range []struct {
		origin, url string
		status      int
	}{
		{"http://app.one.test", "http://one.example.test:8080/", 0},
		{"http://app.two.test", "http://two.example.test:8080/", 0},
		{"http://app.two.test", "http://one.example.test:8080/", 1},
	} {
		status, out, err := runCheckArgs(t, "--config", file, "--origin", tc.origin, tc.url)
		if status != tc.status || !strings.Contains(out, `served by server "srv0" (listen 127.0.0.1:8080)`) {
			t.Errorf("check %s from %s: status %d (%v), want %d, served by srv0\n%s", tc.url, tc.origin, status, err, tc.status, out)
		}
	}
}

// --browser picks the engine: its name in --json, its words in the text.
// The example's refused PUT is refused in every engine for the same kind.
func TestCheckCommandBrowser(t *testing.T) {
	const url = "http://localhost:8000/api/hello"
	args := []string{"--config", "Caddyfile.example", "--origin", "http://localhost:8080", "--method", "PUT", "--header", "X-Secret:1"}
	firefox := "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + url
	for _, tc := range []struct {
		flag, browser string
		words         []string // the text's lines after "verdict: blocked"
	}{
		{"", "chromium", []string{"Chromium: Access to fetch at '" + url + "' from origin 'http://localhost:8080' has been blocked by CORS policy: " +
			"Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."}},
		{"chromium", "chromium", nil},
		{"Firefox", "firefox", []string{
			"Firefox: " + firefox + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 403.",
			"Firefox: " + firefox + ". (Reason: CORS request did not succeed). Status code: (null)."}},
		{"webkit", "webkit", []string{"WebKit: fetch() rejects (TypeError: Load failed), for missing_allow_origin (origin); " +
			"WebKit's console words are not known to the check: WebDriver classic, which drives WebKit in the browser suite, gives no console access"}},
	} {
		t.Run(tc.browser+"/"+tc.flag, func(t *testing.T) {
			a := slices.Clone(args)
			if tc.flag != "" {
				a = append(a, "--browser", tc.flag)
			}
			status, out, _ := runCheckArgs(t, append(a, url)...)
			if status != 1 {
				t.Fatalf("status %d, want 1\n%s", status, out)
			}
			if tc.words != nil {
				want := "\nverdict: blocked\n" + strings.Join(tc.words, "\n") + "\nwhy: "
				if !strings.Contains(out, want) {
					t.Errorf("text lacks\n%s\ngot:\n%s", want, out)
				}
			}
			_, out, _ = runCheckArgs(t, append(a, "--json", url)...)
			var got checkJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if got.Browser != tc.browser || got.Reason == nil || got.Reason.Kind != "missing_allow_origin" {
				t.Fatalf("--json: browser %q, reason %+v; want %q, missing_allow_origin", got.Browser, got.Reason, tc.browser)
			}
			if tc.browser == "webkit" && (got.Reason.Console != "" || got.Reason.Message != "") {
				t.Errorf("--json: WebKit words %q %q, want none", got.Reason.Message, got.Reason.Console)
			}
			if tc.browser == "firefox" && (got.Reason.Console != strings.TrimPrefix(tc.words[0], "Firefox: ") ||
				!slices.Equal(got.Reason.ConsoleMore, []string{strings.TrimPrefix(tc.words[1], "Firefox: ")})) {
				t.Errorf("--json: Firefox console %q then %q", got.Reason.Console, got.Reason.ConsoleMore)
			}
		})
	}
	// --expect's one line falls back on the kind where the engine's words
	// are not known.
	_, _, err := runCheckArgs(t, append(args, "--browser", "webkit", "--expect", "allowed", url)...)
	if err == nil || err.Error() != "--expect allowed, got blocked: missing_allow_origin" {
		t.Errorf("webkit --expect: %v", err)
	}
}

// A client hint is CORS-safelisted in Chromium alone: Firefox and WebKit
// preflight a fetch that sets one (the browser suite's client-hint
// snippets), and the example's API allows no DPR header.
func TestCheckCommandBrowserRules(t *testing.T) {
	for browser, want := range map[string]int{"chromium": 0, "firefox": 1, "webkit": 1} {
		status, out, _ := runCheckArgs(t, "--config", "Caddyfile.example", "--origin", "http://localhost:8080",
			"--header", "DPR:2", "--browser", browser, "http://localhost:8000/api/hello")
		if status != want {
			t.Errorf("%s: status %d, want %d\n%s", browser, status, want, out)
		}
		if preflighted := strings.Contains(out, "preflight request:"); preflighted != (want == 1) {
			t.Errorf("%s: preflighted %v\n%s", browser, preflighted, out)
		}
	}
}
