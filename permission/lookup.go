package permission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// states holds the state of each permission configuration in use, so that
// a reload with the same configuration keeps its cache.
var states = caddy.NewUsagePool()

// userAgent names the module to the endpoint.
const userAgent = "Caddy http.handlers.cors.permission.http"

// maxBodyDrain bounds what is read of an answer's body (to reuse the
// connection); the body means nothing.
const maxBodyDrain = 64 << 10

// state is what the modules of one configuration share across reloads:
// the cache, the lookups in flight and the slots that bound them.
type state struct {
	cfg     config
	query   string // endpoint with "?" or "&": origin=...&host=... follows
	client  *http.Client
	cache   *cache
	slots   chan struct{}
	ctx     context.Context // canceled when the last module leaves
	cancel  context.CancelFunc
	mu      sync.Mutex
	flights map[pair]*flight

	inFlight atomic.Int64 // lookups sent and not answered, for tests

	// coarseNow is the clock of cache hits, in unix nanoseconds, set every
	// clockTick: reading the system clock per request would cost more
	// than the rest of a hit. Entries may so outlive their TTL by a tick.
	coarseNow atomic.Int64
}

// clockTick is how often a state's coarse clock is set.
const clockTick = 100 * time.Millisecond

// tick keeps coarseNow current until the state is destroyed.
func (s *state) tick() {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.coarseNow.Store(now.UnixNano())
		case <-s.ctx.Done():
			return
		}
	}
}

type pair struct{ origin, host string }

// flight is one lookup that concurrent requests for its pair wait for.
type flight struct {
	done   chan struct{}
	result result
}

func newState(cfg config) *state {
	ctx, cancel := context.WithCancel(context.Background())
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = cfg.maxConcurrent
	transport.MaxConnsPerHost = cfg.maxConcurrent
	query := cfg.endpoint
	if u, err := url.Parse(cfg.endpoint); err == nil && u.RawQuery != "" {
		query += "&"
	} else if !strings.HasSuffix(query, "?") {
		query += "?"
	}
	s := &state{
		cfg:   cfg,
		query: query,
		client: &http.Client{
			Transport: transport,
			// A redirect is an answer like any other non-2xx, non-4xx
			// one: an error. Following it could leave the internal network.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		cache:   newCache(cfg.cacheSize),
		slots:   make(chan struct{}, cfg.maxConcurrent),
		ctx:     ctx,
		cancel:  cancel,
		flights: make(map[pair]*flight),
	}
	s.coarseNow.Store(time.Now().UnixNano())
	go s.tick()
	return s
}

// Destruct implements caddy.Destructor: the last module of this
// configuration is gone.
func (s *state) Destruct() error {
	s.cancel()
	s.client.CloseIdleConnections()
	return nil
}

// decide answers a pair that is not cached. It joins the lookup in
// flight for the pair, or starts one, and waits for its answer at most
// timeout: a request is decided within timeout whatever the endpoint
// does. The lookup belongs to the shared state, not to the request: it
// goes on when its requests give up (a client leaving, their time
// running out), so that its answer is cached for the next ones and its
// slot stays taken until the endpoint has answered.
func (p *HTTP) decide(ctx context.Context, key uint64, origin, host string) bool {
	s := p.state
	timer := time.NewTimer(s.cfg.timeout)
	defer timer.Stop()
	k := pair{origin, host}
	s.mu.Lock()
	f := s.flights[k]
	if f == nil {
		// A lookup that ended after our cache miss stored its answer
		// before leaving the map: look again before asking twice.
		if r, ok := s.cache.get(key, origin, host, p.hitClock()); ok {
			s.mu.Unlock()
			return r == resultAllowed
		}
		f = &flight{done: make(chan struct{})}
		s.flights[k] = f
		go p.lookup(s, f, k, key)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
		if f.result != resultShed {
			return f.result == resultAllowed
		}
	case <-timer.C:
	case <-ctx.Done():
		return false // the client is gone; nobody reads the answer
	}
	metrics.shed.Inc()
	if c := p.logger.Check(zapcore.DebugLevel, "permission denied: no answer within the timeout (shed, not cached)"); c != nil {
		c.Write(zap.String("origin", origin), zap.String("host", host), zap.Duration("timeout", s.cfg.timeout), zap.Int("max_concurrent", s.cfg.maxConcurrent))
	}
	return false
}

// lookup runs the lookup of flight f: it waits for a slot at most
// timeout (else the lookup is shed, nothing cached), asks the endpoint
// with a timeout of its own, caches the answer and releases the flight.
func (p *HTTP) lookup(s *state, f *flight, k pair, key uint64) {
	f.result = p.lookupAndStore(s, key, k.origin, k.host)
	s.mu.Lock()
	delete(s.flights, k)
	s.mu.Unlock()
	close(f.done)
}

func (p *HTTP) lookupAndStore(s *state, key uint64, origin, host string) result {
	wait, cancel := context.WithTimeout(s.ctx, s.cfg.timeout)
	defer cancel()
	select {
	case s.slots <- struct{}{}:
	default:
		metrics.waiting.Inc()
		select {
		case s.slots <- struct{}{}:
			metrics.waiting.Dec()
		case <-wait.Done():
			metrics.waiting.Dec()
			return resultShed
		}
	}
	ctx, cancelFetch := context.WithTimeout(s.ctx, s.cfg.timeout)
	defer cancelFetch()
	s.inFlight.Add(1)
	start := time.Now()
	r, maxAge, err := s.fetch(ctx, origin, host)
	metrics.duration.Observe(time.Since(start).Seconds())
	s.inFlight.Add(-1)
	<-s.slots
	metrics.countLookup(r)

	ttl := s.ttl(r, maxAge)
	now := p.clock()
	if ttl > 0 {
		s.cache.put(key, origin, host, r, now.Add(ttl).UnixNano(), now.UnixNano())
	}
	if err != nil {
		p.logError(s, now, origin, host, err)
	}
	if c := p.logger.Check(zapcore.DebugLevel, "permission decided by the endpoint"); c != nil {
		c.Write(zap.String("origin", origin), zap.String("host", host), zap.Stringer("result", r), zap.Duration("cached_for", ttl))
	}
	return r
}

// ttl is how long an answer is cached: the configured time for its
// result, or the answer's own max-age (allowed and denied answers only).
func (s *state) ttl(r result, maxAge time.Duration) time.Duration {
	switch {
	case r == resultError:
		return s.cfg.errorTTL
	case maxAge >= 0:
		return min(maxAge, maxAnswerTTL)
	case r == resultAllowed:
		return s.cfg.cacheTTL
	}
	return s.cfg.negativeTTL
}

// logError logs a failed lookup at error level, at most one line per
// module per errorLogInterval, with the count of those held back.
func (p *HTTP) logError(s *state, now time.Time, origin, host string, err error) {
	ok, suppressed := p.errLog.admit(now)
	if !ok {
		return
	}
	p.logger.Error("permission endpoint failed; origin denied",
		zap.String("endpoint", s.cfg.endpoint),
		zap.String("origin", origin), zap.String("host", host),
		zap.Error(err), zap.Int("suppressed", suppressed))
}

// fetch sends one lookup. maxAge is the answer's Cache-Control max-age
// (0 for no-store), or -1 when it has none.
func (s *state) fetch(ctx context.Context, origin, host string) (r result, maxAge time.Duration, err error) {
	u := s.query + "origin=" + url.QueryEscape(origin) + "&host=" + url.QueryEscape(host)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return resultError, -1, err
	}
	req.Header.Set("User-Agent", userAgent)
	res, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within the timeout (%s): %w", s.cfg.timeout, err)
		}
		return resultError, -1, err
	}
	_, _ = io.CopyN(io.Discard, res.Body, maxBodyDrain)
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode <= 299:
		r = resultAllowed
	case res.StatusCode >= 400 && res.StatusCode <= 499:
		r = resultDenied
	default:
		return resultError, -1, fmt.Errorf("status %d: only 2xx (allowed) and 4xx (denied) are answers", res.StatusCode)
	}
	return r, answerMaxAge(res.Header.Values("Cache-Control")), nil
}

// answerMaxAge reads max-age from Cache-Control lines: the seconds it
// gives, 0 for no-store or no-cache (not to be cached), -1 for none or a
// malformed value.
func answerMaxAge(lines []string) time.Duration {
	maxAge := time.Duration(-1)
	for _, line := range lines {
		for dir := range strings.SplitSeq(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				secs, err := strconv.ParseUint(strings.Trim(strings.TrimSpace(val), `"`), 10, 63)
				if err != nil || maxAge >= 0 {
					continue // malformed, or a second one: the first counts
				}
				if secs > uint64(maxAnswerTTL/time.Second) {
					secs = uint64(maxAnswerTTL / time.Second)
				}
				maxAge = time.Duration(secs) * time.Second
			}
		}
	}
	return maxAge
}
