// Package bureautest starts the bureau every end-to-end test of the API,
// the pages and the client runs over: one fixture, not one per package.
package bureautest

import (
	"context"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/identity"
)

// Local is the command line's context, which may do anything.
func Local() context.Context {
	return probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
}

// New makes an installation over db: its master key and log signer in
// dir (created there), a bureau over them, initialised. It returns the
// bureau and the signer.
func New(tb testing.TB, dir string, db probity.Store) (*bureau.Bureau, *audit.Signer) {
	tb.Helper()
	b, signer := Open(tb, dir, db)
	if err := b.Init(Local()); err != nil {
		tb.Fatal(err)
	}
	return b, signer
}

// Open is New without Init: for a test that begins the log itself, under
// an actor of its own, or opens an installation again.
func Open(tb testing.TB, dir string, db probity.Store) (*bureau.Bureau, *audit.Signer) {
	tb.Helper()
	master, err := identity.LoadOrCreateMasterKey(dir)
	if err != nil {
		tb.Fatal(err)
	}
	signer, _, err := audit.LoadOrCreateSigner(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return bureau.New(db, identity.NewKeyRing(master), audit.NewLog(signer)), signer
}
