package cors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/corsedge/caddy-cors/internal/testport"
)

// report_only in front of a real backend CORS library: a Django REST
// framework API with django-cors-headers (testdata/reportonly/django_api.py,
// Debian's packages), behind reverse_proxy on loopback. Through every
// report_only route the responses are the ones the same Caddy sends
// without cors (every header but Date, the status, the body); the route
// with the docs' translation of the Django settings reports nothing;
// each route with a difference planted in the policy reports it, with
// the right outcome and reason, and nothing else.

// djangoPackages are the Debian packages the backend needs.
const djangoPackages = "python3-django python3-django-cors-headers python3-djangorestframework"

// djangoPython finds a Python that imports Django, django-cors-headers and
// DRF: $DJANGO_PYTHON, Debian's /usr/bin/python3 (where apt installs
// them, whatever python3 comes first on PATH), or python3. It skips the
// test, with the install command, where there is none, unless CI
// (CI=true, as .ci/run runs, or REQUIRE_DJANGO=1) requires it.
func djangoPython(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("DJANGO_PYTHON"), "/usr/bin/python3", "python3"}
	for _, py := range candidates {
		if py == "" {
			continue
		}
		out, err := exec.Command(py, "-c", "import django, corsheaders, rest_framework, importlib.metadata as m; print(django.get_version(), m.version('django-cors-headers'), rest_framework.VERSION)").Output()
		if err == nil {
			t.Logf("%s: Django, django-cors-headers, DRF %s", py, strings.TrimSpace(string(out)))
			return py
		}
	}
	msg := "no Python with Django, django-cors-headers and DRF: install them with `apt-get install -y " + djangoPackages + "` (or set DJANGO_PYTHON) to run this test"
	if os.Getenv("CI") == "true" || os.Getenv("REQUIRE_DJANGO") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startDjango runs the API and returns its address; it is killed when
// the test ends.
func startDjango(t *testing.T, python string) string {
	t.Helper()
	cmd := exec.Command(python, filepath.Join("testdata", "reportonly", "django_api.py"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	select {
	case p := <-port:
		if _, err := strconv.Atoi(p); err != nil {
			t.Fatalf("the Django API did not start: %q\n%s", p, stderr.String())
		}
		return "127.0.0.1:" + p
	case <-time.After(60 * time.Second):
		t.Fatalf("gave up after 60s waiting for the Django API to start\n%s", stderr.String())
	}
	return ""
}

// freePort is a port reserved for the test Caddy until the test ends
// (testport.Reserve: no other test binary on the machine gets it).
func freePort(t *testing.T) int {
	t.Helper()
	port, release, err := testport.Reserve()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return port
}

// djangoTranslationMarker finds the docs' translation of the backend's
// settings: its headers line, Django's default_headers with x-tenant.
const djangoTranslationMarker = "user-agent x-csrftoken x-requested-with x-tenant"

// djangoTranslation is the docs' translation of the backend's settings,
// read from the docs so that they cannot drift from what this test
// proves: the body of the block's cors directive without its report_only
// line, one subdirective a line. It is the policy that must report
// nothing.
func djangoTranslation(t *testing.T) string {
	t.Helper()
	b := docBlock(t, "caddyfile", djangoTranslationMarker)
	var body []string
	depth, reportOnly := 0, false
	for line := range strings.SplitSeq(b.text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case depth == 0 && strings.HasPrefix(line, "cors ") && strings.HasSuffix(line, "{"):
			depth = 1
		case depth == 0:
		case strings.HasSuffix(line, "{"):
			t.Fatalf("%s: the translation's cors block nests a block (%q): djangoTranslation reads one subdirective a line", b.where(), line)
		case line == "}":
			depth = 0
		case line == "report_only":
			reportOnly = true
		case line != "" && !strings.HasPrefix(line, "#"):
			body = append(body, line)
		}
	}
	if !reportOnly || len(body) == 0 {
		t.Fatalf("%s: want a cors block with report_only and the translated settings:\n%s", b.where(), b.text)
	}
	return strings.Join(body, "\n")
}

// djangoRoutes are the report_only routes: the translation, and one
// difference planted in each of the others. A planting that changes
// nothing (the translation lost what it replaces) fails the test rather
// than leave a route that reports nothing for the wrong reason.
func djangoRoutes(t *testing.T) map[string]string {
	t.Helper()
	translation := djangoTranslation(t)
	plant := func(old, new string) string {
		t.Helper()
		planted := strings.Replace(translation, old, new, 1)
		if planted == translation {
			t.Fatalf("the docs' translation has no %q to plant a difference in:\n%s", old, translation)
		}
		return planted
	}
	return map[string]string{
		"translated":          translation,
		"missing-origin":      plant(" https://admin.example.com", ""),
		"missing-header":      plant(" x-tenant", ""),
		"missing-credentials": plant("\ncredentials\n", "\n"),
		"missing-expose":      plant(" X-Total-Count", ""),
		"extra-origin":        plant("origins ", "origins https://partner.example.com "),
	}
}

func djangoCaddyfile(policies map[string]string, port, httpsPort int, api, logFile string) string {
	var routes strings.Builder
	for _, name := range slices.Sorted(maps.Keys(policies)) {
		// cors runs before uri, so the logged URI names the route.
		fmt.Fprintf(&routes, `	handle /%s/* {
		cors {
			%s
			report_only
		}
		uri strip_prefix /%[1]s
		reverse_proxy %[3]s
	}
`, name, strings.ReplaceAll(policies[name], "\n", "\n\t\t\t"), api)
	}
	return fmt.Sprintf(`{
	skip_install_trust
	admin `+adminAddress()+`
	http_port %d
	https_port %d
	grace_period 1ns
	log {
		output file %s
		format json
		level INFO
	}
}

http://127.0.0.1:%[1]d {
	handle /plain/* {
		uri strip_prefix /plain
		reverse_proxy %[4]s
	}
%[5]s}
`, port, httpsPort, logFile, api, routes.String())
}

// djangoRequest is one request a browser page would send.
type djangoRequest struct {
	name    string
	method  string
	headers map[string]string
}

const preview = "https://pr7.preview.example.com"

var djangoRequests = []djangoRequest{
	{"GET from app", "GET", map[string]string{"Origin": app}},
	{"GET from admin", "GET", map[string]string{"Origin": admin}},
	{"GET from a preview", "GET", map[string]string{"Origin": preview}},
	{"GET from partner", "GET", map[string]string{"Origin": partner}},
	{"GET from evil", "GET", map[string]string{"Origin": evil}},
	{"GET without Origin", "GET", nil},
	{"PUT from app", "PUT", map[string]string{"Origin": app, "Content-Type": "application/json"}},
	{"preflight from app, PUT with x-tenant", "OPTIONS", map[string]string{"Origin": app, hdrACRM: "PUT", hdrACRH: "content-type,x-tenant"}},
	{"preflight from admin, DELETE", "OPTIONS", map[string]string{"Origin": admin, hdrACRM: "DELETE"}},
	{"preflight from a preview, PATCH", "OPTIONS", map[string]string{"Origin": preview, hdrACRM: "PATCH", hdrACRH: "authorization"}},
	{"preflight from partner, PUT", "OPTIONS", map[string]string{"Origin": partner, hdrACRM: "PUT"}},
	{"preflight from evil, PUT", "OPTIONS", map[string]string{"Origin": evil, hdrACRM: "PUT"}},
}

// reported is a judgment as a log line tells it (origin aside).
type reported struct {
	kind, outcome, reason, value, credentials string
}

// reportedLine is a judgment and the origin of its line.
type reportedLine struct {
	reported
	origin string
}

// djangoWant is what each route must report, by request; every other
// request of the route is same.
var djangoWant = map[string]map[string]reported{
	"translated": {},
	"missing-origin": {
		"GET from admin":               {"actual", "would_block", "origin", admin, "both"},
		"preflight from admin, DELETE": {"preflight", "would_block", "origin", admin, "both"},
	},
	"missing-header": {
		"preflight from app, PUT with x-tenant": {"preflight", "would_block", "header", "x-tenant", "both"},
	},
	"missing-credentials": {
		"GET from app":                          {"actual", "would_block", "credentials", "", "include"},
		"GET from admin":                        {"actual", "would_block", "credentials", "", "include"},
		"GET from a preview":                    {"actual", "would_block", "credentials", "", "include"},
		"PUT from app":                          {"actual", "would_block", "credentials", "", "include"},
		"preflight from app, PUT with x-tenant": {"preflight", "would_block", "credentials", "", "include"},
		"preflight from admin, DELETE":          {"preflight", "would_block", "credentials", "", "include"},
		"preflight from a preview, PATCH":       {"preflight", "would_block", "credentials", "", "include"},
	},
	"missing-expose": {
		"GET from app":       {"actual", "would_hide_headers", "exposed_header", "X-Total-Count", "both"},
		"GET from admin":     {"actual", "would_hide_headers", "exposed_header", "X-Total-Count", "both"},
		"GET from a preview": {"actual", "would_hide_headers", "exposed_header", "X-Total-Count", "both"},
		"PUT from app":       {"actual", "would_hide_headers", "exposed_header", "X-Total-Count", "both"},
	},
	"extra-origin": {
		"GET from partner":            {"actual", "would_allow", "origin", partner, "both"},
		"preflight from partner, PUT": {"preflight", "would_allow", "origin", partner, "both"},
	},
}

func TestReportOnlyInFrontOfDjangoCorsHeaders(t *testing.T) {
	python := djangoPython(t)
	api := startDjango(t, python)
	port := freePort(t)
	logFile := filepath.Join(t.TempDir(), "caddy.log")
	routes := djangoRoutes(t)
	if !slices.Equal(slices.Sorted(maps.Keys(routes)), slices.Sorted(maps.Keys(djangoWant))) {
		t.Fatalf("routes %v, but djangoWant has %v", slices.Sorted(maps.Keys(routes)), slices.Sorted(maps.Keys(djangoWant)))
	}
	caddytest.NewTester(t).InitServer(djangoCaddyfile(routes, port, freePort(t), api, logFile), "caddyfile")
	before := reportOnlyMetric(t)

	send := func(route string, req djangoRequest) (*http.Response, []byte) {
		t.Helper()
		r, err := http.NewRequest(req.method, fmt.Sprintf("http://127.0.0.1:%d/%s/api/items/", port, route), nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range req.headers {
			r.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", route, req.name, err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		res.Header.Del("Date")
		return res, body
	}

	// The responses through every report_only route are the backend's,
	// as the same Caddy sends them without cors.
	judged := map[string]int{} // by kind/outcome
	for route, want := range djangoWant {
		for _, req := range djangoRequests {
			plain, plainBody := send("plain", req)
			got, body := send(route, req)
			if got.StatusCode != plain.StatusCode || !reflect.DeepEqual(got.Header, plain.Header) || !bytes.Equal(body, plainBody) {
				t.Errorf("%s, %s: the response differs from the one without cors:\n got %d %v %s\nwant %d %v %s",
					route, req.name, got.StatusCode, got.Header, body, plain.StatusCode, plain.Header, plainBody)
			}
			if req.headers["Origin"] == "" {
				continue // not a CORS request: not judged
			}
			kind := "actual"
			if req.method == "OPTIONS" {
				kind = "preflight"
			}
			outcome := "same"
			if w, ok := want[req.name]; ok {
				outcome = w.outcome
			}
			judged[kind+"/"+outcome]++
		}
	}

	// The metric counts every judgment.
	after := reportOnlyMetric(t)
	for key, n := range judged {
		if got := after[key] - before[key]; got != float64(n) {
			t.Errorf("caddy_cors_report_only_total{%s} went up by %v, want %d", key, got, n)
		}
	}

	// Each route logs what it must, and nothing else: one line per
	// (kind, outcome, origin, reason, value), so GET and PUT from app,
	// judged alike, make one line.
	lines := reportLines(t, logFile)
	for route, want := range djangoWant {
		wantLines := map[reportedLine]bool{}
		for _, req := range djangoRequests {
			if w, ok := want[req.name]; ok {
				wantLines[reportedLine{w, req.headers["Origin"]}] = true
			}
		}
		got := map[reportedLine]bool{}
		for _, l := range lines[route] {
			if got[l] {
				t.Errorf("%s: %+v logged twice within a minute", route, l)
			}
			got[l] = true
		}
		if !reflect.DeepEqual(got, wantLines) {
			t.Errorf("%s: logged %v, want %v", route, lines[route], wantLines)
		}
	}
}

// reportLines reads the report_only lines of the log, by route (the
// first segment of the logged URI).
func reportLines(t *testing.T, logFile string) map[string][]reportedLine {
	t.Helper()
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]reportedLine{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if !strings.Contains(line, `"outcome":`) {
			continue
		}
		var f struct {
			Logger, Kind, Outcome, Reason, Value, Credentials, Origin, Method, URI string
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if f.Logger != "http.handlers.cors" || f.Origin == "" || f.Method == "" {
			t.Errorf("line without its logger, origin or method: %s", line)
		}
		if f.Reason == "origin" && f.Value != f.Origin {
			t.Errorf("the value of an origin reason is not the origin: %s", line)
		}
		route, _, _ := strings.Cut(strings.TrimPrefix(f.URI, "/"), "/")
		out[route] = append(out[route], reportedLine{reported{f.Kind, f.Outcome, f.Reason, f.Value, f.Credentials}, f.Origin})
	}
	return out
}

// reportOnlyMetric reads caddy_cors_report_only_total from the admin
// endpoint's /metrics, by kind/outcome.
func reportOnlyMetric(t *testing.T) map[string]float64 {
	t.Helper()
	res, err := http.Get("http://" + adminAddress() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "caddy_cors_report_only_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		var kind, outcome string
		for l := range strings.SplitSeq(labels, ",") {
			k, v, _ := strings.Cut(l, "=")
			switch k {
			case "kind":
				kind = strings.Trim(v, `"`)
			case "outcome":
				outcome = strings.Trim(v, `"`)
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[kind+"/"+outcome] = n
	}
	return out
}
