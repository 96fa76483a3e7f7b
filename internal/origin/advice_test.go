package origin

import (
	"reflect"
	"testing"
)

// adviceCases: what reading an expression as a django user wrote it finds.
var adviceCases = []struct {
	expr string
	want RegexpAdvice
}{
	{`(?:https?:\/\/)127.0.0.1:*`, RegexpAdvice{
		PortTail: ":*", PortRefused: "http://127.0.0.1:3000",
		PortOrigins: []string{"http://127.0.0.1:*", "https://127.0.0.1:*"},
		PortRegexp:  `(?:https?:\/\/)127\.0\.0\.1(:[0-9]+)?`,
		Escaped:     `(?:https?:\/\/)127\.0\.0\.1:*`, DotExample: "http://127a0a0a1",
	}},
	{`(?:https?:\/\/)localhost:*`, RegexpAdvice{
		PortTail: ":*", PortRefused: "http://localhost:3000",
		PortOrigins: []string{"http://localhost:*", "https://localhost:*"},
		PortRegexp:  `(?:https?:\/\/)localhost(:[0-9]+)?`,
	}},
	{`http://localhost\:*$`, RegexpAdvice{
		PortTail: `\:*`, PortRefused: "http://localhost:3000",
		PortOrigins: []string{"http://localhost:*"}, PortRegexp: `http://localhost(:[0-9]+)?`,
	}},
	{`http://localhost:\d*`, RegexpAdvice{
		PortTail: `:\d*`, PortRefused: "http://localhost",
		PortOrigins: []string{"http://localhost:*"}, PortRegexp: `http://localhost(:[0-9]+)?`,
	}},
	{`https://[a-z]+\.example\.com:[0-9]*`, RegexpAdvice{
		PortTail: `:[0-9]*`, PortRefused: "https://a.example.com",
		PortRegexp: `https://[a-z]+\.example\.com(:[0-9]+)?`, // no fixed origins to list
	}},
	{`https://app.example.com`, RegexpAdvice{
		Escaped: `https://app\.example\.com`, DotExample: "https://appaexampleacom",
		PrefixOnly: "https://app.example.com:8080",
	}},
	{`https://(www|api).example.com$`, RegexpAdvice{
		Escaped: `https://(www|api)\.example\.com$`, DotExample: "https://wwwaexampleacom",
	}},
	{`https://[a-z]+.example.com`, RegexpAdvice{
		Escaped: `https://[a-z]+\.example\.com`, DotExample: "https://aaexampleacom",
		PrefixOnly: "https://a.example.com:8080",
	}},
	// Dots that mean "any characters", escaped, in classes or quoted are fine.
	{`https://.*\.example\.com`, RegexpAdvice{PrefixOnly: "https://a.example.com:8080"}},
	{`https://a\.b[.]c\.com$`, RegexpAdvice{}},
	{`\Qhttps://a.b.com\E`, RegexpAdvice{PrefixOnly: "https://a.b.com:8080"}},
	{`\d.\d`, RegexpAdvice{}},
	{`^https://a\.com$`, RegexpAdvice{}},
	{`https://a\.com\z`, RegexpAdvice{}},
	{`.*`, RegexpAdvice{}},
	{`https://(a`, RegexpAdvice{}}, // does not compile: reported elsewhere
}

func TestAdviseRegexp(t *testing.T) {
	for _, tc := range adviceCases {
		if got := AdviseRegexp(tc.expr); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AdviseRegexp(%s):\n got %#v\nwant %#v", tc.expr, got, tc.want)
		}
	}
}
