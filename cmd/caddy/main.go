// Command caddy is Caddy's standard main with the cors module plugged in,
// so that `go run ./cmd/caddy run --config Caddyfile.example` works from a
// checkout without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules, as in Caddy's own main.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// This module.
	_ "github.com/corsedge/caddy-cors"
)

func main() {
	caddycmd.Main()
}
