package bureau

import (
	"sync"
	"time"

	"github.com/probity-dev/probity"
)

// principalTTL is how long a principal read for a token is trusted without
// reading it again. A revocation through this server takes effect at once
// (it drops the entry); one made elsewhere (another server on the same
// PostgreSQL database, or the command line on the same data) takes effect
// within this long.
const principalTTL = time.Second

// maxCachedPrincipals bounds the cache: beyond it, the entries are
// dropped and read again as tokens come, so that a caller cycling through
// many valid tokens cannot grow it without end.
const maxCachedPrincipals = 10_000

// principalCache keeps the principals that tokens named recently, so that
// authenticating a request costs no transaction (it was about a seventh of
// a score read's CPU). Only principals found are kept: a token whose
// principal is unknown is looked up each time, as a new principal must
// work at once. Principals never change but for their revocation, and
// expiry is checked on every use.
type principalCache struct {
	mu      sync.Mutex
	entries map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p    *probity.Principal
	read time.Time
}

// get returns a principal read less than principalTTL before now.
func (c *principalCache) get(id string, now time.Time) *probity.Principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || now.Sub(e.read) >= principalTTL || now.Before(e.read) {
		return nil
	}
	return e.p
}

// put keeps p, read at read.
func (c *principalCache) put(p *probity.Principal, read time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedPrincipals {
		c.entries = map[string]cachedPrincipal{}
	}
	c.entries[p.ID] = cachedPrincipal{p: p, read: read}
}

// drop forgets a principal, once it was revoked.
func (c *principalCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
