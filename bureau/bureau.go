// Package bureau implements Probity's services: it authorises, validates and
// pseudonymises, then runs each operation in one store transaction and hands
// the stored facts to the pure scoring model. It holds the policy; the store
// holds the data.
package bureau

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// Bureau implements probity.DomainService, probity.EventService and
// probity.ScoreService over one store.
type Bureau struct {
	store probity.Store
	keys  *identity.KeyRing
	log   *audit.Log
	// prefix is the logs' origin prefix asked for (SetOriginPrefix).
	prefix string

	mu       sync.Mutex
	compiled map[string]*spec.Compiled // by spec digest

	reads      readLog
	principals principalCache
	refused    refusals
	// external checks identity providers' tokens; nil: none is trusted.
	external probity.ExternalVerifier
	// observer is told what was done, for metrics.
	observer probity.Observer
	// figures are the last transparency figures (figures.go).
	figures figuresCache
}

var (
	_ probity.DomainService = (*Bureau)(nil)
	_ probity.EventService  = (*Bureau)(nil)
	_ probity.ScoreService  = (*Bureau)(nil)
	_ probity.AuditService  = (*Bureau)(nil)
)

// New returns a Bureau over store that pseudonymises with keys and records
// every change and read in log.
func New(store probity.Store, keys *identity.KeyRing, log *audit.Log) *Bureau {
	b := &Bureau{store: store, keys: keys, log: log, compiled: make(map[string]*spec.Compiled), observer: probity.NopObserver{}}
	b.reads.b = b
	return b
}

// SetObserver makes the bureau tell o what it does (events ingested,
// refusals); the store tells it of the leaves appended.
func (b *Bureau) SetObserver(o probity.Observer) { b.observer = o }

// Init records the installation's keys in the installation log the first
// time it is opened: the log starts with them, so that a log signed by
// another key, or pseudonyms made with another master key, show. It fixes
// the logs' origin prefix then (SetOriginPrefix, or the default) and
// refuses another one later: origins never change.
func (b *Bureau) Init(ctx context.Context) error {
	return b.store.Update(ctx, func(tx probity.Tx) error {
		if v1, err := tx.HasV1Log(); err != nil {
			return err
		} else if v1 {
			return errV1Log
		}
		origin, err := tx.LogOrigin(probity.InstallationLog)
		if err != nil {
			return err
		}
		if origin != "" {
			prefix := strings.TrimSuffix(origin, "/"+probity.InstallationLog)
			if b.prefix != "" && b.prefix != prefix {
				return errOtherPrefix(b.prefix, prefix)
			}
			b.log.SetPrefix(prefix)
			return b.checkKeys(tx)
		}
		if b.prefix != "" {
			b.log.SetPrefix(b.prefix)
		}
		actor := probity.ActorFromContext(ctx).ID
		batch := b.log.Begin(tx)
		keys := b.KeyDigests()
		for _, ref := range []string{identity.MasterKeyFile, audit.KeyFile} {
			if err := batch.Add(probity.AuditLeaf{Actor: actor, Action: probity.ActionKeyCreated, Ref: ref, Digest: keys[ref]}); err != nil {
				return err
			}
		}
		return batch.Commit()
	})
}

// LoadOrigin reads the logs' origin prefix of an installation whose log
// has begun, for the commands that only read it (Init does it for the
// others); it refuses a store with a v1 log, and a prefix asked for that
// differs.
func (b *Bureau) LoadOrigin(ctx context.Context) error {
	return b.store.View(ctx, func(tx probity.ReadTx) error {
		if v1, err := tx.HasV1Log(); err != nil {
			return err
		} else if v1 {
			return errV1Log
		}
		origin, err := tx.LogOrigin(probity.InstallationLog)
		if err != nil || origin == "" {
			return err
		}
		prefix := strings.TrimSuffix(origin, "/"+probity.InstallationLog)
		if b.prefix != "" && b.prefix != prefix {
			return errOtherPrefix(b.prefix, prefix)
		}
		b.log.SetPrefix(prefix)
		return nil
	})
}

func errOtherPrefix(asked, prefix string) error {
	return probity.Errorf(probity.ECONFLICT, "--log-origin %s: this installation's logs have the origin prefix %s since they began, and origins never change (witnesses and auditors follow them by name); drop the flag or give that prefix", asked, prefix)
}

// SetOriginPrefix asks for the logs' origin prefix (a schema-less URL, see
// audit.CheckPrefix); Init applies it to a new installation and refuses it
// if the installation's logs already have another.
func (b *Bureau) SetOriginPrefix(prefix string) error {
	if err := audit.CheckPrefix(prefix); err != nil {
		return probity.Errorf(probity.EINVALID, "--log-origin: %v", err)
	}
	b.prefix = prefix
	return nil
}

// errV1Log refuses a store whose log is in the first format: mixing it with
// v2 leaves would leave personal data in the public log.
var errV1Log = probity.Errorf(probity.EUNAVAILABLE, "this store's audit log is in format v1 (probity-leaf/1), whose public leaves hold "+
	"actors, pseudonyms, event keys and guessable digests; this release writes only v2 leaves (commitments; DESIGN.md, \"The audit log (v2)\") "+
	"and will not mix the two. Keep the v1 store as it is and verify it with the release that wrote it (probity audit verify --data DIR); "+
	"then start this release on a new store (probity serve --data NEW_DIR, or a new PostgreSQL database) and report the domains' events into it again")

// checkKeys refuses keys other than those the log recorded when it began:
// a server of a shared database started with a new data directory would
// otherwise mint keys of its own, pseudonymise subjects apart from their
// records and sign checkpoints no one can verify.
func (b *Bureau) checkKeys(tx probity.ReadTx) error {
	keys := b.KeyDigests()
	return tx.Leaves(probity.InstallationLog, 0, 2, func(e *probity.AuditEntry) error {
		if e.Invalid != "" || e.Action != probity.ActionKeyCreated {
			return nil // not a log this check can read: audit verify says why
		}
		if want, ok := keys[e.Ref]; ok && e.Digest != want {
			return probity.Errorf(probity.ECONFLICT, "the %s in the data directory is not the one this store's log began with (leaf %d): copy master.key and audit.key from the installation's first data directory", e.Ref, e.Index)
		}
		return nil
	})
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

// KeyDigests returns, by key file, the digest that the log's key.created
// leaf of each key must hold: a hash derived from the master key (never the
// key), and the hash of the signing key's public half.
func (b *Bureau) KeyDigests() map[string]string {
	keyID := sha256.Sum256(b.keys.DomainKey("!key-id"))
	return map[string]string{
		identity.MasterKeyFile: hex.EncodeToString(keyID[:]),
		audit.KeyFile:          audit.ReadDigest(b.log.Signer().PublicKey()),
	}
}
