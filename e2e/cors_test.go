package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser runs every case against one Caddy and one Chromium; each
// subtest asserts the browser's verdict on a fetch() from a page.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	b := newBackend(t)
	loadCaddy(t, suiteCaddyfile(t, b))

	t.Run("simple GET from an allowed exact origin resolves", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/exact/get", `{}`), 200, "exact")
	})
	t.Run("simple GET from a disallowed origin rejects", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, evilPage, api+"/exact/get", `{}`))
	})
	t.Run("preflighted PUT with an allowed custom header resolves", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/exact/put", `{method: "PUT", headers: {"X-Allowed": "1"}}`), 200, "exact")
	})
	t.Run("a header not allowed rejects", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, appPage, api+"/exact/put", `{method: "PUT", headers: {"X-Secret": "1"}}`))
	})
	t.Run("a method not allowed rejects", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, appPage, api+"/exact/delete", `{method: "DELETE"}`))
	})

	t.Run("credentials include: a cookie set by the API reaches the backend", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/cred/cookie/set", `{credentials: "include"}`), 200, "cookie set")
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/cred/cookie/echo", `{credentials: "include"}`), 200, "cookie s3cret")
	})
	t.Run("credentials include rejects without credentials on", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, appPage, api+"/nocred/cookie/echo", `{credentials: "include"}`))
	})
	t.Run("headers * with credentials allows Authorization", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/star-headers/x",
			`{credentials: "include", headers: {"Authorization": "Bearer token", "X-Anything": "1"}}`), 200, "star")
	})

	t.Run("subdomain wildcard lets app.example.test in", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/subdomain/x", `{}`), 200, "subdomain")
	})
	t.Run("subdomain wildcard keeps evil-example.test out", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, evilPage, api+"/subdomain/x", `{}`))
	})
	t.Run("port wildcard lets another port of the host in", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPort2, api+"/port/x", `{}`), 200, "port")
	})
	t.Run("port wildcard keeps another host out", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, otherPage, api+"/port/x", `{}`))
	})
	t.Run("origin_regexp matches a whole origin", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, app7Page, api+"/regexp/x", `{}`), 200, "regexp")
	})
	t.Run("origin_regexp is anchored: a look-alike origin rejects", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, lookalike, api+"/regexp/x", `{}`))
	})

	t.Run("allow_all: an anonymous GET from any origin resolves", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, evilPage, api+"/public/x", `{}`), 200, "public")
	})
	t.Run("allow_all: a credentialed fetch rejects", func(t *testing.T) {
		wantRejected(t, fetchFrom(t, ctx, evilPage, api+"/public/x", `{credentials: "include"}`))
	})

	t.Run("only listed exposed headers are readable", func(t *testing.T) {
		v := fetchFrom(t, ctx, appPage, api+"/expose/x", `{}`, "X-Visible", "X-Hidden")
		wantResolved(t, v, 200, "expose")
		if v.Headers["X-Visible"] != "visible" || v.Headers["X-Hidden"] != "" {
			t.Fatalf("headers read by the page: %v, want X-Visible only", v.Headers)
		}
	})
	t.Run("expose_headers * with credentials exposes a backend's header", func(t *testing.T) {
		v := fetchFrom(t, ctx, appPage, api+"/expose-all/x", `{credentials: "include"}`, "X-Custom")
		wantResolved(t, v, 200, "backend")
		if v.Headers["X-Custom"] != "custom-value" {
			t.Fatalf("X-Custom read by the page = %q, want custom-value", v.Headers["X-Custom"])
		}
	})

	t.Run("the page reads the status of basic_auth's 401", func(t *testing.T) {
		// Without credentials, as a page that has not signed in yet;
		// with them Chromium would ask the user for a password.
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/auth/x", `{}`), 401, "")
	})
	t.Run("the page reads the status of a 502 from a dead upstream", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/dead/x", `{}`), 502, "")
	})
	t.Run("a backend's own ACAO * does not break a credentialed fetch", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/own-cors/x", `{credentials: "include"}`), 200, "backend")
	})

	t.Run("max_age 60: two preflighted fetches, one OPTIONS at the server", func(t *testing.T) {
		for range 2 {
			wantResolved(t, fetchFrom(t, ctx, appPage, api+"/cache60/x", `{method: "PUT", headers: {"X-A": "1"}}`), 200, "backend")
		}
		if n := b.optionsCount("/cache60/x"); n != 1 {
			t.Fatalf("%d OPTIONS requests reached the server, want 1", n)
		}
	})
	t.Run("max_age 0: two preflighted fetches, two OPTIONS at the server", func(t *testing.T) {
		for range 2 {
			wantResolved(t, fetchFrom(t, ctx, appPage, api+"/cache0/x", `{method: "PUT", headers: {"X-A": "1"}}`), 200, "backend")
		}
		if n := b.optionsCount("/cache0/x"); n != 2 {
			t.Fatalf("%d OPTIONS requests reached the server, want 2", n)
		}
	})

	t.Run("null origin from a sandboxed iframe: allowed when listed", func(t *testing.T) {
		wantResolved(t, fetchFromSandbox(t, ctx, api+"/null-listed/x"), 200, "null listed")
	})
	t.Run("null origin from a sandboxed iframe: refused when not listed", func(t *testing.T) {
		wantRejected(t, fetchFromSandbox(t, ctx, api+"/null-unlisted/x"))
	})

	t.Run("preflighted request behind basic_auth with an Authorization header resolves", func(t *testing.T) {
		wantResolved(t, fetchFrom(t, ctx, appPage, api+"/auth/x", `{headers: {"Authorization": "`+aliceAuth+`"}}`), 200, "secret")
	})
}

// fetchFromSandbox runs fetch(url) in a sandboxed iframe (origin "null")
// inside the app page and reports its verdict through postMessage.
func fetchFromSandbox(t *testing.T, ctx context.Context, url string) verdict {
	t.Helper()
	js := `new Promise(resolve => {
		window.addEventListener("message", e => resolve(e.data), {once: true});
		const f = document.createElement("iframe");
		f.sandbox = "allow-scripts";
		f.srcdoc = "<script>" +
			"fetch(" + JSON.stringify(` + "`" + url + "`" + `) + ")" +
			".then(async r => parent.postMessage({ok: true, status: r.status, body: await r.text()}, '*'))" +
			".catch(e => parent.postMessage({ok: false, error: String(e)}, '*'))" +
			"<\/script>";
		document.body.appendChild(f);
	})`
	return run[verdict](t, ctx, appPage, js)
}

// TestExampleDemoPage loads Caddyfile.example as it is and opens its page
// as a person would: the allowed call shows its answer, the refused call
// shows the browser's refusal. A screenshot goes to the test's temp dir.
func TestExampleDemoPage(t *testing.T) {
	ctx := browser(t)
	raw, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	loadCaddy(t, string(raw))

	type shown struct {
		Allowed string `json:"allowed"`
		Refused string `json:"refused"`
	}
	got := run[shown](t, ctx, "http://localhost:8080/", `new Promise(resolve => {
		const check = () => {
			const a = document.getElementById("allowed"), r = document.getElementById("refused");
			if (a.dataset.done && r.dataset.done) resolve({allowed: a.textContent, refused: r.textContent});
			else setTimeout(check, 50);
		};
		check();
	})`)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "demo.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
	// To keep it past the test (the temp dir goes), name a folder.
	if dir := os.Getenv("E2E_ARTIFACTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "demo.png"), shot, 0o644); err != nil {
			t.Error(err)
		}
	}

	if want := `allowed: 200 {"message": "hello from the API on localhost:8000"}`; len(got.Allowed) < len(want) || got.Allowed[:len(want)] != want {
		t.Errorf("allowed call shows %q, want it to start with %q", got.Allowed, want)
	}
	if want := "refused by the browser: TypeError: Failed to fetch"; got.Refused != want {
		t.Errorf("refused call shows %q, want %q", got.Refused, want)
	}
}
