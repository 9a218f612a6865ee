// Package bureau implements Probity's services: it authorises, validates and
// pseudonymises, then runs each operation in one store transaction and hands
// the stored facts to the pure scoring model. It holds the policy; the store
// holds the data.
package bureau

import (
	"context"
	"fmt"
	"sync"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// Bureau implements probity.DomainService, probity.EventService and
// probity.ScoreService over one store.
type Bureau struct {
	store probity.Store
	keys  *identity.KeyRing

	mu       sync.Mutex
	compiled map[string]*spec.Compiled // by spec digest
}

var (
	_ probity.DomainService = (*Bureau)(nil)
	_ probity.EventService  = (*Bureau)(nil)
	_ probity.ScoreService  = (*Bureau)(nil)
)

// New returns a Bureau over store that pseudonymises with keys.
func New(store probity.Store, keys *identity.KeyRing) *Bureau {
	return &Bureau{store: store, keys: keys, compiled: make(map[string]*spec.Compiled)}
}

// compile returns the compiled CEL of a stored spec version, compiling it
// once per digest.
func (b *Bureau) compile(v *probity.SpecVersion) (*spec.Compiled, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.compiled[v.Digest]; ok {
		return c, nil
	}
	c, err := spec.Compile(v.Spec)
	if err != nil {
		return nil, fmt.Errorf("compile %s v%d: %w", v.Domain, v.Version, err)
	}
	b.compiled[v.Digest] = c
	return c, nil
}

// domainVersions returns a domain's versions, or ENOTFOUND when it has none.
func domainVersions(tx probity.ReadTx, domain string) ([]probity.SpecVersion, error) {
	versions, err := tx.SpecVersions(domain)
	if err != nil {
		return nil, err
	} else if len(versions) == 0 {
		return nil, probity.Errorf(probity.ENOTFOUND, "domain %q does not exist; apply its spec first (probity domain apply SPEC.yaml)", domain)
	}
	return versions, nil
}

// currentVersion returns a domain's versions and the one in effect now (the
// first, if none is in effect yet).
func currentVersion(tx probity.ReadTx, id string) ([]probity.SpecVersion, *probity.SpecVersion, error) {
	versions, err := domainVersions(tx, id)
	if err != nil {
		return nil, nil, err
	}
	cur := probity.VersionAt(versions, tx.Now())
	if cur == nil {
		cur = &versions[0]
	}
	return versions, cur, nil
}

// Domains lists every domain with the version in effect now.
func (b *Bureau) Domains(ctx context.Context) ([]probity.DomainSummary, error) {
	out := []probity.DomainSummary{}
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		ids, err := tx.DomainIDs()
		if err != nil {
			return err
		}
		for _, id := range ids {
			versions, cur, err := currentVersion(tx, id)
			if err != nil {
				return err
			}
			out = append(out, probity.DomainSummary{
				ID: id, Name: cur.Spec.Name, Owner: cur.Spec.Owner, Category: cur.Spec.Category,
				LegalBasis: cur.Spec.LegalBasis, Version: cur.Version, EffectiveAt: cur.EffectiveAt,
				Pending: versions[len(versions)-1].Version - cur.Version,
			})
		}
		return nil
	})
	return out, err
}

// Domain returns a domain's public spec and versions.
func (b *Bureau) Domain(ctx context.Context, id string) (*probity.Domain, error) {
	var d *probity.Domain
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		versions, cur, err := currentVersion(tx, id)
		if err != nil {
			return err
		}
		d = &probity.Domain{Spec: cur.Spec, Version: cur.Version, AppliedAt: cur.AppliedAt, EffectiveAt: cur.EffectiveAt, Versions: versions}
		return nil
	})
	return d, err
}
