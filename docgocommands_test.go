package cors

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The go test commands the docs quote (CONTRIBUTING.md's above all) name
// tests, fuzz targets and benchmarks that exist, in packages that exist,
// with flags the test binary knows; a script a doc runs with bash exists.
// A renamed test would otherwise leave a documented command that runs
// nothing and passes ("ok ... [no tests to run]").
func TestDocGoTestCommands(t *testing.T) {
	n := 0
	for _, b := range docBlocks(t, "sh") {
		for i, line := range strings.Split(b.text, "\n") {
			for part := range strings.SplitSeq(line, "&&") {
				words, err := shellWords(part)
				if err != nil || len(words) == 0 {
					continue
				}
				where := fmt.Sprintf("%s:%d", b.file, b.line+1+i)
				if p := scriptProblem(words); p != "" {
					t.Errorf("%s: %s", where, p)
				}
				cmd, ok := parseGoTest(words)
				if !ok {
					continue
				}
				n++
				for _, p := range cmd.problems() {
					t.Errorf("%s: %q: %s", where, strings.TrimSpace(part), p)
				}
			}
		}
	}
	t.Logf("%d go test commands checked", n)
	if n < 10 {
		t.Errorf("found %d go test commands in the docs, want CONTRIBUTING.md's", n)
	}
}

// goTestCommand is a `go [-C dir] test` command line, split up.
type goTestCommand struct {
	dir      string            // the module's directory, from -C
	patterns map[string]string // -run, -fuzz, -bench: the pattern
	flags    []string          // other flags, without their dashes
	pkgs     []string
}

// goTestValueFlags are go test's flags that take a value.
var goTestValueFlags = []string{"run", "fuzz", "bench", "count", "benchtime", "fuzztime", "timeout", "cpu", "parallel", "skip", "o", "tags"}

// goTestBoolFlags are go test's flags that take none.
var goTestBoolFlags = []string{"race", "v", "short", "benchmem", "cover", "failfast", "json", "x", "n"}

func parseGoTest(words []string) (goTestCommand, bool) {
	for len(words) > 0 && strings.Contains(words[0], "=") { // VAR=value
		words = words[1:]
	}
	c := goTestCommand{dir: ".", patterns: map[string]string{}}
	if len(words) < 2 || words[0] != "go" {
		return c, false
	}
	words = words[1:]
	if words[0] == "-C" && len(words) > 2 {
		c.dir, words = words[1], words[2:]
	}
	if words[0] != "test" {
		return c, false
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") {
			c.pkgs = append(c.pkgs, w)
			continue
		}
		name := strings.TrimLeft(w, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if slices.Contains(goTestValueFlags, name) && !hasValue && i+1 < len(words) {
			i++
			value = words[i]
		}
		switch name {
		case "run", "fuzz", "bench":
			c.patterns[name] = value
		default:
			c.flags = append(c.flags, name)
		}
	}
	if len(c.pkgs) == 0 {
		c.pkgs = []string{"."}
	}
	return c, true
}

// problems is what is wrong with the command against the repository.
func (c goTestCommand) problems() []string {
	var out []string
	var names []string
	var custom []string
	for _, pkg := range c.pkgs {
		dirs, err := packageDirs(c.dir, pkg)
		if err != nil {
			out = append(out, fmt.Sprintf("package %s: %v", pkg, err))
			continue
		}
		for _, d := range dirs {
			n, f := testFuncsAndFlags(d)
			names, custom = append(names, n...), append(custom, f...)
		}
	}
	for _, f := range c.flags {
		if !slices.Contains(goTestValueFlags, f) && !slices.Contains(goTestBoolFlags, f) && !slices.Contains(custom, f) {
			out = append(out, fmt.Sprintf("-%s is neither a go test flag nor one the package's tests define", f))
		}
	}
	prefixes := map[string][]string{"run": {"Test", "Fuzz", "Example"}, "fuzz": {"Fuzz"}, "bench": {"Benchmark"}}
	for flag, pattern := range c.patterns {
		if pattern == "^$" || pattern == "." {
			continue
		}
		top, _, _ := strings.Cut(pattern, "/") // -run A/B: A names the top-level test
		re, err := regexp.Compile(top)
		if err != nil {
			out = append(out, fmt.Sprintf("-%s %q: %v", flag, pattern, err))
			continue
		}
		if !slices.ContainsFunc(names, func(n string) bool {
			return re.MatchString(n) && slices.ContainsFunc(prefixes[flag], func(p string) bool { return strings.HasPrefix(n, p) })
		}) {
			out = append(out, fmt.Sprintf("-%s %q matches no %s function in %v", flag, pattern, strings.Join(prefixes[flag], "/"), c.pkgs))
		}
	}
	return out
}

// packageDirs is the directories a package pattern of module dir names:
// one, or with /... every directory below that is not another module's.
func packageDirs(dir, pattern string) ([]string, error) {
	rel, all := strings.CutSuffix(pattern, "/...")
	root := filepath.Join(dir, filepath.FromSlash(rel))
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("no directory %s", root)
	}
	if !all {
		return []string{root}, nil
	}
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != root {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		dirs = append(dirs, path)
		return nil
	})
	return dirs, err
}

var (
	testFuncRE = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark|Example)\w*)\(`)
	testFlagRE = regexp.MustCompile(`flag\.(?:Bool|String|Int|Duration)\("(\w+)"`)
)

// testFuncsAndFlags lists the test functions of dir's _test.go files and
// the flags they define.
func testFuncsAndFlags(dir string) (names, flags []string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range testFuncRE.FindAllStringSubmatch(string(src), -1) {
			names = append(names, m[1])
		}
		for _, m := range testFlagRE.FindAllStringSubmatch(string(src), -1) {
			flags = append(flags, m[1])
		}
	}
	return names, flags
}

// scriptProblem: `bash path` runs a script of the repository, which must
// exist.
func scriptProblem(words []string) string {
	for len(words) > 0 && strings.Contains(words[0], "=") {
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "bash" {
		return ""
	}
	if _, err := os.Stat(filepath.FromSlash(words[1])); err != nil {
		return fmt.Sprintf("bash %s: no such script", words[1])
	}
	return ""
}

// The checker finds what a doc could get wrong.
func TestGoTestCommandProblems(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // a substring of the only problem, or "" for none
	}{
		{"go test -race -run '^TestServeHTTP$' .", ""},
		{"go test -run '^TestServeHTTPX$' .", `-run "^TestServeHTTPX$" matches no Test/Fuzz/Example function`},
		{"go test -run '^$' -fuzz '^FuzzParseRoundTrip$' -fuzztime 30s ./internal/origin", ""},
		{"go test -run '^$' -fuzz '^FuzzParseRoundTrip$' .", "-fuzz \"^FuzzParseRoundTrip$\" matches no Fuzz function"},
		{"go test -run '^$' -bench 'NoSuchBench' -benchmem .", "matches no Benchmark function"},
		{"go test ./internal/nowhere", "no directory internal/nowhere"},
		{"go test ./internal/origin -run TestPublicSuffixParents -update", ""},
		{"go test ./internal/origin -run TestPublicSuffixParents -updat", "-updat is neither"},
		{"go -C e2e test -race -run 'TestBrowser$/^webkit$' ./...", ""},
		{"go -C e2e test -run 'TestNoSuchBrowser$/^webkit$' ./...", "matches no"},
	} {
		words, err := shellWords(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := parseGoTest(words)
		if !ok {
			t.Fatalf("%q: not read as go test", tc.line)
		}
		got := c.problems()
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%q: problems %q, want none", tc.line, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%q: problems %q, want one with %q", tc.line, got, tc.want)
		}
	}
	if p := scriptProblem([]string{"ROUNDS=1", "bash", "bench/wrk.sh"}); p != "" {
		t.Errorf("bench/wrk.sh: %s", p)
	}
	if p := scriptProblem([]string{"bash", "bench/nope.sh"}); p == "" {
		t.Error("a missing script is not reported")
	}
}
