// Package e2e proves the cors module in a real browser: headless Chromium,
// on pages served from one origin, calls Caddy with the module on another
// origin with fetch(), and the tests assert what the browser allowed.
//
// It is a separate Go module so that the main module never depends on
// chromedp. Run it with `go -C e2e test ./...`; without Chromium installed
// the suite skips, unless E2E_REQUIRE_BROWSER=1 (as in CI) makes that a
// failure. E2E_ARTIFACTS=<dir> keeps the demo page's screenshot there.
package e2e
