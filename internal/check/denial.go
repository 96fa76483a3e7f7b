package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/corsedge/caddy-cors/internal/decision"
)

// Denial is a cors handler's reason for refusing a request: its decision
// in the words and fields of the line the handler logs about it at debug
// level (handler.go, denialFields).
type Denial struct {
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields,omitempty"`
}

// denialOf words a refusal d as the handler logs it. The handler's line
// holds the request's own values: the check sent one Origin and one
// Access-Control-Request-Method, so those are the decision's; method and
// uri are the actual request's as the check sent it.
func denialOf(d *decision.Decision, method, uri string) Denial {
	fields := map[string]any{"origin": d.Origin}
	if d.Reason == decision.OriginNotAllowed {
		fields["origin"] = originLines(d) // the handler logs the lines of a refused Origin
	}
	switch d.Reason {
	case decision.MethodNotAllowed:
		fields["method"] = []string{d.Value}
	case decision.HeaderNotAllowed:
		if d.Value == "" {
			fields["reason"] = "Access-Control-Request-Headers too long or malformed"
		} else {
			fields["header"] = d.Value
		}
	}
	if d.Kind == decision.Actual {
		fields["method"], fields["uri"] = method, uri
	}
	return Denial{Level: "debug", Message: d.Message(), Fields: fields}
}

// originLines are the request's Origin lines as the decision saw them.
func originLines(d *decision.Decision) []string {
	if d.Origins == 0 {
		return []string{}
	}
	return []string{d.Origin}
}

// String renders the denial as `message (key "value", ...)`.
func (d Denial) String() string {
	if len(d.Fields) == 0 {
		return d.Message
	}
	keys := make([]string, 0, len(d.Fields))
	for k := range d.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+renderField(d.Fields[k]))
	}
	return d.Message + " (" + strings.Join(parts, ", ") + ")"
}

func renderField(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = renderField(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
