package permission

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/corsedge/caddy-cors/internal/origin"
)

func init() {
	caddy.RegisterModule(HTTP{})
}

// Defaults of the HTTP module.
const (
	defaultCacheTTL      = 5 * time.Minute
	defaultNegativeTTL   = 30 * time.Second
	defaultErrorTTL      = 5 * time.Second
	defaultTimeout       = 2 * time.Second
	defaultMaxConcurrent = 16
	defaultCacheSize     = 100000

	// maxAnswerTTL caps a Cache-Control max-age from the endpoint.
	maxAnswerTTL = 24 * time.Hour
	// errorLogInterval: at most one error line per module per interval.
	errorLogInterval = 10 * time.Second
)

// HTTP decides origins by asking an HTTP endpoint of your own, the way
// on-demand TLS asks whether a certificate may be obtained. For an origin
// that the static configuration does not allow, it sends
//
//	GET <endpoint>?origin=<origin>&host=<host>
//
// where host is the request's Host, lower-cased and without its port, so
// that one endpoint can answer per tenant. A 2xx answer allows the origin
// for that host, a 4xx answer denies it, and anything else (another
// status, a redirect, a timeout, a refused connection) is an error, which
// denies. Answers are cached per (origin, host); malformed values are
// denied without a lookup, and lookups are bounded in number and time.
// A duration or number left at zero takes its default.
//
// Security: the endpoint decides who may read your users' data (with
// credentials, as them). Keep it internal, and have it allow only what it
// knows. See docs/permission.md.
type HTTP struct {
	// The URL to ask, an absolute http or https URL; origin and host are
	// added to its query string. Placeholders such as {env.PERMISSION_URL}
	// are replaced when the config loads. Redirects are not followed.
	// Required.
	Endpoint string `json:"endpoint,omitempty"`

	// How long an allowed (2xx) answer is cached, unless the answer's
	// Cache-Control says otherwise (its max-age, at most 24h; no-store or
	// no-cache: not cached). Default: 5m.
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`

	// How long a denied (4xx) answer is cached, unless the answer's
	// Cache-Control says otherwise, as for cache_ttl. Default: 30s.
	NegativeTTL caddy.Duration `json:"negative_ttl,omitempty"`

	// How long an error (another status, a redirect, a timeout, a refused
	// connection) is cached as a denial, so that a failing endpoint is not
	// asked again at once for the same pair. Default: 5s.
	ErrorTTL caddy.Duration `json:"error_ttl,omitempty"`

	// The longest a request waits for an answer that is not cached, the
	// wait for a free slot included; a request with no answer by then is
	// denied. Once asked, the endpoint gets as long to answer before the
	// lookup counts as an error. Default: 2s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// The most lookups in flight at once, shared by the handlers with this
	// configuration; more wait for a free slot within timeout. Default: 16.
	MaxConcurrent int `json:"max_concurrent,omitempty"`

	// The most decisions cached, allowed and denied alike; when full, the
	// entries used least recently (approximately) are evicted. Each costs
	// about 110 bytes plus the origin and host. Default: 100000.
	CacheSize int `json:"cache_size,omitempty"`

	cfg    config // the settings in force, defaults applied: the shared state's key
	state  *state
	left   bool // Cleanup ran
	logger *zap.Logger
	now    func() time.Time // the clock of TTLs and the error-log rate when a test sets it
	errLog *errorLog
}

// CaddyModule returns the Caddy module information.
func (HTTP) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.cors.permission.http",
		New: func() caddy.Module { return new(HTTP) },
	}
}

// UnmarshalCaddyfile sets up the module from Caddyfile tokens, starting
// at its name, inside the cors directive's block:
//
//	permission http <endpoint>
//	permission http [<endpoint>] {
//		endpoint       <url>
//		cache_ttl      <duration>
//		negative_ttl   <duration>
//		error_ttl      <duration>
//		timeout        <duration>
//		max_concurrent <n>
//		cache_size     <n>
//	}
//
// The endpoint goes on the first line or in the block, not both.
// Durations must not be negative, and numbers are at least 1.
func (p *HTTP) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume module name
	if d.NextArg() {
		p.Endpoint = d.Val()
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	durations := map[string]*caddy.Duration{
		"cache_ttl":    &p.CacheTTL,
		"negative_ttl": &p.NegativeTTL,
		"error_ttl":    &p.ErrorTTL,
		"timeout":      &p.Timeout,
	}
	ints := map[string]*int{
		"max_concurrent": &p.MaxConcurrent,
		"cache_size":     &p.CacheSize,
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		var arg string
		if !d.AllArgs(&arg) {
			return d.ArgErr()
		}
		if dur, ok := durations[sub]; ok {
			v, err := caddy.ParseDuration(arg)
			if err != nil {
				return d.Errf("%s %q: not a duration; use one like 30s or 5m", sub, arg)
			}
			if v < 0 {
				return d.Errf("%s %s: must not be negative", sub, v)
			}
			*dur = caddy.Duration(v)
			continue
		}
		if n, ok := ints[sub]; ok {
			v, err := strconv.Atoi(arg)
			if err != nil {
				return d.Errf("%s %q: not a whole number", sub, arg)
			}
			if v < 1 {
				return d.Errf("%s %d: must be at least 1", sub, v)
			}
			*n = v
			continue
		}
		if sub != "endpoint" {
			return d.Errf("unrecognized permission http subdirective %q", sub)
		}
		if p.Endpoint != "" {
			return d.Errf("endpoint %q: the endpoint is already %q", arg, p.Endpoint)
		}
		p.Endpoint = arg
	}
	if p.Endpoint == "" {
		return d.Err("permission http: an endpoint is required, as in: permission http http://localhost:8000/cors-allowed")
	}
	// What does not depend on placeholders is checked now, so that
	// `caddy adapt` reports it with the file and line.
	if _, err := p.settings(p.Endpoint); err != nil {
		return d.WrapErr(err)
	}
	return nil
}

// config is the settings in force, defaults applied. Comparable: it is
// the key of the state shared across reloads, so that any change starts
// an empty cache.
type config struct {
	endpoint      string
	cacheTTL      time.Duration
	negativeTTL   time.Duration
	errorTTL      time.Duration
	timeout       time.Duration
	maxConcurrent int
	cacheSize     int
}

// Provision replaces placeholders in the endpoint, applies the defaults
// and joins the state kept for this configuration (a new one if none).
func (p *HTTP) Provision(ctx caddy.Context) error {
	p.logger = ctx.Logger()
	p.errLog = new(errorLog)
	endpoint, err := caddy.NewReplacer().ReplaceOrErr(p.Endpoint, true, true)
	if err != nil {
		return fmt.Errorf("endpoint %q: %v; set it, or write the URL itself", p.Endpoint, err)
	}
	if endpoint == "" && p.Endpoint != "" {
		return fmt.Errorf("endpoint %q: empty once its placeholders are replaced", p.Endpoint)
	}
	cfg, err := p.settings(endpoint)
	if err != nil {
		return err
	}
	if err := metrics.register(ctx); err != nil {
		return fmt.Errorf("registering metrics: %v", err)
	}
	p.cfg = cfg
	val, _, err := states.LoadOrNew(cfg, func() (caddy.Destructor, error) { return newState(cfg), nil })
	if err != nil {
		return err
	}
	p.state = val.(*state)
	return nil
}

// settings checks the configuration with the endpoint given (placeholders
// replaced, or not yet when adapting) and applies the defaults.
func (p *HTTP) settings(endpoint string) (config, error) {
	cfg := config{
		endpoint:      endpoint,
		cacheTTL:      orDefault(time.Duration(p.CacheTTL), defaultCacheTTL),
		negativeTTL:   orDefault(time.Duration(p.NegativeTTL), defaultNegativeTTL),
		errorTTL:      orDefault(time.Duration(p.ErrorTTL), defaultErrorTTL),
		timeout:       orDefault(time.Duration(p.Timeout), defaultTimeout),
		maxConcurrent: orDefault(p.MaxConcurrent, defaultMaxConcurrent),
		cacheSize:     orDefault(p.CacheSize, defaultCacheSize),
	}
	if endpoint == "" {
		return cfg, fmt.Errorf("endpoint: required; the URL to ask, as in \"http://localhost:8000/cors-allowed\"")
	}
	if err := checkEndpoint(endpoint); err != nil {
		return cfg, err
	}
	for name, d := range map[string]time.Duration{"cache_ttl": cfg.cacheTTL, "negative_ttl": cfg.negativeTTL, "error_ttl": cfg.errorTTL, "timeout": cfg.timeout} {
		if d < 0 {
			return cfg, fmt.Errorf("%s %s: must not be negative", name, d)
		}
	}
	if cfg.maxConcurrent < 1 {
		return cfg, fmt.Errorf("max_concurrent %d: must be at least 1", p.MaxConcurrent)
	}
	if cfg.cacheSize < 1 {
		return cfg, fmt.Errorf("cache_size %d: must be at least 1", p.CacheSize)
	}
	return cfg, nil
}

// checkEndpoint accepts an absolute http(s) URL without a fragment whose
// query does not already name origin or host. An endpoint that still has
// placeholders (adapting, before they are replaced) is checked later.
func checkEndpoint(endpoint string) error {
	if hasPlaceholder(endpoint) {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint %q: %v", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("endpoint %q: must be an absolute http or https URL, as in \"http://localhost:8000/cors-allowed\"", endpoint)
	}
	if u.Fragment != "" || u.User != nil {
		return fmt.Errorf("endpoint %q: must not have a fragment or user information", endpoint)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fmt.Errorf("endpoint %q: malformed query: %v", endpoint, err)
	}
	if q.Has("origin") || q.Has("host") {
		return fmt.Errorf("endpoint %q: its query must not have origin or host parameters; the module adds them to every lookup", endpoint)
	}
	return nil
}

func hasPlaceholder(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' {
			return true
		}
	}
	return false
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Cleanup leaves the shared state; the last module to leave it (a reload
// that changed the configuration, or shutdown) stops its lookups.
func (p *HTTP) Cleanup() error {
	if p.state == nil || p.left {
		return nil
	}
	p.left = true // lookups in flight keep the state they started with
	_, err := states.Delete(p.cfg)
	return err
}

// Allowed implements Checker. A cached decision costs two hashes, a read
// lock and a map lookup, and does not allocate.
func (p *HTTP) Allowed(ctx context.Context, o, host string) bool {
	allowed, known, key, name := p.known(o, host)
	if known {
		return allowed
	}
	metrics.misses.Inc()
	return p.decide(ctx, key, o, name)
}

// Cached implements Cached: the answer when it needs no lookup (cached,
// or a malformed Origin or Host, denied without one).
func (p *HTTP) Cached(o, host string) (allowed, known bool) {
	allowed, known, _, _ = p.known(o, host)
	return allowed, known
}

// known answers what needs no lookup. When it does not know, key and name
// are the cache key and the lower-cased host name to look up.
func (p *HTTP) known(o, host string) (allowed, known bool, key uint64, name string) {
	if len(o) > origin.MaxLength || len(host) > maxHostLen+len(":65535") {
		return p.deniedMalformed(o, host), true, 0, ""
	}
	// A Host as browsers send it (lower case) is, without its port, the
	// key it was cached under, and every cached key was checked before
	// it was stored: a hit needs no other check of the Host or Origin.
	if name, ok := portless(host); ok {
		key := p.state.cache.hash(o, name)
		if r, ok := p.state.cache.get(key, o, name, p.hitClock()); ok {
			return p.cached(o, host, r), true, 0, ""
		}
	}
	return p.knownSlow(o, host)
}

// knownSlow checks what a hit on the fast path did not need to: the Host
// in full (lower-casing another case on the stack), then, on a miss, the
// Origin.
func (p *HTTP) knownSlow(o, host string) (allowed, known bool, key uint64, name string) {
	name, upper, ok := splitHost(host)
	if !ok {
		return p.deniedMalformed(o, host), true, 0, ""
	}
	s := p.state
	var r result
	if upper {
		var buf [maxHostLen]byte
		b := lowerHost(name, &buf)
		key = s.cache.hashBytes(o, b)
		r, ok = s.cache.getBytes(key, o, b, p.hitClock())
		if !ok {
			name = string(b)
		}
	} else {
		key = s.cache.hash(o, name)
		r, ok = s.cache.get(key, o, name, p.hitClock())
	}
	if ok {
		return p.cached(o, host, r), true, 0, ""
	}
	if !origin.Canonical(o) {
		if c := p.logger.Check(zapcore.DebugLevel, "permission denied without a lookup: not a well-formed origin"); c != nil {
			c.Write(zap.String("origin", truncate(o)))
		}
		return false, true, 0, ""
	}
	return false, false, key, name
}

// cached returns a decision found in the cache.
func (p *HTTP) cached(o, host string, r result) bool {
	metrics.hits.Inc()
	if c := p.logger.Check(zapcore.DebugLevel, "permission from the cache"); c != nil {
		c.Write(zap.String("origin", o), zap.String("host", host), zap.Stringer("result", r))
	}
	return r == resultAllowed
}

func (p *HTTP) deniedMalformed(o, host string) bool {
	if c := p.logger.Check(zapcore.DebugLevel, "permission denied without a lookup: malformed or over-long Host or Origin"); c != nil {
		c.Write(zap.String("origin", truncate(o)), zap.String("host", truncate(host)))
	}
	return false
}

// hitClock is the time that cache hits compare expiry times with: the
// state's coarse clock, or a test's.
func (p *HTTP) hitClock() int64 {
	if p.now != nil {
		return p.now().UnixNano()
	}
	return p.state.coarseNow.Load()
}

// clock is the time of stored answers and error logs.
func (p *HTTP) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// truncate bounds what a debug line quotes of an attacker's value.
func truncate(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}

// errorLog limits error lines to one per errorLogInterval, counting the
// ones it holds back.
type errorLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// admit reports whether an error may be logged now, and how many were
// held back since the last one that was.
func (l *errorLog) admit(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < errorLogInterval {
		l.suppressed++
		return false, 0
	}
	l.last = now
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// Interface guards
var (
	_ Checker               = (*HTTP)(nil)
	_ Cached                = (*HTTP)(nil)
	_ caddy.Provisioner     = (*HTTP)(nil)
	_ caddy.CleanerUpper    = (*HTTP)(nil)
	_ caddyfile.Unmarshaler = (*HTTP)(nil)
)
