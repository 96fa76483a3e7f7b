package check_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The module links no test machinery into a Caddy binary: net/http/httptest
// belongs in tests only.
func TestNoHTTPTestInBinaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/corsedge/caddy-cors", "github.com/corsedge/caddy-cors/cmd/caddy").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net/http/httptest" {
			t.Fatal("net/http/httptest is a dependency of the module's non-test packages; build requests and recorders by hand (see internal/check/conn.go)")
		}
	}
}
