package fetch

import "strings"

// VaryHas reports whether the Vary field values list name (compared case
// insensitively, as header names are) or "*", which varies on everything.
// The values are the field's lines; each is a comma-separated list.
func VaryHas(values []string, name string) bool {
	for _, v := range values {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "*" || strings.EqualFold(tok, name) {
				return true
			}
		}
	}
	return false
}
