package fetch

// IsToken reports whether s is an RFC 9110 token: the syntax of method
// and header names.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// IsTchar reports whether c is an RFC 9110 tchar, a byte of a token.
func IsTchar(c byte) bool {
	return tchar[c]
}

// tchar is RFC 9110's tchar as a lookup table.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
