package origin

import (
	"strings"
	"sync"
)

// suffixBelow describes the public suffixes that the list has below a
// domain that is not one itself (s3.amazonaws.com below amazonaws.com):
// the fewest labels one adds, and one such suffix. A name that many labels
// or more below the domain may be registrable by a third party although
// the domain is not, so an expression that pins the domain and not the
// labels on its left does not pin the registrable domain.
// golang.org/x/net/publicsuffix answers for one name at a time and cannot
// list what lies below one, hence psl_table.go, made from the same copy of
// the list (see TestPublicSuffixParents). Wildcard rules ("*.kawasaki.jp")
// are left out: the search sees them by asking about a placeholder label.
type suffixBelow struct {
	depth  int
	sample string
}

// publicSuffixParents reads psl_table.go once, when a search first needs it.
var publicSuffixParents = sync.OnceValue(func() map[string]suffixBelow {
	parents := make(map[string]suffixBelow)
	for line := range strings.Lines(publicSuffixParentsText) {
		parent, below, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok {
			parents[parent] = suffixBelow{strings.Count(below, ".") + 1, below + "." + parent}
		}
	}
	return parents
})

// PublicSuffixBelow returns a public suffix that the list has below
// domain, which is not one itself (s3.amazonaws.com below amazonaws.com),
// or "" when there is none: a "*." pattern on domain then lets in sites
// that anyone can register under that suffix.
func PublicSuffixBelow(domain string) string {
	return publicSuffixParents()[domain].sample
}
