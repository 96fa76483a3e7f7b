package cors

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The docs are held to the code wherever a block lives: tests find a
// block by what it says (docBlock), never by its file or position, so text
// can move between README.md and the pages under docs/ without a test
// being rewritten. What is checked of every doc, and the conventions a
// doc writer follows, are in doclinks_test.go (links and anchors),
// docconfig_test.go (Caddyfile and JSON blocks, refused blocks) and
// doccommands_test.go (command lines, transcripts, the test command).

// docFiles are the repository's docs, as slash paths from the repository
// root: README.md, CONTRIBUTING.md (when there is one), BENCHMARKS.md and
// every .md under docs/.
func docFiles(t testing.TB) []string {
	t.Helper()
	files := []string{"README.md", "BENCHMARKS.md"}
	if _, err := os.Stat("CONTRIBUTING.md"); err == nil {
		files = append(files, "CONTRIBUTING.md")
	}
	err := filepath.WalkDir("docs", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// docCodeBlock is one fenced code block of a doc.
type docCodeBlock struct {
	file string // slash path from the repository root
	line int    // the line of the opening fence, from 1
	lang string // the info string's first word, lower-cased: "caddyfile", "json", "sh"
	info string // the rest of the info string, trimmed
	text string // the content, the fence's indentation removed; each line ends in "\n"
}

// where is the block's file:line, for messages.
func (b docCodeBlock) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// markdownDoc is a doc split into its fenced code blocks and its prose:
// prose has one entry per line of the file, fenced lines (fences
// included) blank, so that line numbers stay those of the file.
type markdownDoc struct {
	blocks []docCodeBlock
	prose  []string
}

// parseMarkdown finds the fenced code blocks of a CommonMark document:
// an opening fence is three or more backticks (or tildes), indented
// (inside a list item) or not, with an optional info string; the block
// ends at a line of at least as many of the same character and nothing
// else. The fence's indentation is removed from each content line, as
// a renderer does. An unclosed fence is a problem: it swallows the rest
// of the file.
func parseMarkdown(file, src string) (markdownDoc, []string) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	doc := markdownDoc{prose: make([]string, len(lines))}
	var problems []string
	for i := 0; i < len(lines); i++ {
		indent, fence, info, ok := openingFence(lines[i])
		if !ok {
			doc.prose[i] = lines[i]
			continue
		}
		b := docCodeBlock{file: file, line: i + 1}
		b.lang, b.info, _ = strings.Cut(info, " ")
		b.lang = strings.ToLower(b.lang)
		b.info = strings.TrimSpace(b.info)
		var body strings.Builder
		closed := false
		for i++; i < len(lines); i++ {
			if closingFence(lines[i], fence) {
				closed = true
				break
			}
			body.WriteString(dedent(lines[i], indent) + "\n")
		}
		if !closed {
			problems = append(problems, fmt.Sprintf("%s: the fence opened here is never closed", b.where()))
		}
		b.text = body.String()
		doc.blocks = append(doc.blocks, b)
	}
	return doc, problems
}

// openingFence reads a line as an opening code fence: its indentation,
// the fence itself and the info string.
func openingFence(line string) (indent, fence, info string, ok bool) {
	rest := strings.TrimLeft(line, " \t")
	indent = line[:len(line)-len(rest)]
	for _, c := range []string{"`", "~"} {
		n := len(rest) - len(strings.TrimLeft(rest, c))
		if n < 3 {
			continue
		}
		info = strings.TrimSpace(rest[n:])
		if c == "`" && strings.Contains(info, "`") {
			return "", "", "", false // inline code, not a fence
		}
		return indent, rest[:n], info, true
	}
	return "", "", "", false
}

// closingFence tells whether line closes a block opened by fence.
func closingFence(line, fence string) bool {
	rest := strings.TrimSpace(line)
	return len(rest) >= len(fence) && strings.Trim(rest, fence[:1]) == ""
}

// dedent removes up to len(indent) characters of leading white space.
func dedent(line, indent string) string {
	for i := 0; i < len(indent) && line != "" && (line[0] == ' ' || line[0] == '\t'); i++ {
		line = line[1:]
	}
	return line
}

// readDoc reads and parses one doc; an unclosed fence fails the test.
func readDoc(t testing.TB, file string) markdownDoc {
	t.Helper()
	src, err := os.ReadFile(filepath.FromSlash(file))
	if err != nil {
		t.Fatal(err)
	}
	doc, problems := parseMarkdown(file, string(src))
	for _, p := range problems {
		t.Error(p)
	}
	return doc
}

// docBlocks returns every fenced block of the docs in language lang
// ("caddyfile", "json", "sh", "text"; "" for every language), in file
// order.
func docBlocks(t testing.TB, lang string) []docCodeBlock {
	t.Helper()
	var out []docCodeBlock
	for _, file := range docFiles(t) {
		for _, b := range readDoc(t, file).blocks {
			if lang == "" || b.lang == lang {
				out = append(out, b)
			}
		}
	}
	return out
}

// docBlock returns the one block of the docs in language lang that
// contains marker, wherever it lives. It fails the test when no block or
// more than one does, naming them: a marker is a block's own distinctive
// content, and must stay unique as the docs move.
func docBlock(t testing.TB, lang, marker string) docCodeBlock {
	t.Helper()
	b, err := findDocBlock(docBlocks(t, lang), lang, marker)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// findDocBlock is docBlock's choice among blocks.
func findDocBlock(blocks []docCodeBlock, lang, marker string) (docCodeBlock, error) {
	var found []docCodeBlock
	for _, b := range blocks {
		if b.lang == lang && strings.Contains(b.text, marker) {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return docCodeBlock{}, fmt.Errorf("no ```%s block of the docs contains %q", lang, marker)
	}
	var where []string
	for _, b := range found {
		where = append(where, b.where())
	}
	return docCodeBlock{}, fmt.Errorf("%d ```%s blocks of the docs contain %q, want one: %s; pick a marker only one of them has",
		len(found), lang, marker, strings.Join(where, ", "))
}

// The fence parser finds blocks at any indentation, takes the language
// from the info string, keeps line numbers, leaves inline code alone and
// reports an unclosed fence.
func TestDocParseMarkdown(t *testing.T) {
	src := "# T\n" +
		"```caddyfile\n:80 {\n\tcors a\n}\n```\n" +
		"- item:\n\n  ```sh\n  caddy cors check \\\n  \t--origin x\n  ```\n" +
		"````json refused: nope\n{\"a\": \"```\"}\n````\n" +
		"``` not a fence ``` but inline code\n" +
		"~~~\nplain\n~~~\n" +
		"```text\nnever closed\n"
	doc, problems := parseMarkdown("a.md", src)
	want := []docCodeBlock{
		{"a.md", 2, "caddyfile", "", ":80 {\n\tcors a\n}\n"},
		{"a.md", 9, "sh", "", "caddy cors check \\\n\t--origin x\n"},
		{"a.md", 13, "json", "refused: nope", "{\"a\": \"```\"}\n"},
		{"a.md", 17, "", "", "plain\n"},
		{"a.md", 20, "text", "", "never closed\n\n"},
	}
	if !slices.Equal(doc.blocks, want) {
		t.Errorf("blocks:\n%+v\nwant:\n%+v", doc.blocks, want)
	}
	if want := []string{"a.md:20: the fence opened here is never closed"}; !slices.Equal(problems, want) {
		t.Errorf("problems %q, want %q", problems, want)
	}
	if doc.prose[0] != "# T" || doc.prose[2] != "" || doc.prose[15] != "``` not a fence ``` but inline code" || len(doc.prose) != 22 {
		t.Errorf("prose lines: %q", doc.prose)
	}
}

// docBlock's choice: exactly one block, or an error naming them all.
func TestDocBlockIsUnique(t *testing.T) {
	blocks := []docCodeBlock{
		{file: "README.md", line: 3, lang: "caddyfile", text: "a {\n\tcors one\n}\n"},
		{file: "docs/x.md", line: 7, lang: "caddyfile", text: "b {\n\tcors one two\n}\n"},
		{file: "docs/x.md", line: 9, lang: "json", text: `{"two": 1}`},
	}
	if b, err := findDocBlock(blocks, "caddyfile", "two"); err != nil || b.where() != "docs/x.md:7" {
		t.Errorf("two: %v %v", b.where(), err)
	}
	if _, err := findDocBlock(blocks, "caddyfile", "one"); err == nil ||
		err.Error() != "2 ```caddyfile blocks of the docs contain \"one\", want one: README.md:3, docs/x.md:7; pick a marker only one of them has" {
		t.Errorf("one: %v", err)
	}
	if _, err := findDocBlock(blocks, "caddyfile", "three"); err == nil || err.Error() != "no ```caddyfile block of the docs contains \"three\"" {
		t.Errorf("three: %v", err)
	}
}
