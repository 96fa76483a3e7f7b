package cors

import (
	"os"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddytest"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// The directive needs no order: cors runs before header, redir,
// basic_auth, respond and reverse_proxy, however the site lists them.
func TestAdaptDirectiveOrder(t *testing.T) {
	caddyfile := `:8884 {
	respond "hi"
	reverse_proxy /api/* 127.0.0.1:9999
	basic_auth /api/* {
		alice $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}
	header X-Frame-Options DENY
	redir /old /new
	cors /api/* https://app.example.com {
		credentials
		max_age 10m
	}
}`
	want := `
{
	"apps": {
		"http": {
			"servers": {
				"srv0": {
					"listen": [
						":8884"
					],
					"routes": [
						{
							"match": [
								{
									"path": [
										"/api/*"
									]
								}
							],
							"handle": [
								{
									"credentials": true,
									"handler": "cors",
									"max_age": 600000000000,
									"origins": [
										"https://app.example.com"
									]
								}
							]
						},
						{
							"handle": [
								{
									"handler": "headers",
									"response": {
										"set": {
											"X-Frame-Options": [
												"DENY"
											]
										}
									}
								}
							]
						},
						{
							"match": [
								{
									"path": [
										"/old"
									]
								}
							],
							"handle": [
								{
									"handler": "static_response",
									"headers": {
										"Location": [
											"/new"
										]
									},
									"status_code": 302
								}
							]
						},
						{
							"match": [
								{
									"path": [
										"/api/*"
									]
								}
							],
							"handle": [
								{
									"handler": "authentication",
									"providers": {
										"http_basic": {
											"accounts": [
												{
													"password": "$2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG",
													"username": "alice"
												}
											],
											"hash": {
												"algorithm": "bcrypt"
											},
											"hash_cache": {}
										}
									}
								}
							]
						},
						{
							"handle": [
								{
									"body": "hi",
									"handler": "static_response"
								}
							]
						},
						{
							"match": [
								{
									"path": [
										"/api/*"
									]
								}
							],
							"handle": [
								{
									"handler": "reverse_proxy",
									"upstreams": [
										{
											"dial": "127.0.0.1:9999"
										}
									]
								}
							]
						}
					]
				}
			}
		}
	}
}
`
	if !caddytest.CompareAdapt(t, "Caddyfile", caddyfile, "caddyfile", strings.TrimSpace(want)) {
		t.Error("adapted JSON differs (diff above)")
	}
}

// Caddyfile.example adapts as it is.
func TestAdaptExample(t *testing.T) {
	raw, err := os.ReadFile("Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(raw, nil); err != nil {
		t.Fatalf("Caddyfile.example does not adapt: %v", err)
	}
}

// A bad value fails adaptation, so `caddy adapt` reports it.
func TestAdaptRefusesBadConfig(t *testing.T) {
	_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(":8884 {\n\tcors https://a.com/ {\n\t\tcredentials\n\t}\n}\n"), nil)
	want := `parsing caddyfile tokens for 'cors': origin "https://a.com/": must not end with a slash; did you mean "https://a.com"?, at Caddyfile:4`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
