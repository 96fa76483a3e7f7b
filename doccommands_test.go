package cors

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// The commands the docs show are the commands that work:
//   - every `caddy cors check` line of a ```sh, ```text (or ```shell,
//     ```bash, ```console) block, as `caddy cors check ...`,
//     `go run ./cmd/caddy cors check ...` or `./caddy cors check ...`,
//     after an optional "$ " prompt and joined over "\" continuations,
//     parses with the command's own flags (parseCheckArgs): no unknown
//     flag, a valid value for each, one URL. Syntax lines (with "[--" or
//     a <placeholder>) are left out;
//   - such a command after a "$ " prompt in a ```text (or ```console)
//     block is a transcript: the lines after it, up to the next "$ "
//     line, must be the command's output exactly (stdout; Caddy's log
//     lines go to stderr), and that next line must be "$ echo $?",
//     followed by the exit status (as `go run` reports it: 1 for any
//     failure). The command runs in the repository root;
//   - README.md's first ```sh block holds the run command
//     (`go run ./cmd/caddy run --config Caddyfile.example`) and the test
//     command (its line starting `go test`, up to a # comment), and that
//     test command is a line of .ci/run, so CI runs what the README says;
//   - every `xcaddy build` (in a block or inline code) builds this module
//     (--with the module path of go.mod) and, when it names a Caddy
//     version, the one go.mod requires.

// checkCommandLangs are the block languages whose lines are commands.
var checkCommandLangs = []string{"sh", "shell", "bash", "console", "text"}

// checkCommandPrefixes are the ways the docs run `caddy cors check`.
var checkCommandPrefixes = [][]string{
	{"caddy", "cors", "check"},
	{"./caddy", "cors", "check"},
	{"go", "run", "./cmd/caddy", "cors", "check"},
}

// docCommand is one `caddy cors check` command line of a block.
type docCommand struct {
	line   int    // in the doc file
	text   string // the command as written, continuations joined
	args   []string
	goRun  bool // run with `go run`, which turns any failure into 1
	prompt bool // after a "$ " prompt: a transcript's command
	next   int  // the index in the block's lines after the command
}

// checkCommands finds the `caddy cors check` commands of a block. A
// command that does not split as a shell would split it is returned with
// args nil and err set.
func checkCommands(b docCodeBlock) ([]docCommand, []error) {
	lines := strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")
	var cmds []docCommand
	var errs []error
	for i := 0; i < len(lines); i++ {
		text, prompt := strings.CutPrefix(strings.TrimSpace(lines[i]), "$ ")
		if !isCheckCommand(text) {
			continue
		}
		c := docCommand{line: b.line + 1 + i, prompt: prompt}
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			text = strings.TrimSpace(strings.TrimSuffix(text, `\`)) + " " + strings.TrimSpace(lines[i])
		}
		c.text, c.next = text, i+1
		words, err := shellWords(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %q: %v", b.file, c.line, text, err))
			continue
		}
		for _, p := range checkCommandPrefixes {
			if len(words) >= len(p) && slices.Equal(words[:len(p)], p) {
				c.args, c.goRun = words[len(p):], p[0] == "go"
			}
		}
		cmds = append(cmds, c)
	}
	return cmds, errs
}

func isCheckCommand(text string) bool {
	for _, p := range checkCommandPrefixes {
		if strings.HasPrefix(text, strings.Join(p, " ")+" ") {
			return true
		}
	}
	return false
}

// isSyntaxLine tells a usage line from a command: it has [--optional]
// flags or <placeholders>.
func isSyntaxLine(text string) bool {
	return strings.Contains(text, "[--") || strings.Contains(text, "<")
}

// shellWords splits a command line as a POSIX shell does in the simple
// cases docs use: single and double quotes, backslash escapes. It stops
// at an unquoted #, |, ;, &, > or <: what follows is not the command's.
func shellWords(line string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	end := func() {
		if inWord {
			words = append(words, word.String())
		}
		word.Reset()
		inWord = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[i+1]):
				i++
				word.WriteRune(rs[i])
			default:
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			if i+1 < len(rs) {
				i++
				word.WriteRune(rs[i])
				inWord = true
			}
		case r == ' ' || r == '\t' || r == '\n':
			end()
		case r == '#' && !inWord, strings.ContainsRune("|;&><", r):
			end()
			return words, nil
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote", quote)
	}
	end()
	return words, nil
}

func TestDocCheckCommands(t *testing.T) {
	n := 0
	for _, lang := range checkCommandLangs {
		for _, b := range docBlocks(t, lang) {
			cmds, errs := checkCommands(b)
			for _, err := range errs {
				t.Error(err)
			}
			for _, c := range cmds {
				if isSyntaxLine(c.text) {
					continue
				}
				n++
				if _, err := parseCheckArgs(c.args); err != nil && !errors.Is(err, pflag.ErrHelp) {
					t.Errorf("%s:%d: %q does not parse: %v", b.file, c.line, c.text, err)
				}
			}
		}
	}
	t.Logf("%d caddy cors check commands parsed", n)
	if n < 2 {
		t.Errorf("found %d caddy cors check commands in the docs, want the transcript's and the --expect example's", n)
	}
}

// Each transcript is what the command prints, and exits with.
func TestCheckCommandDocTranscripts(t *testing.T) {
	n := 0
	for _, lang := range []string{"text", "console"} {
		for _, b := range docBlocks(t, lang) {
			cmds, _ := checkCommands(b)
			for _, c := range cmds {
				if !c.prompt || c.args == nil {
					continue
				}
				n++
				checkTranscript(t, b, c)
			}
		}
	}
	t.Logf("%d transcripts compared", n)
	if n == 0 {
		t.Error("no transcript of caddy cors check in the docs (a ```text block with \"$ go run ./cmd/caddy cors check ...\", its output, \"$ echo $?\" and the status)")
	}
}

// checkTranscript runs a transcript's command and compares: its output
// runs from the line after the command to the next "$ " line, which is
// "$ echo $?", followed by the exit status.
func checkTranscript(t *testing.T, b docCodeBlock, c docCommand) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")
	echo := c.next
	for echo < len(lines) && !strings.HasPrefix(lines[echo], "$ ") {
		echo++
	}
	if echo+1 >= len(lines) || lines[echo] != "$ echo $?" {
		t.Errorf("%s:%d: a transcript's output is followed by the line \"$ echo $?\" and the exit status", b.file, c.line)
		return
	}
	want := strings.Join(lines[c.next:echo], "\n") + "\n"
	wantStatus, err := strconv.Atoi(lines[echo+1])
	if err != nil {
		t.Errorf("%s:%d: exit status %q: %v", b.file, c.line, lines[echo+1], err)
		return
	}
	args, err := transcriptConfig(t, b, c.args)
	if err != nil {
		t.Errorf("%s:%d: %v", b.file, c.line, err)
		return
	}
	status, got, err := runCheckArgs(t, args...)
	shown := status
	if c.goRun && status != 0 {
		shown = 1 // go run exits 1 for any failure of the program
	}
	if shown != wantStatus {
		t.Errorf("%s:%d: %s\nexits %d (%v); the docs show %d", b.file, c.line, c.text, shown, err, wantStatus)
	}
	if got != want {
		t.Errorf("%s:%d: %s\n%s\nthe whole output:\n%s", b.file, c.line, c.text, firstDifference(got, want, b.line+1+c.next), got)
	}
}

// firstDifference names the first line where a command's output differs
// from a transcript's, by its line in the doc (the output's first line is
// the doc's line first).
func firstDifference(got, want string, first int) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; ; i++ {
		switch {
		case i >= len(g):
			return fmt.Sprintf("line %d: the docs show %q after the end of the output", first+i, w[i])
		case i >= len(w):
			return fmt.Sprintf("line %d: the output goes on with %q after the docs' last line", first+i, g[i])
		case g[i] != w[i]:
			return fmt.Sprintf("line %d: the docs show\n\t%q\nthe command prints\n\t%q", first+i, w[i], g[i])
		}
	}
}

// The command finder: prompts, continuations, quotes, comments and
// pipes; syntax lines are found and told apart.
func TestDocCheckCommandsFound(t *testing.T) {
	b := docCodeBlock{file: "a.md", line: 10, lang: "sh", text: "" +
		"caddy cors check [--config <file>] --origin <origin> \\\n\t[--json] <url>\n" +
		"$ go run ./cmd/caddy cors check --origin http://a.test \\\n\t--header 'Content-Type: application/json' http://b.test/ # a comment\n" +
		"output line\n" +
		"  caddy cors check --origin \"http://a.test\" --json http://b.test/ | jq .verdict\n" +
		"caddy reload --config Caddyfile\n" +
		"./caddy cors check --origin 'http://a.test\n"}
	cmds, errs := checkCommands(b)
	type got struct {
		line          int
		syntax        bool
		args          []string
		goRun, prompt bool
	}
	var gots []got
	for _, c := range cmds {
		gots = append(gots, got{c.line, isSyntaxLine(c.text), c.args, c.goRun, c.prompt})
	}
	want := []got{
		{11, true, []string{"[--config"}, false, false},
		{13, false, []string{"--origin", "http://a.test", "--header", "Content-Type: application/json", "http://b.test/"}, true, true},
		{16, false, []string{"--origin", "http://a.test", "--json", "http://b.test/"}, false, false},
	}
	if fmt.Sprint(gots) != fmt.Sprint(want) {
		t.Errorf("commands:\n%v\nwant:\n%v", gots, want)
	}
	if len(errs) != 1 || errs[0].Error() != `a.md:18: "./caddy cors check --origin 'http://a.test": unclosed ' quote` {
		t.Errorf("errors: %v", errs)
	}
	// parseCheckArgs, which the test uses, refuses what a doc could get wrong.
	for _, args := range [][]string{
		{"--origin", "http://a.test", "--orign", "x", "http://b.test/"},
		{"--origin", "http://a.test"},
		{"--origin", "http://a.test", "--expect", "allow", "http://b.test/"},
	} {
		if _, err := parseCheckArgs(args); err == nil {
			t.Errorf("%q parses", args)
		}
	}
}

// transcriptConfig resolves a transcript's "--config Caddyfile": there
// is no such file in the repository, and the doc means the Caddyfile it
// shows just above the transcript, the nearest ```caddyfile block before
// it in the same file. Other config paths (Caddyfile.example) are files
// of the repository and are left alone.
func transcriptConfig(t *testing.T, b docCodeBlock, args []string) ([]string, error) {
	i := slices.Index(args, "--config")
	if i < 0 || i+1 >= len(args) || args[i+1] != "Caddyfile" {
		return args, nil
	}
	var above *docCodeBlock
	for _, c := range readDoc(t, b.file).blocks {
		if c.lang == "caddyfile" && c.line < b.line {
			above = &c
		}
	}
	if above == nil {
		return nil, fmt.Errorf("--config Caddyfile, and no ```caddyfile block above the transcript to stand for it")
	}
	out := slices.Clone(args)
	out[i+1] = writeCaddyfile(t, above.text)
	return out, nil
}
