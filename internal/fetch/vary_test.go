package fetch

import "testing"

// Vary field values and whether they list Origin: tokens of any line, any
// case, with optional whitespace; "*" varies on everything; a name that
// merely contains Origin does not count.
var varyOrigin = []struct {
	name   string
	values []string
	want   bool
}{
	{"no Vary", nil, false},
	{"exactly Origin", []string{"Origin"}, true},
	{"lower case", []string{"origin"}, true},
	{"in a list", []string{"Accept-Encoding, Origin"}, true},
	{"in a list without spaces", []string{"Accept-Encoding,Origin,Accept"}, true},
	{"padded", []string{" \tOrigin \t"}, true},
	{"on a second line", []string{"Accept-Encoding", "Origin"}, true},
	{"star", []string{"*"}, true},
	{"star in a list", []string{"Accept, *"}, true},
	{"other names only", []string{"Accept-Encoding, Access-Control-Request-Method"}, false},
	{"a longer name", []string{"X-Origin, Origins"}, false},
	{"empty line", []string{""}, false},
	{"empty tokens", []string{" , ,"}, false},
}

func TestVaryHas(t *testing.T) {
	for _, tc := range varyOrigin {
		t.Run(tc.name, func(t *testing.T) {
			if got := VaryHas(tc.values, "Origin"); got != tc.want {
				t.Errorf("VaryHas(%q, Origin) = %v, want %v", tc.values, got, tc.want)
			}
		})
	}
}
