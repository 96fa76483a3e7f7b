package cors

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Every relative link of every doc resolves: [x](path), [x](path#anchor),
// [x](#anchor), images, reference definitions ([x]: path) and HTML href
// and src attributes. The path must name a file or directory of the
// repository (relative to the doc, or to the repository root when it
// starts with "/", as GitHub resolves them); the anchor must be a heading
// of the target markdown file, slugged as GitHub slugs it, or an HTML
// id/name there; in a file that is not markdown, only GitHub's line
// anchors (#L12, #L12-L20) within the file. External links (anything
// with a scheme: https, mailto) are not fetched. Links inside code (fenced
// blocks, inline code, HTML comments) are not links.
func TestDocLinks(t *testing.T) {
	c := newLinkChecker(".")
	var links int
	for _, file := range docFiles(t) {
		problems, n := c.check(file)
		links += n
		for _, p := range problems {
			t.Error(p)
		}
	}
	t.Logf("%d relative links checked", links)
	if links < 10 {
		t.Errorf("found %d relative links in the docs; the link finder is broken", links)
	}
}

// GitHub's heading slugs: lower case; every character but letters, marks,
// decimal digits, connector punctuation (the underscore), hyphens and
// spaces removed; each space a hyphen; inline code's backticks dropped,
// its text kept; a link's text kept.
var slugCases = []struct{ heading, slug string }{
	{"Origins your own service decides", "origins-your-own-service-decides"},
	{"Ask first: `caddy cors check`", "ask-first-caddy-cors-check"},
	{"Moving CORS to the edge", "moving-cors-to-the-edge"},
	{"Migrating from django-cors-headers", "migrating-from-django-cors-headers"},
	{"`report_only` and `passthrough_preflight`", "report_only-and-passthrough_preflight"},
	{"Summary (issue 4, 2026-11-26)", "summary-issue-4-2026-11-26"},
	{"Step 1: your settings.", "step-1-your-settings"},
	{"What *is* **CORS**?", "what-is-cors"},
	{"_Emphasis_ and snake_case", "emphasis-and-snake_case"},
	{"See [the docs](docs/json.md) — JSON", "see-the-docs--json"},
	{"Ünïcode héading", "ünïcode-héading"},
	{"a  b", "a--b"},
}

func TestDocSlug(t *testing.T) {
	for _, tc := range slugCases {
		if got := githubSlug(headingText(tc.heading)); got != tc.slug {
			t.Errorf("%q: slug %q, want %q", tc.heading, got, tc.slug)
		}
	}
}

// Headings get their anchors in order, a repeated one with -1, -2; a
// line in a fenced block is not a heading; setext headings count.
func TestDocAnchors(t *testing.T) {
	doc, _ := parseMarkdown("a.md", "# Title\n## Notes\n## Notes\n```sh\n# not a heading\n```\n### Notes #\nSetext\n------\n- list\n---\n<a id=\"custom\"></a>\n")
	got := headingAnchors(doc.prose)
	want := map[string]bool{"title": true, "notes": true, "notes-1": true, "notes-2": true, "setext": true, "custom": true}
	if !maps.Equal(got, want) {
		t.Errorf("anchors %v, want %v", got, want)
	}
}

// The checker finds every kind of broken link, each with its file:line,
// and passes the good ones.
func TestDocLinksCatchBroken(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("code.go", "package x\n\nfunc F() {}\n")
	write("docs/other.md", "# Other page\n## Ask first: `caddy cors check`\nBack to [the README](../README.md#top-heading).\n")
	write("README.md", strings.Join([]string{
		"# Top heading", // 1
		"Good: [a](#top-heading), [b](docs/other.md),",                                  // 2
		"[c](docs/other.md#ask-first-caddy-cors-check), [d](code.go#L3),",               // 3
		"[e](/docs/other.md), [f](https://example.com/#nope), [g](docs/),",              // 4
		"![img](code.go) [ref][good] [good] `[code](nowhere.md)`",                       // 5
		"<!-- [comment](nowhere.md) -->",                                                // 6
		"Bad: [h](#no-such-heading), [i](missing.md),",                                  // 7
		"[j](docs/other.md#ask-first), [k](code.go#L9), [l](code.go#func),",             // 8
		"[m](../outside.md), [n][undefined], [o](docs/#x), <a href=\"gone.html\">p</a>", // 9
		"[multi",                           // 10
		"line](#nowhere)",                  // 11
		"```md",                            // 12
		"[fenced](nowhere.md)",             // 13
		"```",                              // 14
		"[good]: docs/other.md#other-page", // 15
		"[bad]: docs/none.md",              // 16
		"",
	}, "\n"))
	c := newLinkChecker(root)
	problems, n := c.check("README.md")
	want := []string{
		`README.md:7: link "#no-such-heading": README.md has no heading with the anchor "no-such-heading"`,
		`README.md:7: link "missing.md": missing.md does not exist`,
		`README.md:8: link "docs/other.md#ask-first": docs/other.md has no heading with the anchor "ask-first"`,
		`README.md:8: link "code.go#L9": code.go has 3 lines`,
		`README.md:8: link "code.go#func": code.go is not markdown: only a line anchor (#L12, #L12-L20) can point into it`,
		`README.md:9: link "../outside.md": leaves the repository`,
		`README.md:9: reference [n][undefined]: no definition [undefined]: ...`,
		`README.md:9: link "docs/#x": docs/ is a directory: it has no anchors`,
		`README.md:9: link "gone.html": gone.html does not exist`,
		`README.md:10: link "#nowhere": README.md has no heading with the anchor "nowhere"`,
		`README.md:16: link "docs/none.md": docs/none.md does not exist`,
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	if n != 21 {
		t.Errorf("checked %d relative links, want 21", n)
	}
	if problems, _ := c.check("docs/other.md"); len(problems) != 0 {
		t.Errorf("docs/other.md: %q", problems)
	}
}

// linkChecker checks the links of the docs under root, reading each
// target's anchors once.
type linkChecker struct {
	root    string
	anchors map[string]map[string]bool // by slash path
}

func newLinkChecker(root string) *linkChecker {
	return &linkChecker{root: root, anchors: map[string]map[string]bool{}}
}

var (
	// inlineLink is [text](destination "title") or the same as an image;
	// text may hold one level of brackets and span lines.
	inlineLink = regexp.MustCompile(`\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)`)
	// refDefinition is [label]: destination, at the start of a line.
	refDefinition = regexp.MustCompile(`(?m)^ {0,3}\[([^\]]+)\]:[ \t]*(<[^<>\n]*>|\S+)`)
	// fullReference is [text][label] or [text][].
	fullReference = regexp.MustCompile(`\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\[([^\[\]]*)\]`)
	// shortcutReference is [label] alone: a link only when label is defined.
	shortcutReference = regexp.MustCompile(`\[([^\[\]]+)\]`)
	// htmlLink is an HTML attribute that links.
	htmlLink = regexp.MustCompile(`(?i)<[a-z][^>]*?\s(?:href|src)\s*=\s*"([^"]*)"`)
	// htmlAnchor is an HTML element's id or name, an anchor of its own.
	htmlAnchor = regexp.MustCompile(`(?i)<[a-z][^>]*?\s(?:id|name)\s*=\s*"([^"]*)"`)
	// hasScheme marks a link that leaves the repository (https:, mailto:).
	hasScheme  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	lineAnchor = regexp.MustCompile(`^L([0-9]+)(?:-L([0-9]+))?$`)
)

// check returns file's broken links, each as "file:line: ...", and how
// many relative links it checked.
func (c *linkChecker) check(file string) (problems []string, n int) {
	src, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return []string{err.Error()}, 0
	}
	doc, fenceProblems := parseMarkdown(file, string(src))
	text := maskInlineCode(strings.Join(doc.prose, "\n"))
	links, found, n := markdownLinks(text)
	for _, l := range links {
		if hasScheme.MatchString(l.dest) || strings.HasPrefix(l.dest, "//") {
			continue
		}
		n++
		if err := c.resolve(file, l.dest); err != nil {
			found = append(found, docProblem{l.offset, fmt.Sprintf("link %q: %v", l.dest, err)})
		}
	}
	slices.SortStableFunc(found, func(a, b docProblem) int { return a.offset - b.offset })
	problems = fenceProblems
	for _, p := range found {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", file, 1+strings.Count(text[:p.offset], "\n"), p.msg))
	}
	return problems, n
}

// docLink is a link's destination at an offset of a doc's text.
type docLink struct {
	offset int
	dest   string
}

// docProblem is a broken link at an offset of a doc's text.
type docProblem struct {
	offset int
	msg    string
}

// markdownLinks finds the destinations of a doc's prose (code masked):
// inline links and images, reference definitions, HTML href and src. It
// checks the references against the definitions itself: it returns those
// without one as problems, and how many references it checked.
func markdownLinks(text string) (links []docLink, problems []docProblem, refs int) {
	defs := map[string]bool{}
	for _, m := range refDefinition.FindAllStringSubmatchIndex(text, -1) {
		defs[refLabel(text[m[2]:m[3]])] = true
		links = append(links, docLink{m[4], text[m[4]:m[5]]})
	}
	// Each kind found is blanked before the next is looked for, so that
	// [a][b] is not also read as two shortcuts.
	rest := refDefinition.ReplaceAllStringFunc(text, blankKeepingLines)
	for _, m := range inlineLink.FindAllStringSubmatchIndex(rest, -1) {
		links = append(links, docLink{m[0], rest[m[2]:m[3]]})
	}
	rest = inlineLink.ReplaceAllStringFunc(rest, blankKeepingLines)
	for _, m := range fullReference.FindAllStringSubmatchIndex(rest, -1) {
		label := refLabel(rest[m[4]:m[5]])
		if label == "" {
			label = refLabel(rest[m[2]:m[3]]) // [text][]
		}
		refs++
		if !defs[label] {
			problems = append(problems, docProblem{m[0], fmt.Sprintf("reference %s: no definition [%s]: ...", rest[m[0]:m[1]], rest[m[4]:m[5]])})
		}
	}
	rest = fullReference.ReplaceAllStringFunc(rest, blankKeepingLines)
	for _, m := range shortcutReference.FindAllStringSubmatchIndex(rest, -1) {
		if defs[refLabel(rest[m[2]:m[3]])] {
			refs++ // its destination is checked at its definition
		}
	}
	for _, m := range htmlLink.FindAllStringSubmatchIndex(text, -1) {
		links = append(links, docLink{m[0], text[m[2]:m[3]]})
	}
	for i := range links {
		links[i].dest = strings.TrimSuffix(strings.TrimPrefix(links[i].dest, "<"), ">")
	}
	return links, problems, refs
}

func blankKeepingLines(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return ' '
	}, s)
}

// refLabel is a reference label as matched: case and runs of white space
// do not count.
func refLabel(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// resolve checks one relative destination of a link in file.
func (c *linkChecker) resolve(file, dest string) error {
	dest, _, _ = strings.Cut(dest, "?")
	p, anchor, hasAnchor := strings.Cut(dest, "#")
	p, err := url.PathUnescape(p)
	if err != nil {
		return err
	}
	anchor, err = url.PathUnescape(anchor)
	if err != nil {
		return err
	}
	target := file
	switch {
	case p == "":
		if !hasAnchor {
			return fmt.Errorf("empty link")
		}
	case strings.HasPrefix(p, "/"):
		target = path.Clean(strings.TrimPrefix(p, "/"))
	default:
		target = path.Join(path.Dir(file), p)
	}
	if target == ".." || strings.HasPrefix(target, "../") {
		return fmt.Errorf("leaves the repository")
	}
	info, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(target)))
	if err != nil {
		return fmt.Errorf("%s does not exist", p)
	}
	if !hasAnchor {
		return nil
	}
	switch {
	case info.IsDir():
		return fmt.Errorf("%s is a directory: it has no anchors", p)
	case strings.HasSuffix(target, ".md"):
		if !c.anchorsOf(target)[anchor] {
			return fmt.Errorf("%s has no heading with the anchor %q", target, anchor)
		}
		return nil
	}
	m := lineAnchor.FindStringSubmatch(anchor)
	if m == nil {
		return fmt.Errorf("%s is not markdown: only a line anchor (#L12, #L12-L20) can point into it", target)
	}
	src, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(target)))
	if err != nil {
		return err
	}
	lines := strings.Count(strings.TrimSuffix(string(src), "\n"), "\n") + 1
	for _, n := range m[1:] {
		if k, _ := strconv.Atoi(n); k > lines {
			return fmt.Errorf("%s has %d lines", target, lines)
		}
	}
	return nil
}

// anchorsOf returns the anchors of a markdown file of the repository.
func (c *linkChecker) anchorsOf(file string) map[string]bool {
	if a, ok := c.anchors[file]; ok {
		return a
	}
	src, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	a := map[string]bool{}
	if err == nil {
		doc, _ := parseMarkdown(file, string(src))
		a = headingAnchors(doc.prose)
	}
	c.anchors[file] = a
	return a
}

var (
	atxHeading    = regexp.MustCompile(`^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextUnder   = regexp.MustCompile(`^ {0,3}(?:=+|-+)[ \t]*$`)
	notParagraph  = regexp.MustCompile(`^\s*(?:$|[-*+>|]|[0-9]+[.)]\s|#{1,6}(?:\s|$))`)
	markdownLink  = regexp.MustCompile(`!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\([^)]*\)`)
	htmlTag       = regexp.MustCompile(`<[^>]*>`)
	underscoreEmp = regexp.MustCompile(`(^|[^\p{L}\p{N}_])_{1,2}([^_\s](?:[^_]*[^_\s])?)_{1,2}($|[^\p{L}\p{N}_])`)
)

// headingAnchors returns the anchors of a doc's prose: its headings'
// slugs, repeated ones numbered as GitHub numbers them, and HTML ids.
func headingAnchors(prose []string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	add := func(heading string) {
		slug := githubSlug(headingText(heading))
		result := slug
		for anchors[result] {
			seen[slug]++
			result = fmt.Sprintf("%s-%d", slug, seen[slug])
		}
		anchors[result] = true
	}
	for i, line := range prose {
		if m := atxHeading.FindStringSubmatch(line); m != nil {
			add(m[1])
			continue
		}
		if i > 0 && setextUnder.MatchString(line) && !notParagraph.MatchString(prose[i-1]) {
			add(prose[i-1])
		}
	}
	for _, m := range htmlAnchor.FindAllStringSubmatch(strings.Join(prose, "\n"), -1) {
		anchors[m[1]] = true
	}
	return anchors
}

// headingText is a heading's text as rendered: inline code's text
// without its backticks, a link's text, no HTML tags, no underscore
// emphasis (underscores inside words and code are kept).
func headingText(heading string) string {
	var out strings.Builder
	for i, part := range strings.Split(heading, "`") {
		if i%2 == 1 {
			out.WriteString(part) // inside inline code
			continue
		}
		part = markdownLink.ReplaceAllString(part, "$1")
		part = htmlTag.ReplaceAllString(part, "")
		part = underscoreEmp.ReplaceAllString(part, "$1$2$3")
		out.WriteString(part)
	}
	return strings.TrimSpace(out.String())
}

// githubSlug is GitHub's anchor for a heading's text.
func githubSlug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.In(r, unicode.Nd, unicode.Nl, unicode.Pc):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maskInlineCode blanks inline code spans and HTML comments, keeping
// every offset and line break, so that what they show is not read as a
// link.
func maskInlineCode(text string) string {
	b := []byte(text)
	for i := 0; i < len(b); {
		start := strings.Index(string(b[i:]), "<!--")
		if start < 0 {
			break
		}
		start += i
		end := strings.Index(string(b[start:]), "-->")
		if end < 0 {
			end = len(b) - start - 3
		}
		copy(b[start:], blankKeepingLines(string(b[start:start+end+3])))
		i = start + end + 3
	}
	for _, s := range inlineCodeSpans(string(b)) {
		copy(b[s.start:], blankKeepingLines(string(b[s.start:s.end])))
	}
	return string(b)
}

// codeSpan is an inline code span: text[start:end] with its backticks,
// and what it shows.
type codeSpan struct {
	start, end int
	content    string
}

// inlineCodeSpans finds the inline code spans of prose: a run of
// backticks is closed by the next run of the same length; a line break
// inside shows as a space.
func inlineCodeSpans(text string) []codeSpan {
	var spans []codeSpan
	run := func(i int) int { // the length of the backtick run at i
		n := 0
		for i+n < len(text) && text[i+n] == '`' {
			n++
		}
		return n
	}
	for i := 0; i < len(text); {
		if text[i] != '`' {
			i++
			continue
		}
		n := run(i)
		closeAt := -1
		for j := i + n; j < len(text); {
			if text[j] != '`' {
				j++
				continue
			}
			k := run(j)
			if k == n {
				closeAt = j
				break
			}
			j += k
		}
		if closeAt < 0 {
			i += n // a literal run of backticks
			continue
		}
		content := strings.ReplaceAll(text[i+n:closeAt], "\n", " ")
		spans = append(spans, codeSpan{i, closeAt + n, content})
		i = closeAt + n
	}
	return spans
}
