package cors

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// The commands that build and test the module, as the docs give them:
// README.md's run and test commands, the test command that .ci/run runs,
// and xcaddy lines that name this module and go.mod's Caddy version.

func TestDocTestCommand(t *testing.T) {
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range testCommandProblems(readDoc(t, "README.md").blocks, string(ci)) {
		t.Error(p)
	}
}

// testCommandProblems holds README.md's first ```sh block to the run and
// test commands, and its test command to .ci/run.
func testCommandProblems(readme []docCodeBlock, ci string) []string {
	i := slices.IndexFunc(readme, func(b docCodeBlock) bool { return b.lang == "sh" })
	if i < 0 {
		return []string{"README.md has no ```sh block: it starts with the run and test commands"}
	}
	b := readme[i]
	var problems []string
	const run = "go run ./cmd/caddy run --config Caddyfile.example"
	if !strings.Contains(b.text, run) {
		problems = append(problems, fmt.Sprintf("%s: README.md's first ```sh block lacks the run command %q", b.where(), run))
	}
	var test string
	for line := range strings.SplitSeq(b.text, "\n") {
		if strings.HasPrefix(line, "go test") {
			test, _, _ = strings.Cut(line, "#")
			test = strings.TrimSpace(test)
			break
		}
	}
	if test == "" {
		return append(problems, fmt.Sprintf("%s: README.md's first ```sh block has no line starting with `go test`", b.where()))
	}
	for line := range strings.SplitSeq(ci, "\n") {
		// The command, alone or in a subshell: .ci/run needs the
		// parentheses so that set -e stops at the left side of &&.
		line = strings.TrimSpace(line)
		if line == test || line == "("+test+")" {
			return problems
		}
	}
	return append(problems, fmt.Sprintf("%s: README.md's test command %q is not a line of .ci/run", b.where(), test))
}

func TestDocTestCommandCatchesDrift(t *testing.T) {
	readme := func(text string) []docCodeBlock {
		return []docCodeBlock{{file: "README.md", line: 3, lang: "sh", text: text}}
	}
	const ci = "set -e\n\tgo test -race ./... && go -C e2e test -race ./...\n"
	const good = "go run ./cmd/caddy run --config Caddyfile.example   # run\ngo test -race ./... && go -C e2e test -race ./...   # test\n"
	for _, tc := range []struct {
		name   string
		blocks []docCodeBlock
		want   string
	}{
		{"good", readme(good), ""},
		{"no run", readme("go test -race ./... && go -C e2e test -race ./...\n"), "lacks the run command"},
		{"no test", readme("go run ./cmd/caddy run --config Caddyfile.example\n"), "no line starting with `go test`"},
		{"drift", readme(strings.Replace(good, "-race ./... &&", "./... &&", 1)), `test command "go test ./... && go -C e2e test -race ./..." is not a line of .ci/run`},
		{"no sh", nil, "has no ```sh block"},
	} {
		got := strings.Join(testCommandProblems(tc.blocks, ci), "\n")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDocXcaddyBuild(t *testing.T) {
	module, caddyVersion := goModInfo(t)
	n := 0
	for _, file := range docFiles(t) {
		cmds := xcaddyCommands(readDoc(t, file))
		n += len(cmds)
		for _, c := range cmds {
			if err := checkXcaddy(c.text, module, caddyVersion); err != nil {
				t.Errorf("%s:%d: %q: %v", file, c.line, c.text, err)
			}
		}
	}
	t.Logf("%d xcaddy build commands checked", n)
	if n == 0 {
		t.Error("no xcaddy build in the docs: the README tells how to build Caddy with the module")
	}
}

// goModInfo reads go.mod's module path and the Caddy version it requires.
func goModInfo(t *testing.T) (module, caddyVersion string) {
	t.Helper()
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		switch {
		case len(f) == 2 && f[0] == "module":
			module = f[1]
		case len(f) >= 2 && f[0] == "github.com/caddyserver/caddy/v2":
			caddyVersion = f[1]
		}
	}
	if module == "" || caddyVersion == "" {
		t.Fatalf("go.mod: module %q, caddy %q", module, caddyVersion)
	}
	return module, caddyVersion
}

// xcaddyCommand is an `xcaddy build` of a doc, in a block (continuations
// joined) or inline code.
type xcaddyCommand struct {
	line int
	text string // from "xcaddy build" on
}

func xcaddyCommands(doc markdownDoc) []xcaddyCommand {
	var out []xcaddyCommand
	for _, b := range doc.blocks {
		lines := strings.Split(b.text, "\n")
		for i := 0; i < len(lines); i++ {
			at := strings.Index(lines[i], "xcaddy build")
			if at < 0 {
				continue
			}
			c := xcaddyCommand{line: b.line + 1 + i, text: lines[i][at:]}
			for strings.HasSuffix(c.text, `\`) && i+1 < len(lines) {
				i++
				c.text = strings.TrimSpace(strings.TrimSuffix(c.text, `\`)) + " " + strings.TrimSpace(lines[i])
			}
			out = append(out, c)
		}
	}
	prose := strings.Join(doc.prose, "\n")
	for _, s := range inlineCodeSpans(prose) {
		if at := strings.Index(s.content, "xcaddy build"); at >= 0 {
			out = append(out, xcaddyCommand{line: 1 + strings.Count(prose[:s.start], "\n"), text: s.content[at:]})
		}
	}
	return out
}

// checkXcaddy holds an `xcaddy build [<caddy version>] --with ...` to the
// module path and the Caddy version of go.mod.
func checkXcaddy(text, module, caddyVersion string) error {
	words, err := shellWords(text)
	if err != nil {
		return err
	}
	words = words[2:] // xcaddy build
	if len(words) > 0 && !strings.HasPrefix(words[0], "-") && words[0] != caddyVersion {
		return fmt.Errorf("builds Caddy %s; go.mod requires github.com/caddyserver/caddy/v2 %s", words[0], caddyVersion)
	}
	var with []string
	for i, w := range words {
		if v, ok := strings.CutPrefix(w, "--with="); ok {
			with = append(with, v)
		} else if w == "--with" && i+1 < len(words) {
			with = append(with, words[i+1])
		}
	}
	for _, w := range with {
		path, _, _ := strings.Cut(w, "=") // a replacement: path[@version]=dir
		path, _, _ = strings.Cut(path, "@")
		if path == module {
			return nil
		}
	}
	return fmt.Errorf("no --with %s (the module path of go.mod); it has --with %q", module, with)
}

func TestDocXcaddyBuildCatchesDrift(t *testing.T) {
	doc, _ := parseMarkdown("a.md", "Install with `xcaddy build --with github.com/other/mod`.\n\n"+
		"```sh\nxcaddy build v2.10.0 \\\n\t--with github.com/corsedge/caddy-cors@v1.0.0=.\n```\n")
	cmds := xcaddyCommands(doc)
	var got []string
	for _, c := range cmds {
		got = append(got, fmt.Sprintf("%d: %v", c.line, checkXcaddy(c.text, "github.com/corsedge/caddy-cors", "v2.11.9")))
	}
	want := []string{
		"4: builds Caddy v2.10.0; go.mod requires github.com/caddyserver/caddy/v2 v2.11.9",
		`1: no --with github.com/corsedge/caddy-cors (the module path of go.mod); it has --with ["github.com/other/mod"]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for _, ok := range []string{
		"xcaddy build --with github.com/corsedge/caddy-cors",
		"xcaddy build v2.11.9 --with=github.com/corsedge/caddy-cors@v0.0.0-00010101000000-000000000000=.",
		"xcaddy build --with github.com/x/y --with github.com/corsedge/caddy-cors@latest",
	} {
		if err := checkXcaddy(ok, "github.com/corsedge/caddy-cors", "v2.11.9"); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
