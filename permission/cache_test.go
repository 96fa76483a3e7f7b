package permission

import "testing"

// Eviction: the cache never holds more than its size; an entry hit since
// the hand last passed survives a new insert, one that was not (or one
// that expired) goes.
func TestCacheEviction(t *testing.T) {
	c := newCache(3)
	const now, later = 100, 1000
	put := func(o string, expires int64) { c.put(c.hash(o, "h"), o, "h", resultAllowed, expires, now) }
	has := func(o string) bool { _, ok := c.get(c.hash(o, "h"), o, "h", now); return ok }
	put("a", later)
	put("b", later)
	put("c", later)
	if !has("a") { // sets a's bit
		t.Fatal("a missing")
	}
	put("d", later)
	if c.len() != 3 {
		t.Fatalf("%d entries, want 3", c.len())
	}
	if !has("a") || has("b") || !has("c") || !has("d") {
		t.Errorf("after inserting d: a %v b %v c %v d %v; want b evicted, the used a kept", has("a"), has("b"), has("c"), has("d"))
	}
	// e expires first; with every bit set, it is the one evicted.
	put("e", now+1)
	for _, o := range []string{"a", "c", "d", "e"} {
		has(o)
	}
	c.put(c.hash("f", "h"), "f", "h", resultDenied, later, now+2) // e has expired at now+2
	if has("e") || !has("f") || c.len() != 3 {
		t.Errorf("e %v f %v, %d entries; want the expired e evicted for f", has("e"), has("f"), c.len())
	}
	// A pair is one entry however often it is stored.
	put("f", later)
	if c.len() != 3 {
		t.Errorf("%d entries after storing f again, want 3", c.len())
	}
}
