package origin

import (
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	cases := []struct {
		o    string
		want bool
	}{
		{"https://app.example.com", true},
		{"http://localhost:8080", true},
		{"http://127.0.0.1:9000", true},
		{"http://[::1]:8080", true},
		{"http://[::1]", true},
		{"http://[0:0::1]", false},
		{"http://[::1%25eth0]", false},
		{"http://[::1", false},
		{"http://[::g]", false},
		{"https://app.example.com:8443", true},
		{"https://my_site.example.com", true}, // browsers send '_' in hosts
		{"http://app.example.com:80", false},
		{"wss://a.example.com:443", false},
		{"https://a..example.com", false},
		{"https://", false},
		{"https://xn--bcher-kva.example", true},
		{"null", false},
		{"", false},
		{"https://App.example.com", false},     // browsers lower-case the host
		{"HTTPS://app.example.com", false},     // and the scheme
		{"https://app.example.com:443", false}, // and drop the default port
		{"https://app.example.com/", false},
		{"https://app.example.com/path", false},
		{"https://app.example.com?x=1", false},
		{"https://user@app.example.com", false},
		{"https://*.example.com", false},
		{"https://app.example.com:*", false},
		{"https://bücher.example", false},
		{"https://app.example.com\r\nX-Evil: 1", false},
		{"https://app example.com", false},
		{"https://app.example.com:0", false},
		{"https://app.example.com:65536", false},
		{"app.example.com", false},
		{"https://" + strings.Repeat("a", MaxLength), false},
	}
	for _, tc := range cases {
		if got := Canonical(tc.o); got != tc.want {
			t.Errorf("Canonical(%q) = %v, want %v", tc.o, got, tc.want)
		}
	}
}

func TestCanonicalDoesNotAllocate(t *testing.T) {
	for _, o := range []string{"https://app.example.com", "null", "https://App.example.com", "https://a.com/\r\n", "http://[::1]:8080", strings.Repeat("x", 1<<16)} {
		if n := testing.AllocsPerRun(100, func() { Canonical(o) }); n != 0 {
			t.Errorf("Canonical(%.40q) allocates %v times", o, n)
		}
	}
}

// FuzzCanonicalIsWhatParseSerializes: an Origin that Canonical accepts is
// one that Parse reads back to itself (or one whose host breaks only the
// IDNA rules that browsers do not apply and Parse does: a '_', a label
// that starts or ends with '-', "--" in a label's third and fourth
// places), and holds only
// characters that are safe in a URL query once escaped, never a control
// character.
func FuzzCanonicalIsWhatParseSerializes(f *testing.F) {
	for _, s := range []string{"https://app.example.com", "http://[::1]:8080", "null", "https://a.com:443", "https://A.com", "https://a.com/\r\n", "web+app://x.y:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		if !Canonical(o) {
			return
		}
		p, err := Parse(o)
		if err != nil && breaksOnlyStrictRules(o) {
			return
		}
		if err != nil || p.String() != o || p.Null || p.Subdomains || p.AnyPort() {
			t.Fatalf("Canonical(%q) but Parse gives %+v, %v", o, p, err)
		}
		for i := 0; i < len(o); i++ {
			if c := o[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("+-._:/[]", c) >= 0) {
				t.Fatalf("Canonical(%q) with byte %q", o, c)
			}
		}
	})
}

// breaksOnlyStrictRules reports whether the host of origin o has a '_', a
// label that starts or ends with '-', or "--" in a label's third and
// fourth places outside a punycode label: what IDNA's STD3 and hyphen
// rules refuse and browsers send.
func breaksOnlyStrictRules(o string) bool {
	_, host, _, ok := split(o)
	if !ok {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" {
			continue
		}
		if strings.Contains(label, "_") || label[0] == '-' || label[len(label)-1] == '-' ||
			len(label) >= 4 && label[2:4] == "--" && !strings.HasPrefix(label, "xn--") {
			return true
		}
	}
	return false
}
