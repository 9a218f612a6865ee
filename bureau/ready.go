package bureau

import (
	"context"
	"fmt"
	"strings"

	"github.com/probity-dev/probity"
)

// Readiness says whether this server should be sent traffic, check by
// check: the store answers a read, its schema has every migration this
// binary knows, the keys are loaded, and the witnesses' quorum cosigned the
// latest installation checkpoint (when witnesses are configured). Each
// check is "ok" or says what is wrong.
func (b *Bureau) Readiness(ctx context.Context) (bool, map[string]string) {
	checks := map[string]string{"store": "ok", "migrations": "ok", "keys": "ok"}
	ready := true
	fail := func(check, format string, args ...any) {
		checks[check], ready = fmt.Sprintf(format, args...), false
	}
	if err := b.store.View(ctx, func(tx probity.ReadTx) error { _, err := tx.DomainIDs(); return err }); err != nil {
		fail("store", "unavailable: %s", probity.ErrorMessage(err))
	}
	if m, ok := b.store.(interface {
		PendingMigrations(context.Context) ([]string, error)
	}); ok && ready {
		if pending, err := m.PendingMigrations(ctx); err != nil {
			fail("migrations", "cannot be read: %v", err)
		} else if len(pending) > 0 {
			fail("migrations", "%d pending (%s): run probity migrate", len(pending), strings.Join(pending, ", "))
		}
	}
	if b.keys == nil || b.log == nil || b.log.Signer() == nil {
		fail("keys", "not loaded")
	}
	switch degraded, detail, err := b.WitnessHealth(ctx); {
	case err != nil:
		fail("witnesses", "cannot be read: %s", probity.ErrorMessage(err))
	case degraded:
		fail("witnesses", "the latest installation checkpoint lacks the witnesses' quorum (see /healthz)")
	case detail != nil:
		checks["witnesses"] = "ok"
	}
	return ready, checks
}
