// Package e2e proves the cors module in real browsers: headless Chromium
// (chromedp, DevTools protocol), headless Firefox (firefox-esr driven by
// puppeteer-core over WebDriver BiDi, from firefox/driver.mjs) and WebKit
// (WebKitGTK's MiniBrowser on an Xvfb display, driven by WebKitWebDriver
// over WebDriver classic with a small client of this package). Pages served
// from one origin call Caddy with the module on another origin with
// fetch(), and the tests assert what each browser allowed. The cases are
// one table (cases_test.go) that every engine runs.
//
// It is a separate Go module so that the main module never depends on
// chromedp. Run it with `go -C e2e test ./...`; it needs chromium,
// firefox-esr, strace, node and npm (the first run does `npm ci` in
// firefox/ when node_modules is missing), webkit2gtk-driver and xvfb. A missing engine skips its
// tests, unless E2E_REQUIRE_BROWSER=1 (as in CI) makes that a failure.
// E2E_ARTIFACTS=<dir> keeps the demo page's screenshots there.
package e2e
