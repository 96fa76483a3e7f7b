package check

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(holdApp{})
}

// holdApp is how Load keeps a config provisioned, and unloads it after,
// with Caddy's public API only. Load adds it to the config it checks and
// runs caddy.Validate, which provisions every app and, once done, cancels
// the config's context so that every module cleans up. When Validate
// provisions this app, it hands the HTTP app's servers to Load and waits
// until Close lets it return: between the two, the config is provisioned,
// nothing listens, and requests can be served through it.
//
// (caddy.ProvisionContext hands back a provisioned context but no way to
// cancel it: Caddy keeps that in an unexported field.)
type holdApp struct {
	// Token names the Load that added the app. An app without a Load
	// waiting for it, such as one written into a config by hand, is
	// refused.
	Token string `json:"token"`
}

// holdAppName is the app's name in the config.
const holdAppName = "cors_check"

// CaddyModule returns the Caddy module information.
func (holdApp) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  holdAppName,
		New: func() caddy.Module { return new(holdApp) },
	}
}

// holding is the handshake between Load and the app.
type holding struct {
	provisioned chan provisioned // one value: the servers, or why there are none
	release     chan struct{}    // closed by Close
}

type provisioned struct {
	ctx     caddy.Context
	servers map[string]*caddyhttp.Server
	err     error
}

// holdings are the Loads under way, by token.
var holdings sync.Map

// newHolding registers a handshake and returns its token.
func newHolding() (string, *holding) {
	token := rand.Text()
	h := &holding{provisioned: make(chan provisioned, 1), release: make(chan struct{})}
	holdings.Store(token, h)
	return token, h
}

// addHoldApp adds the app for token to cfg.
func addHoldApp(cfg *caddy.Config, token string) error {
	if cfg.AppsRaw == nil {
		cfg.AppsRaw = make(caddy.ModuleMap)
	}
	if _, taken := cfg.AppsRaw[holdAppName]; taken {
		return errors.New("the config already has an app named " + holdAppName + ", which the check needs")
	}
	raw, err := json.Marshal(holdApp{Token: token})
	if err != nil {
		return err
	}
	cfg.AppsRaw[holdAppName] = raw
	return nil
}

// Provision provisions the HTTP app (if Validate has not yet), hands its
// servers to Load and holds the config until Close.
func (a *holdApp) Provision(ctx caddy.Context) error {
	v, ok := holdings.Load(a.Token)
	if !ok {
		return errors.New("the " + holdAppName + " app belongs to `caddy cors check`; remove it from the config")
	}
	h := v.(*holding)
	app, err := ctx.AppIfConfigured("http")
	if err != nil {
		h.provisioned <- provisioned{err: err}
		return err
	}
	h.provisioned <- provisioned{ctx: ctx, servers: app.(*caddyhttp.App).Servers}
	<-h.release
	return nil
}

// Start and Stop implement caddy.App; Validate never starts apps.
func (holdApp) Start() error { return nil }
func (holdApp) Stop() error  { return nil }

// Interface guards
var (
	_ caddy.App         = (*holdApp)(nil)
	_ caddy.Provisioner = (*holdApp)(nil)
)
