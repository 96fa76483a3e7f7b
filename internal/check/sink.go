package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Denial is one line the cors handler logged: why it denied a request, or
// a warning at provision.
type Denial struct {
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields,omitempty"`
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
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = renderField(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// readSink returns what the cors handler logged since the last call.
func (c *Config) readSink() []Denial {
	f, err := os.Open(c.sinkPath)
	if err != nil {
		return nil // nothing logged yet: the file is opened on the first write
	}
	defer f.Close()
	if _, err := f.Seek(c.sinkRead, io.SeekStart); err != nil {
		return nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	c.sinkRead += int64(len(data))
	var out []Denial
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var entry map[string]any
		if json.Unmarshal(sc.Bytes(), &entry) != nil {
			continue
		}
		d := Denial{Fields: map[string]any{}}
		for k, v := range entry {
			switch k {
			case "level":
				d.Level, _ = v.(string)
			case "msg":
				d.Message, _ = v.(string)
			case "ts", "logger":
			default:
				d.Fields[k] = v
			}
		}
		out = append(out, d)
	}
	return out
}
