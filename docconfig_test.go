package cors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// Every config the docs show loads as Caddy loads it.
//
// ```caddyfile blocks: each is adapted, and each cors handler in the
// adapted JSON (in routes, subroutes, handle blocks: wherever it is) is
// decoded strictly, provisioned (its permission module loaded) and
// validated, as `caddy run` does. A block must be a whole Caddyfile, or
// a snippet whose first line is the cors directive (`cors ... {`), which
// is adapted inside a site block. Left out: syntax blocks, those with
// <placeholders> such as <origin>.
//
// ```json blocks that contain "handler": each is a cors handler object
// or a whole config, and each cors handler in it is loaded the same way;
// a "permission" object in it must load its module. JSON blocks without
// "handler" (output examples) are left out.
//
// A block the docs show being refused says so, and the test then requires
// loading it to fail with an error containing the given text:
//   - a Caddyfile block's first line is the comment
//     `# refused: <part of the error>`, e.g.
//     `# refused: must not end with a slash`;
//   - a JSON block, which cannot hold a comment, says it in its fence's
//     info string: ```json refused: <part of the error>
//     (GitHub shows neither the info string nor a difference).
//
// An {env.NAME} placeholder (as the permission endpoint's
// {env.CORS_PERMISSION_URL}) or a Caddyfile {$NAME} is set, for the test,
// to a loopback URL that nothing is asked at load time.

// docPlaceholder marks a syntax block: <origin>, <matcher>.
var docPlaceholder = regexp.MustCompile(`<[A-Za-z][\w.-]*>`)

// envPlaceholder is a Caddy {env.NAME} placeholder, or the Caddyfile's
// {$NAME} (or {$NAME:default}) substitution.
var envPlaceholder = regexp.MustCompile(`\{(?:env\.|\$)([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}`)

func TestDocCaddyfileBlocks(t *testing.T) {
	var blocks, handlers int
	for _, b := range docBlocks(t, "caddyfile") {
		if docPlaceholder.MatchString(b.text) {
			continue
		}
		setDocEnv(t, b)
		n, err := loadCaddyfileBlock(t, b)
		checkRefusal(t, b, err)
		blocks++
		handlers += n
	}
	t.Logf("%d Caddyfile blocks loaded, with %d cors handlers", blocks, handlers)
	if blocks < 5 || handlers < 5 {
		t.Errorf("loaded %d Caddyfile blocks with %d cors handlers; want the recipes", blocks, handlers)
	}
}

func TestDocJSONBlocks(t *testing.T) {
	var blocks int
	for _, b := range docBlocks(t, "json") {
		if _, refused := docRefusal(b); !refused && !strings.Contains(b.text, `"handler"`) {
			continue
		}
		setDocEnv(t, b)
		_, err := loadJSONBlock(t, b)
		checkRefusal(t, b, err)
		blocks++
	}
	t.Logf("%d JSON blocks loaded", blocks)
	if blocks < 2 {
		t.Errorf("loaded %d JSON blocks with a handler; want the handler's and the permission's", blocks)
	}
}

// The refusal convention holds both ways: a marked block must fail with
// its text, an unmarked one must load.
func TestDocRefusedBlocks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block docCodeBlock
		fails string // "" when checkRefusal must pass
	}{
		{"refused as said", docCodeBlock{lang: "caddyfile", text: "# refused: must not end with a slash\ncors https://a.com/\n"}, ""},
		{"refused otherwise", docCodeBlock{lang: "caddyfile", text: "# refused: must not have a path\ncors https://a.com/\n"},
			"refused with"},
		{"marked but loads", docCodeBlock{lang: "caddyfile", text: "# refused: must not end with a slash\ncors https://a.com\n"},
			"marked refused"},
		{"unmarked and refused", docCodeBlock{lang: "caddyfile", text: "cors https://a.com/\n"}, "does not load"},
		{"loads", docCodeBlock{lang: "caddyfile", text: "cors https://a.com {\n\tcredentials\n}\n"}, ""},
		{"json refused as said", docCodeBlock{lang: "json", info: "refused: credentials", text: `{"handler": "cors", "allow_all": true, "credentials": true}`}, ""},
		{"json unknown field", docCodeBlock{lang: "json", text: `{"handler": "cors", "origins": ["https://a.com"], "origin": "x"}`}, "does not load"},
		{"json unmarked and refused", docCodeBlock{lang: "json", text: `{"handler": "cors", "allow_all": true, "credentials": true}`}, "does not load"},
		{"json without a cors handler", docCodeBlock{lang: "json", text: `{"handler": "headers"}`}, "does not load"},
		{"json whole config", docCodeBlock{lang: "json", text: `{"apps": {"http": {"servers": {"a": {"routes": [{"handle": [
			{"handler": "subroute", "routes": [{"handle": [{"handler": "cors", "origins": ["https://a.com"]}]}]}]}]}}}}}`}, ""},
		{"json permission", docCodeBlock{lang: "json", text: `{"handler": "cors", "permission": {"module": "http", "endpoint": "http://127.0.0.1:9/"}}`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.block.lang == "json" {
				_, err = loadJSONBlock(t, tc.block)
			} else {
				_, err = loadCaddyfileBlock(t, tc.block)
			}
			rec := &errorRecorder{TB: t}
			checkRefusal(rec, tc.block, err)
			switch {
			case tc.fails == "" && rec.msg != "":
				t.Errorf("checkRefusal failed: %s", rec.msg)
			case tc.fails != "" && !strings.Contains(rec.msg, tc.fails):
				t.Errorf("checkRefusal said %q, want it to fail with %q (load error: %v)", rec.msg, tc.fails, err)
			}
		})
	}
}

// errorRecorder records a test's errors instead of failing it.
type errorRecorder struct {
	testing.TB
	msg string
}

func (r *errorRecorder) Errorf(format string, args ...any) { r.msg += fmt.Sprintf(format, args...) }

// docRefusal reads a block's refusal mark: the text its load error must
// contain.
func docRefusal(b docCodeBlock) (string, bool) {
	if b.lang == "json" {
		want, ok := strings.CutPrefix(b.info, "refused:")
		return strings.TrimSpace(want), ok
	}
	first, _, _ := strings.Cut(strings.TrimLeft(b.text, " \t\n"), "\n")
	want, ok := strings.CutPrefix(strings.TrimSpace(first), "# refused:")
	return strings.TrimSpace(want), ok
}

// checkRefusal holds a block's load error to its refusal mark.
func checkRefusal(t testing.TB, b docCodeBlock, err error) {
	t.Helper()
	want, refused := docRefusal(b)
	switch {
	case refused && want == "":
		t.Errorf("%s: a refused block must say what error: `refused: <part of the error>`", b.where())
	case refused && err == nil:
		t.Errorf("%s: marked refused (%q) but loads:\n%s", b.where(), want, b.text)
	case refused && !strings.Contains(err.Error(), want):
		t.Errorf("%s: refused with %v\nwant an error containing %q", b.where(), err, want)
	case !refused && err != nil:
		t.Errorf("%s: does not load: %v\n%s", b.where(), err, b.text)
	}
}

// setDocEnv sets each {env.NAME} and {$NAME} of a block, for this test, to a loopback
// URL that nothing asks at load time.
func setDocEnv(t *testing.T, b docCodeBlock) {
	for _, m := range envPlaceholder.FindAllStringSubmatch(b.text, -1) {
		t.Setenv(m[1], "http://127.0.0.1:9/cors-allowed")
	}
}

// loadCaddyfileBlock adapts a Caddyfile block and loads each cors handler
// of the result; it returns how many there were.
func loadCaddyfileBlock(t testing.TB, b docCodeBlock) (int, error) {
	t.Helper()
	body := b.text
	where := "Caddyfile"
	if isCorsSnippet(body) {
		body = "example.com {\n" + body + "}\n"
		where = "the site block it was put in"
	}
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(body), nil)
	if err != nil {
		return 0, fmt.Errorf("adapting (lines counted in %s): %w", where, err)
	}
	return loadCorsHandlersIn(t, cfg)
}

// isCorsSnippet tells whether a Caddyfile block starts (comments aside)
// with the cors directive, rather than with a site or global options.
func isCorsSnippet(body string) bool {
	for line := range strings.SplitSeq(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return line == "cors" || strings.HasPrefix(line, "cors ") || strings.HasPrefix(line, "cors{")
	}
	return false
}

// loadJSONBlock loads each cors handler of a JSON block (a handler or a
// whole config); it returns how many there were.
func loadJSONBlock(t testing.TB, b docCodeBlock) (int, error) {
	t.Helper()
	n, err := loadCorsHandlersIn(t, []byte(b.text))
	if err == nil && n == 0 {
		err = errors.New(`no "handler": "cors" in it: a JSON block with "handler" must show a cors handler`)
	}
	return n, err
}

// loadCorsHandlersIn finds every object with "handler": "cors" in a JSON
// document, wherever it is, and loads each; it returns how many there
// were, and every error.
func loadCorsHandlersIn(t testing.TB, doc []byte) (int, error) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // max_age in nanoseconds, cache sizes: exact
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return 0, errors.New("not JSON: more after the first value")
	}
	var errs []error
	n := 0
	walkJSON(v, "$", func(at string, obj map[string]any) {
		n++
		raw, err := json.Marshal(obj)
		if err != nil {
			errs = append(errs, err)
			return
		}
		h, err := loadCorsHandler(t, raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("the cors handler at %s: %w", at, err))
			return
		}
		if p, ok := obj["permission"].(map[string]any); ok && p["module"] != nil && h.permission == nil {
			errs = append(errs, fmt.Errorf("the cors handler at %s: its permission module %v did not load", at, p["module"]))
		}
	})
	return n, errors.Join(errs...)
}

// walkJSON calls found for each object with "handler": "cors" under v,
// with its JSON path.
func walkJSON(v any, at string, found func(at string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if v["handler"] == "cors" {
			found(at, v)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			walkJSON(v[k], at+"."+k, found)
		}
	case []any:
		for i, e := range v {
			walkJSON(e, fmt.Sprintf("%s[%d]", at, i), found)
		}
	}
}

// loadCorsHandler loads a cors handler's JSON as Caddy does: decoded
// strictly, provisioned in a context that can load its permission
// module, validated. The permission module is cleaned up with the test.
func loadCorsHandler(t testing.TB, raw []byte) (*Handler, error) {
	t.Helper()
	h, err := decodeHandlerJSON(raw)
	if err != nil {
		return nil, err
	}
	if err := provisionAsCaddy(t, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// provisionAsCaddy provisions and validates h as Caddy does, in a context
// that can load its permission module; the module is cleaned up with the
// test.
func provisionAsCaddy(t testing.TB, h *Handler) error {
	t.Helper()
	ctx, err := caddy.ProvisionContext(&caddy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if h.permission != nil {
			_ = h.permission.(caddy.CleanerUpper).Cleanup()
		}
	})
	if err := h.Provision(ctx); err != nil {
		return fmt.Errorf("provisioning: %w", err)
	}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("validating: %w", err)
	}
	return nil
}
