package fetch

import "strings"

// Engine is a browser engine whose rules and words a check follows, where
// the browser suite found the engines to differ.
type Engine int

// The engines of the browser suite. The zero value is Chromium, the
// check's default.
const (
	Chromium Engine = iota
	Firefox
	WebKit
)

// EngineNames are the engines' names, as --browser takes them.
var EngineNames = []string{"chromium", "firefox", "webkit"}

// ParseEngine reads an engine's name (case-insensitive).
func ParseEngine(s string) (Engine, bool) {
	for i, n := range EngineNames {
		if strings.EqualFold(s, n) {
			return Engine(i), true
		}
	}
	return 0, false
}

// String is the engine's name, as --browser and --json write it.
func (e Engine) String() string {
	if int(e) < len(EngineNames) {
		return EngineNames[e]
	}
	return "unknown"
}

// Title is the engine's name as a person writes it, for text output.
func (e Engine) Title() string {
	switch e {
	case Firefox:
		return "Firefox"
	case WebKit:
		return "WebKit"
	}
	return "Chromium"
}

// HasWords reports whether the check knows the engine's console words:
// Chromium's and Firefox's are held against the browsers by the browser
// suite; WebKit's cannot be read over WebDriver classic, so the check
// gives WebKit's verdict and failure kind only.
func (e Engine) HasWords() bool { return e != WebKit }

// IsSafelistedRequestHeader is the CORS-safelisted request-header in e:
// the Fetch standard's, plus Chromium's client hints in Chromium. Firefox
// 153 preflights them (the browser suite's client-hint snippets).
func (e Engine) IsSafelistedRequestHeader(name, value string) bool {
	if e == Chromium {
		return IsSafelistedRequestHeader(name, value)
	}
	return isStandardSafelisted(name, value)
}

// UnsafeHeaderNames is UnsafeHeaderNames with e's safelist.
func (e Engine) UnsafeHeaderNames(headers []Header) []string {
	return unsafeHeaderNames(headers, e.IsSafelistedRequestHeader)
}

// NeedsPreflight is NeedsPreflight with e's safelist.
func (e Engine) NeedsPreflight(method string, headers []Header) bool {
	return !IsSafelistedMethod(method) || len(e.UnsafeHeaderNames(headers)) > 0
}

// PreflightRequestHeaders is PreflightRequestHeaders with e's safelist.
func (e Engine) PreflightRequestHeaders(method string, headers []Header) (acrm, acrh string) {
	return method, strings.Join(e.UnsafeHeaderNames(headers), ",")
}
