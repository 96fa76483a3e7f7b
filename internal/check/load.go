// Package check simulates in process what a browser concludes about a
// cross-origin fetch() against a Caddy config, without starting it: the
// engine of `caddy cors check`.
package check

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"
)

// CouldNotRun is an error that means no verdict: the config does not load,
// no server takes the URL, the flags make no request. `caddy cors check`
// exits 2 on it.
type CouldNotRun struct{ Err error }

func (e *CouldNotRun) Error() string { return e.Err.Error() }
func (e *CouldNotRun) Unwrap() error { return e.Err }

func couldNotRun(format string, args ...any) error {
	return &CouldNotRun{Err: fmt.Errorf(format, args...)}
}

// corsHandler finds a cors handler anywhere in a JSON config.
var corsHandler = regexp.MustCompile(`"handler"\s*:\s*"cors"`)

// Config is a provisioned, never started Caddy config that requests can be
// sent through.
type Config struct {
	ctx      caddy.Context
	unload   func() // cancels ctx: every module loaded in it cleans up
	servers  map[string]*caddyhttp.Server
	hasCORS  bool     // the config has a cors handler somewhere
	warnings []string // what the cors handlers found wrong at provision

	closeOnce sync.Once
}

// Load provisions cfgJSON the way `caddy validate` does: every module of
// every app is provisioned and validated; nothing listens, no admin
// endpoint starts, no app is started, so no certificate is obtained.
//
// It does it in two steps, with Caddy's public API only, so that Close
// can unload what it loaded. caddy.ProvisionContext sets up the config's
// logs and storage (with the apps left out: the context it returns
// cannot be canceled from outside Caddy, and what it loads would never
// be cleaned up); the apps are then loaded, as Caddy loads them, in a
// child context (caddy.NewContext), whose cancel function runs Cleanup
// on every module loaded through it: the apps, and every module they
// load (handlers, matchers, the tls app the http app asks for, ...).
func Load(cfgJSON []byte) (*Config, error) {
	cfgJSON = caddy.RemoveMetaFields(cfgJSON)
	var cfg *caddy.Config
	if err := caddy.StrictUnmarshalJSON(cfgJSON, &cfg); err != nil {
		return nil, couldNotRun("decoding config: %v", err)
	}
	if cfg == nil || len(cfg.AppsRaw["http"]) == 0 {
		return nil, couldNotRun("the config has no http app: no server could answer a browser")
	}
	// Loading a config makes its storage CertMagic's default for the
	// whole process, as it does to run it; a check runs nothing, so the
	// process's default goes back to what it was once the apps are loaded.
	storage := certmagic.Default.Storage
	defer func() { certmagic.Default.Storage = storage }()
	base, err := provisionBase(cfg)
	if err != nil {
		return nil, couldNotRun("loading config: %v", err)
	}
	ctx, cancel := caddy.NewContext(base)
	c := &Config{ctx: ctx, unload: cancel, hasCORS: corsHandler.Match(cfgJSON)}
	app, err := loadApps(ctx, cfg)
	if err != nil {
		c.Close()
		return nil, couldNotRun("loading config: %v", err)
	}
	c.servers = app.Servers
	c.warnings = configWarnings(c.servers)
	return c, nil
}

// provisionBase provisions cfg without its apps and puts them back for
// loadApps: the returned context holds cfg itself, and loads its apps
// from cfg.AppsRaw.
//
// What it loads outlives Close: a storage module and the log writers and
// encoders (none of Caddy's has a Cleanup). As with `caddy validate`, the
// config's default log becomes the process's (caddy.Log()), and Caddy has
// no way to put the previous one back.
func provisionBase(cfg *caddy.Config) (caddy.Context, error) {
	apps := cfg.AppsRaw
	cfg.AppsRaw = nil
	base, err := caddy.ProvisionContext(cfg)
	cfg.AppsRaw = apps
	return base, err
}

// loadApps provisions every app of cfg in ctx, in name order, and returns
// the http app. An app loads the apps it uses (http loads tls) itself,
// through the same context.
func loadApps(ctx caddy.Context, cfg *caddy.Config) (*caddyhttp.App, error) {
	names := make([]string, 0, len(cfg.AppsRaw))
	for name := range cfg.AppsRaw {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, err := ctx.App(name); err != nil {
			return nil, err
		}
	}
	app, err := ctx.App("http")
	if err != nil {
		return nil, err
	}
	http, ok := app.(*caddyhttp.App)
	if !ok {
		return nil, errors.New("the http app is not Caddy's")
	}
	return http, nil
}

// Close unloads the config: its context ends, and the apps and every
// module they loaded clean up (Caddy's Cleanup), as when Caddy unloads a
// config. It is idempotent.
//
// Log files the config names stay open, in Caddy's pool of log writers
// shared by every config that names the same file: Caddy v2.11.9 closes
// them on no unload path, its own included (openLogs registers the
// closing with OnCancel on a copy of the config's context, which is then
// dropped), and the pool is unexported.
func (c *Config) Close() {
	c.closeOnce.Do(c.unload)
}

// ServerNames lists the HTTP app's servers, sorted.
func (c *Config) ServerNames() []string {
	names := make([]string, 0, len(c.servers))
	for name := range c.servers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
