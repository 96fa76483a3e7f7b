package origin

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// reachCases: what an expression lets in that it does not name. They are
// also the fuzz seeds.
var reachCases = []struct {
	expr string
	want Reach
}{
	// Pinned: every registrable domain matched is written out.
	{`https://pr-[0-9]+\.preview\.example\.com`, Reach{}},
	{`https://([a-z0-9-]+\.)?example\.com`, Reach{}},
	{`https://(a|b)\.example\.com`, Reach{}},
	{`https://[a-z0-9-]+\.example\.com(:[0-9]+)?`, Reach{}},
	{`https://.*\.example\.com`, Reach{}}, // any subdomain, but only of example.com
	{`(?i)https://APP\.Example\.COM`, Reach{}},
	{`https://[eE]xample\.com`, Reach{}}, // one lower-case letter: pinned
	{`https://(foo|bar)\.com`, Reach{}},
	{`https://example\.(com|net|co\.uk)`, Reach{}},
	{`https://[a-z]+\.example\.co\.uk`, Reach{}},
	{`http://app[0-9]*\.example\.test:9180`, Reach{}},
	{`https://[a-z0-9-]+\.amazonaws\.com`, Reach{}}, // one label: the list's names below need two
	// This machine: localhost and loopback addresses, whatever the rest.
	{`http://localhost(:[0-9]+)?`, Reach{}},
	{`http://[a-z0-9-]+\.localhost(:[0-9]+)?`, Reach{}},
	{`http://127\.0\.0\.1(:[0-9]+)?`, Reach{}},
	{`http://127\.0\.0\.[0-9]+`, Reach{}},
	{`http://127(\.[0-9]+){3}`, Reach{}},
	{`http://\[::1\](:[0-9]+)?`, Reach{}},
	// Matches no origin a browser sends.
	{`[A-Z]+://EXAMPLE\.COM`, Reach{}},
	{`https://a/b`, Reach{}},
	{`https://[a-z]+\.example\.com\$`, Reach{}}, // "example.com$" is no registrable domain anyone sells

	// A registrable domain it does not spell out.
	{`https://a.*`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	{`https://app.*`, Reach{Kind: ReachDomain, Example: "https://app.com", Owner: "app.com", Suffix: "com"}},
	{`https://[a-z]+\.com`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	{`https://[a-m].*\.com`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	{`https://[a-z]{3}[a-z0-9]{9}\.com`, Reach{Kind: ReachDomain, Example: "https://aaaaaaaaaaaa.com", Owner: "aaaaaaaaaaaa.com", Suffix: "com"}},
	{`https://.*\.example\.co.*`, Reach{Kind: ReachDomain, Example: "https://a.example.coa.com", Owner: "coa.com", Suffix: "com"}},
	{`https://.*example\.com`, Reach{Kind: ReachDomain, Example: "https://aexample.com", Owner: "aexample.com", Suffix: "com"}},
	{`https://example\.com.*`, Reach{Kind: ReachDomain, Example: "https://example.coma.com", Owner: "coma.com", Suffix: "com"}},
	{`https://[a-z]+\.github\.io`, Reach{Kind: ReachDomain, Example: "https://a.github.io", Owner: "a.github.io", Suffix: "github.io"}},
	{`https://[a-z]+\.co\.uk`, Reach{Kind: ReachDomain, Example: "https://a.co.uk", Owner: "a.co.uk", Suffix: "co.uk"}},
	{`https://.*\.amazonaws\.com`, Reach{Kind: ReachDomain, Example: "https://a.us-east-1.amazonaws.com", Owner: "a.us-east-1.amazonaws.com", Suffix: "us-east-1.amazonaws.com"}},
	{`https://example\.[a-z]+`, Reach{Kind: ReachDomain, Example: "https://example.com", Owner: "example.com", Suffix: "com"}},
	{`.*`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	{`https?://.+`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	{`[a-z]+://[^/]+`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	// Names written as alternatives, which Go's parser would factor into
	// classes (ap[ip], example[12]); a class written as one is a pattern.
	{`https://(a|b)\.com`, Reach{}},
	{`https://(app|api)\.com`, Reach{}},
	{`https://(example1|example2)\.com(:[0-9]+)?`, Reach{}},
	{`(?i)https://(APP|API)\.com`, Reach{}},
	{`https://[ab]\.com`, Reach{Kind: ReachDomain, Example: "https://a.com", Owner: "a.com", Suffix: "com"}},
	{`https://example[12]\.com`, Reach{Kind: ReachDomain, Example: "https://example1.com", Owner: "example1.com", Suffix: "com"}},
	// One path spells a.com out; the example is b.com, which none does.
	{`https://(a\.com|[ab]\.com)`, Reach{Kind: ReachDomain, Example: "https://b.com", Owner: "b.com", Suffix: "com"}},
	// A label of symbols is a valid host, under a domain its owner controls.
	{`https://\$\.[a-z]+\.com`, Reach{Kind: ReachUnknown, Reason: "a class, wildcard or repetition reaches into the registrable domain of origins it may match, but the check found no such origin to show"}},
	// The dots are wildcards: an example never names what the text seems to write.
	{`https://app.example.com`, Reach{Kind: ReachDomain, Example: "https://appaexample.com", Owner: "appaexample.com", Suffix: "com"}},

	// A host with no registrable domain, or an address.
	{`http://[a-z]+(:[0-9]+)?`, Reach{Kind: ReachHost, Example: "http://a", Owner: "a"}},
	{`http://192\.168\.1\.[0-9]+`, Reach{Kind: ReachAddress, Example: "http://192.168.1.1", Owner: "192.168.1.1"}},
	{`http://[0-9.]+:8080`, Reach{Kind: ReachAddress, Example: "http://1.1.1.1:8080", Owner: "1.1.1.1"}},
	{`http://\[[0-9a-f:]+\]`, Reach{Kind: ReachAddress, Example: "http://[fe80::1]", Owner: "[fe80::1]"}},

	// Not tuple origins.
	{`null|https://app\.example\.com`, Reach{Kind: ReachNull, Example: "null"}},
	{`https://app\.example\.com|file://`, Reach{Kind: ReachFile, Example: "file://"}},

	// Two labels under amazonaws.com may reach a suffix of the list below
	// it, but none that two numbers write.
	{`https://[0-9]+\.[0-9]+\.amazonaws\.com`, Reach{Kind: ReachUnknown, Reason: "it lets in names under amazonaws.com, where the public suffix list has suffixes under which others register names (us-east-1.amazonaws.com, for one), but no such name it matches was found"}},
	// A repeated literal spells no fixed name, and here no example is left.
	{`https://example\.com(\.example\.com)*`, Reach{Kind: ReachUnknown, Reason: "a class, wildcard or repetition reaches into the registrable domain of origins it may match, but the check found no such origin to show"}},
}

// spellAlternativesCases: each alternative in a capture of its own, the
// rest as written.
var spellAlternativesCases = []struct{ in, want string }{
	{`https://(app|api)\.com`, `https://((app)|(api))\.com`},
	{`a|b`, `(a)|(b)`},
	{`(?:a|b(c|d))|e`, `((?:(a)|(b((c)|(d)))))|(e)`},
	{`(?P<x>a|b)`, `(?P<x>(a)|(b))`},
	{`(?i:a|b)`, `(?i:(a)|(b))`},
	{`[|(]a|\|b`, `([|(]a)|(\|b)`},
	{`\Qa|b\E|c`, `(\Qa|b\E)|(c)`},
	{`\Qa|b`, `\Qa|b`},
	{`a\)|b`, `(a\))|(b)`},
	// A flag set before "|" reaches past it: that alternation stays.
	{`(?i)a|b`, `(?i)a|b`},
	{`x(?i)(a|b)|c`, `x(?i)((a)|(b))|c`},
	{`abc`, `abc`},
}

func TestSpellAlternatives(t *testing.T) {
	for _, tc := range spellAlternativesCases {
		if got := spellAlternatives(tc.in); got != tc.want {
			t.Errorf("spellAlternatives(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestRegexpReach(t *testing.T) {
	for _, tc := range reachCases {
		if got := RegexpReach(tc.expr); got != tc.want {
			t.Errorf("RegexpReach(%s):\n got %+v\nwant %+v", tc.expr, got, tc.want)
		}
	}
}

// An expression past the search's bounds is one the check cannot tell.
func TestRegexpReachTooLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString(`https://(`)
	for i := range 4000 {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString("site" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)))
	}
	b.WriteString(`)\.example\.com`)
	got := RegexpReach(b.String())
	if got.Kind != ReachUnknown || got.Reason != "it is too large for the check to follow" {
		t.Fatalf("got %+v, want ReachUnknown for the size", got)
	}
}

// reachFamily builds origin expressions from parts, covering each way a
// part can pin a name or not: the whole family of the probe check it
// replaces (with "https://app.*", which that check had to leave out), and
// pairs of subdomain and domain parts over multi-label public suffixes,
// private suffixes, addresses and localhost.
func reachFamily() []string {
	var family []string
	for _, s := range []string{`https://`, `https?://`, `[a-z]+://`, `.*//`} {
		for _, h := range []string{`.*`, `.+`, `[^.]+`, `[a-z0-9-]+`, `\w+`, `[[:alnum:]]+`, `app`, `(app|www)`} {
			for _, d := range []string{``, `\.com`, `\.invalid`, `\.example`, `\.example\.com`, `(\.[a-z0-9]+)+`, `\..*`, `\.corp\.example\.net`} {
				for _, p := range []string{``, `(:[0-9]+)?`, `.*`} {
					family = append(family, s+h+d+p)
				}
			}
		}
	}
	schemes := []string{`https://`, `(?i)HTTPS://`, `https?://`, `[a-z]+://`, `.*//`}
	ports := []string{``, `(:[0-9]+)?`, `:8080`, `.*`}
	subs := []string{``, `app\.`, `(app|www)\.`, `[a-z0-9-]+\.`, `([a-z0-9-]+\.)?`, `([a-z0-9-]+\.)*`, `.*\.`, `.*`, `[^.]+\.`, `pr-[0-9]+\.`, `[a-m].*`, `app.*`}
	domains := []string{`example\.com`, `com`, `[a-z]+\.com`, `example\.co.*`, `example\.co\.uk`, `[a-z]+\.co\.uk`,
		`github\.io`, `[a-z]+\.github\.io`, `example\.(com|net)`, `example.com`, `(foo|bar)\.com`, `[a-z]`,
		`localhost`, `127\.0\.0\.1`, `127\.0\.0\.[0-9]+`, `192\.168\.1\.[0-9]+`, `[0-9.]+`,
		`amazonaws\.com`, `us-east-1\.amazonaws\.com`, `example\.[a-z]+`, `\[::1\]`, `\[[0-9a-f:]+\]`}
	i := 0
	for _, sub := range subs {
		for _, d := range domains {
			family = append(family, schemes[i%len(schemes)]+sub+d+ports[i/len(schemes)%len(ports)])
			i++
		}
	}
	return family
}

// The property of the analysis, over the family: every expression it
// accepts pins its registrable domains (every origin it is seen to match
// has its registrable domain, host or address written in it, or is this
// machine), and every one it refuses matches its example, which parses as
// an origin and whose registrable domain it does not spell out.
func TestRegexpsPinTheirDomains(t *testing.T) {
	counts := make(map[ReachKind]int)
	for _, expr := range reachFamily() {
		counts[checkReach(t, expr, 64)]++
	}
	if counts[ReachUnknown] > 0 {
		t.Errorf("the check cannot tell %d expressions of the family", counts[ReachUnknown])
	}
	// Not vacuous: the family holds both kinds, and each kind of finding.
	if counts[ReachNone] < 100 || counts[ReachDomain] < 100 || counts[ReachHost] == 0 || counts[ReachAddress] == 0 {
		t.Errorf("verdicts over the family: %v; want at least 100 accepted, 100 domains, some hosts and addresses", counts)
	}
}

// FuzzRegexpsPinTheirDomains: the property above holds for any
// expression, and reading one never panics.
func FuzzRegexpsPinTheirDomains(f *testing.F) {
	for _, tc := range reachCases {
		f.Add(tc.expr)
	}
	for i, expr := range reachFamily() {
		if i%16 == 0 {
			f.Add(expr)
		}
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > 200 {
			return // keep each input's search small; size is TestRegexpReachTooLarge's
		}
		checkReach(t, expr, 16)
	})
}

// checkReach checks the property for one expression against an oracle
// of its own: it samples what an accepted expression matches by random
// walks through its program (seeded: the same walks every run) and tries
// a list of outsiders' origins; it follows a refused one's example
// through the program by backtracking.
func checkReach(t *testing.T, expr string, walks int) ReachKind {
	t.Helper()
	r := RegexpReach(expr)
	re, err := CompileRegexp(expr)
	if err != nil {
		if r != (Reach{}) {
			t.Fatalf("%s does not compile, yet reaches %+v", expr, r)
		}
		return r.Kind
	}
	// Names written as alternatives count as written, as in the analysis,
	// which keeps them apart from Go's factoring by wrapping each in a
	// capture; the wrapped expression must match what the expression does.
	tree, err := syntax.Parse(spellAlternatives(expr), syntax.Perl)
	if err != nil {
		tree, _ = syntax.Parse(expr, syntax.Perl)
	}
	p, err := syntax.Compile(tree.Simplify())
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	spelled, err := compileAnchored(tree)
	if err != nil {
		t.Fatalf("%s spelled out as %s: %v", expr, tree, err)
	}
	agree := func(o string) {
		if re.MatchString(o) != spelled.MatchString(o) {
			t.Fatalf("%s and its alternatives spelled out (%s) disagree on %q", expr, spellAlternatives(expr), o)
		}
	}
	for _, o := range append([]string{"null", "file://", r.Example}, outsiders...) {
		agree(o)
	}
	switch r.Kind {
	case ReachNone:
		if re.MatchString("null") || re.MatchString("file://") {
			t.Fatalf("%s is accepted but matches null or file://", expr)
		}
		for _, o := range append(sampleOrigins(p, spelled, expr, walks), outsiders...) {
			agree(o)
			if !re.MatchString(o) || !Canonical(o) {
				continue
			}
			if owner, span, ok := oracleOwner(o); ok && !oraclePins(p, o, span, ownerAlphabet(owner)) {
				t.Fatalf("%s is accepted but matches %q, whose %s it does not spell out", expr, o, owner)
			}
		}
	case ReachDomain, ReachHost, ReachAddress:
		if !re.MatchString(r.Example) {
			t.Fatalf("%s: example %q does not match", expr, r.Example)
		}
		if pat, err := Parse(r.Example); err != nil || pat.String() != r.Example || !Canonical(r.Example) {
			t.Fatalf("%s: example %q is not an origin as browsers send it (%v)", expr, r.Example, err)
		}
		owner, span, ok := oracleOwner(r.Example)
		if !ok || owner != r.Owner {
			t.Fatalf("%s: example %q is held by %q (by a third party: %v), not %q", expr, r.Example, owner, ok, r.Owner)
		}
		if oraclePins(p, r.Example, span, ownerAlphabet(owner)) {
			t.Fatalf("%s: example %q names %s, which it spells out", expr, r.Example, owner)
		}
		if r.Kind == ReachDomain && r.Suffix == "" || r.Kind != ReachDomain && r.Suffix != "" {
			t.Fatalf("%s: %+v: a suffix goes with a domain", expr, r)
		}
	case ReachNull:
		if !re.MatchString("null") {
			t.Fatalf("%s: reaches null, which it does not match", expr)
		}
	case ReachFile:
		if !re.MatchString("file://") {
			t.Fatalf("%s: reaches file://, which it does not match", expr)
		}
	case ReachUnknown:
		if r.Reason == "" || r.Example != "" {
			t.Fatalf("%s: %+v: an unknown reach has a reason and no example", expr, r)
		}
	}
	return r.Kind
}

// outsiders are origins a third party could hold.
var outsiders = []string{
	"https://a.com", "http://a.com", "https://evil.com", "https://a.example.com.evil.net", "https://exampleevil.com",
	"https://a.co.uk", "https://example.co.uk", "https://a.github.io", "http://a", "http://10.0.0.1", "http://192.168.1.7",
	"https://a.s3.amazonaws.com", "http://[2001:db8::1]", "https://app.com", "https://www.com", "https://app.example",
}

// oracleOwner returns what a third party would hold to send o, and the
// span of o that writes it; ok is false for this machine, and for a host
// that is no origin a browser sends.
func oracleOwner(o string) (owner string, span [2]int, ok bool) {
	scheme, rest, _ := strings.Cut(o, "://")
	host := rest
	if strings.HasPrefix(rest, "[") {
		host = rest[:strings.IndexByte(rest, ']')+1]
	} else if i := strings.IndexByte(rest, ':'); i >= 0 {
		host = rest[:i]
	}
	end := len(scheme) + 3 + len(host)
	last := host[strings.LastIndexByte(host, '.')+1:]
	if strings.HasPrefix(host, "[") || last != "" && strings.Trim(last, "0123456789") == "" {
		// An address: browsers parse a name ending in a number as IPv4
		// and send it in canonical form, or refuse the URL.
		addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
		if err != nil || addr.Is4() != (host[0] != '[') || strings.Trim(host, "[]") != addr.String() {
			return "", [2]int{}, false
		}
		return host, [2]int{end - len(host), end}, !addr.IsLoopback()
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return host, [2]int{}, false
	}
	owner = host
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		owner = d
	}
	return owner, [2]int{end - len(owner), end}, true
}

func ownerAlphabet(owner string) string {
	if strings.HasPrefix(owner, "[") {
		return "0123456789abcdef:.[]"
	}
	return "abcdefghijklmnopqrstuvwxyz0123456789-_.!$&'()*+,;=`{}~\""
}

// oraclePins reports whether some path through p matches all of s and
// reads every character of s[span] through an instruction that allows
// exactly one character of alphabet and lies on no cycle. It backtracks,
// unlike the Pike VM the analysis uses.
func oraclePins(p *syntax.Prog, s string, span [2]int, alphabet string) bool {
	type state struct {
		pc  uint32
		i   int
		pin bool
	}
	done := make(map[state]bool)
	var walk func(pc uint32, i int, pin bool) bool
	walk = func(pc uint32, i int, pin bool) bool {
		st := state{pc, i, pin}
		if done[st] {
			return false // visited: either under way (an empty loop) or failed
		}
		done[st] = true
		inst := &p.Inst[pc]
		switch inst.Op {
		case syntax.InstMatch:
			return i == len(s) && pin
		case syntax.InstFail:
			return false
		case syntax.InstAlt, syntax.InstAltMatch:
			return walk(inst.Out, i, pin) || walk(inst.Arg, i, pin)
		case syntax.InstCapture, syntax.InstNop:
			return walk(inst.Out, i, pin)
		case syntax.InstEmptyWidth:
			before, after := rune(-1), rune(-1)
			if i > 0 {
				before = rune(s[i-1])
			}
			if i < len(s) {
				after = rune(s[i])
			}
			if syntax.EmptyOp(inst.Arg)&^syntax.EmptyOpContext(before, after) != 0 {
				return false
			}
			return walk(inst.Out, i, pin)
		}
		if i == len(s) || !inst.MatchRune(rune(s[i])) {
			return false
		}
		if span[0] <= i && i < span[1] {
			n := 0
			for _, c := range alphabet {
				if inst.MatchRune(c) {
					n++
				}
			}
			pin = pin && n == 1 && !reaches(p, inst.Out, pc)
		}
		return walk(inst.Out, i+1, pin)
	}
	return walk(uint32(p.Start), 0, true)
}

// reaches reports whether pc target can be reached from pc from.
func reaches(p *syntax.Prog, from, target uint32) bool {
	seen := make(map[uint32]bool)
	stack := []uint32{from}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if pc == target {
			return true
		}
		if seen[pc] {
			continue
		}
		seen[pc] = true
		inst := &p.Inst[pc]
		switch inst.Op {
		case syntax.InstMatch, syntax.InstFail:
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, inst.Out, inst.Arg)
		default:
			stack = append(stack, inst.Out)
		}
	}
	return false
}

// sampleOrigins walks p at random from a seed taken from the expression,
// choosing branches and characters (mostly those of host names), and
// returns the walks that end in a match and are origins.
func sampleOrigins(p *syntax.Prog, re *regexp.Regexp, expr string, n int) []string {
	var seed uint64
	for i := 0; i < len(expr); i++ {
		seed = seed*31 + uint64(expr[i])
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	const common = "abcdefghijklmnopqrstuvwxyz0123456789..."
	const rare = "-_:/[]"
	var out []string
	for range n * 4 {
		var b []byte
		pc := uint32(p.Start)
		for steps := 0; steps < 300 && len(b) < 80; steps++ {
			inst := &p.Inst[pc]
			switch inst.Op {
			case syntax.InstMatch:
				steps = 300
				continue
			case syntax.InstFail:
				b = nil
				steps = 300
				continue
			case syntax.InstAlt, syntax.InstAltMatch:
				pc = inst.Out
				if rng.IntN(2) == 0 {
					pc = inst.Arg
				}
				continue
			case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
				pc = inst.Out
				continue
			}
			var choices []byte
			for _, set := range [...]string{common, rare} {
				for i := 0; i < len(set); i++ {
					if inst.MatchRune(rune(set[i])) {
						choices = append(choices, set[i])
					}
				}
				if len(choices) > 0 && rng.IntN(10) > 0 {
					break
				}
			}
			if len(choices) == 0 {
				b = nil
				break
			}
			b = append(b, choices[rng.IntN(len(choices))])
			pc = inst.Out
		}
		if o := string(b); b != nil && re.MatchString(o) && Canonical(o) {
			out = append(out, o)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// Only instructions inside a repetition can consume twice in one match.
func TestOnCycle(t *testing.T) {
	tree, _ := syntax.Parse(`a(bc)*d(e|f)+g?`, syntax.Perl)
	p, _ := syntax.Compile(tree.Simplify())
	cyclic := onCycle(p)
	got := ""
	for pc, inst := range p.Inst {
		if consumes(&inst) && cyclic[pc] {
			got += string(inst.Rune)
		}
	}
	if !sameLetters(got, "bcef") {
		t.Fatalf("repeatable instructions consume %q, want b, c, e and f", got)
	}
}

func sameLetters(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range b {
		if !strings.ContainsRune(a, c) {
			return false
		}
	}
	return true
}

// BenchmarkRegexpReach: the analysis of one expression that spells out
// its domain, and of one that does not (which also writes an example).
func BenchmarkRegexpReach(b *testing.B) {
	for _, bc := range []struct{ name, expr string }{
		{"accepted", `https://pr-[0-9]+\.preview\.example\.com`},
		{"refused", `https://pr-[0-9]+\.preview\.example\.co.*`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				RegexpReach(bc.expr)
			}
		})
	}
}
