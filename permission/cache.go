package permission

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
)

// result is what an answer was, kept with a cached decision so that the
// debug log can say where a denial came from.
type result uint8

const (
	resultAllowed result = iota
	resultDenied
	resultError // fail closed: an error denies
	resultShed  // no slot or no time left: denied and never cached
)

func (r result) String() string {
	switch r {
	case resultAllowed:
		return "allowed"
	case resultDenied:
		return "denied"
	case resultError:
		return "error"
	}
	return "shed"
}

// entry is one cached decision for an (origin, host) pair.
type entry struct {
	hash    uint64
	origin  string
	host    string
	result  result
	expires int64 // unix nanoseconds, from the module's clock
	// referenced is the CLOCK bit: set by hits (under the read lock,
	// hence atomic), cleared by the eviction hand, which spares an entry
	// that was used since it last passed.
	referenced atomic.Bool
}

// cache is a bounded map of decisions. Hits take only the read lock and
// do not allocate: the key is a seeded hash of the pair, checked against
// the entry's own strings, so no key string is built per request. When
// full, an insert evicts with the CLOCK algorithm (an approximation of
// least recently used that keeps hits read-only): expired entries and
// entries not hit since the hand last passed go first.
type cache struct {
	seed maphash.Seed
	size int

	mu      sync.RWMutex
	entries map[uint64]*entry
	ring    []*entry // every entry, in eviction order from hand
	hand    int
}

func newCache(size int) *cache {
	return &cache{
		seed:    maphash.MakeSeed(),
		size:    size,
		entries: make(map[uint64]*entry, min(size, 1024)),
		ring:    make([]*entry, 0, min(size, 1024)),
	}
}

// hash is the key of the pair. The seed is random per cache, so an
// attacker cannot aim for collisions; one would only cost a lookup.
// hashBytes gives the same key for the same bytes.
func (c *cache) hash(origin, host string) uint64 {
	return maphash.String(c.seed, origin) ^ bits.RotateLeft64(maphash.String(c.seed, host), 31)
}

func (c *cache) hashBytes(origin string, host []byte) uint64 {
	return maphash.String(c.seed, origin) ^ bits.RotateLeft64(maphash.Bytes(c.seed, host), 31)
}

// get returns the live decision for the pair, if any; getBytes is get
// for a host in a buffer.
func (c *cache) get(h uint64, origin, host string, now int64) (result, bool) {
	c.mu.RLock()
	e := c.entries[h]
	return c.hit(e, e != nil && now < e.expires && e.origin == origin && e.host == host)
}

func (c *cache) getBytes(h uint64, origin string, host []byte, now int64) (result, bool) {
	c.mu.RLock()
	e := c.entries[h]
	return c.hit(e, e != nil && now < e.expires && e.origin == origin && e.host == string(host))
}

// hit ends a get that holds the read lock.
func (c *cache) hit(e *entry, ok bool) (result, bool) {
	if !ok {
		c.mu.RUnlock()
		return 0, false
	}
	r := e.result
	if !e.referenced.Load() { // a write only when it changes keeps the line shared
		e.referenced.Store(true)
	}
	c.mu.RUnlock()
	return r, true
}

// put stores a decision until expires, replacing any for the same key.
func (c *cache) put(h uint64, origin, host string, r result, expires, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[h]; e != nil {
		e.origin, e.host, e.result, e.expires = origin, host, r, expires
		return
	}
	e := &entry{hash: h, origin: origin, host: host, result: r, expires: expires}
	c.entries[h] = e
	if len(c.ring) < c.size {
		c.ring = append(c.ring, e)
		return
	}
	// Each pass of the hand clears the bits it sees, so it stops within
	// two turns of the ring.
	for {
		old := c.ring[c.hand]
		if now < old.expires && old.referenced.Swap(false) {
			c.hand = (c.hand + 1) % c.size
			continue
		}
		delete(c.entries, old.hash)
		c.ring[c.hand] = e
		c.hand = (c.hand + 1) % c.size
		return
	}
}

// len is the number of entries, live or expired.
func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
