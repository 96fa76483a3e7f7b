// Package check simulates in process what a browser concludes about a
// cross-origin fetch() against a Caddy config, without starting it: the
// engine of `caddy cors check`.
package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/caddyserver/caddy/v2/modules/logging" // the file writer and json encoder of the log sink
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

// sinkLog is the name of the log the check adds to the config.
const sinkLog = "cors_check"

// Config is a provisioned, never started Caddy config that requests can be
// sent through.
type Config struct {
	ctx      caddy.Context
	servers  map[string]*caddyhttp.Server
	hasCORS  bool   // the config has a cors handler somewhere
	sinkPath string // debug log of http.handlers.cors, read after each request
	sinkRead int64
	warnings []Denial // logged by cors handlers at provision
	dir      string

	token     string
	release   chan struct{} // closed by Close: the config may unload
	validated chan error    // caddy.Validate's answer, once it has unloaded
	closeOnce sync.Once
}

// Load provisions cfgJSON the way `caddy validate` does, with
// caddy.Validate itself: modules are provisioned, nothing listens, no
// admin endpoint starts, no certificate is obtained. A small app of this
// package (holdApp) keeps the config provisioned until Close, which lets
// Validate finish: it then cleans up every module, as Caddy does when it
// unloads a config.
//
// Before that Load adds one log to the config, at debug level, for the
// logger http.handlers.cors only, written by Caddy's own file writer to a
// temporary file: the cors handler logs the reason for each denial there,
// and the check reads it back. The handler itself is unchanged; with
// debug off in production its log calls cost nothing.
func Load(cfgJSON []byte) (*Config, error) {
	cfgJSON = caddy.RemoveMetaFields(cfgJSON)
	var cfg *caddy.Config
	if err := caddy.StrictUnmarshalJSON(cfgJSON, &cfg); err != nil {
		return nil, couldNotRun("decoding config: %v", err)
	}
	if cfg == nil {
		cfg = new(caddy.Config)
	}
	dir, err := os.MkdirTemp("", "caddy-cors-check-")
	if err != nil {
		return nil, couldNotRun("creating a temporary directory for the cors log: %v", err)
	}
	token, h := newHolding()
	c := &Config{dir: dir, sinkPath: filepath.Join(dir, "cors.log"), token: token, release: h.release}
	if err := addSink(cfg, c.sinkPath); err != nil {
		c.Close()
		return nil, couldNotRun("%v", err)
	}
	if err := addHoldApp(cfg, token); err != nil {
		c.Close()
		return nil, couldNotRun("%v", err)
	}
	c.hasCORS = corsHandler.Match(cfgJSON)

	c.validated = make(chan error, 1)
	go func() { c.validated <- caddy.Validate(cfg) }()
	select {
	case p := <-h.provisioned:
		if p.err != nil {
			c.Close()
			if errors.Is(p.err, caddy.ErrNotConfigured) {
				return nil, couldNotRun("the config has no http app: no server could answer a browser")
			}
			return nil, couldNotRun("loading the http app: %v", p.err)
		}
		c.ctx, c.servers = p.ctx, p.servers
	case err := <-c.validated:
		// An app provisioned before the hold app failed, and Validate
		// has cleaned up already.
		c.validated <- err
		c.Close()
		return nil, couldNotRun("loading config: %v", err)
	}
	c.warnings = c.readSink()
	return c, nil
}

// addSink adds the debug log of http.handlers.cors to cfg's logging.
func addSink(cfg *caddy.Config, path string) error {
	writer, err := json.Marshal(map[string]any{"output": "file", "filename": path, "roll": false})
	if err != nil {
		return err
	}
	if cfg.Logging == nil {
		cfg.Logging = new(caddy.Logging)
	}
	if cfg.Logging.Logs == nil {
		cfg.Logging.Logs = make(map[string]*caddy.CustomLog)
	}
	if _, taken := cfg.Logging.Logs[sinkLog]; taken {
		return fmt.Errorf("the config already has a log named %q, which the check needs", sinkLog)
	}
	cfg.Logging.Logs[sinkLog] = &caddy.CustomLog{
		BaseLog: caddy.BaseLog{
			WriterRaw:  writer,
			EncoderRaw: json.RawMessage(`{"format":"json"}`),
			Level:      "DEBUG",
		},
		Include: []string{"http.handlers.cors"},
	}
	return nil
}

// Close unloads the config: every module's Cleanup runs, log files close,
// the temporary log goes. It waits for that, so that nothing of the config
// outlives it.
func (c *Config) Close() {
	c.closeOnce.Do(func() {
		close(c.release)
		if c.validated != nil {
			<-c.validated
		}
		holdings.Delete(c.token)
		os.RemoveAll(c.dir)
	})
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
