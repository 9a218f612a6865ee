package audit_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/bureau/bureautest"
	"github.com/probity-dev/probity/population"
	"github.com/probity-dev/probity/spec"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

// installation is a data directory with a bureau over it.
type installation struct {
	dir    string
	db     *sqlstore.DB
	bureau *bureau.Bureau
	signer *audit.Signer
}

func openInstallation(tb testing.TB, dir string) *installation {
	tb.Helper()
	db, err := storetest.OpenDir(tb, context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	b, signer := bureautest.Open(tb, dir, db)
	tb.Cleanup(func() { db.Close() })
	return &installation{dir: dir, db: db, signer: signer, bureau: b}
}

// withLending begins an installation's log and applies the lending domain,
// as the command line (actor) would; it returns the actor's context and
// the domain's spec.
func withLending(tb testing.TB, in *installation, actor string) (context.Context, *probity.Spec) {
	tb.Helper()
	ctx := probity.NewContextWithActor(context.Background(), probity.Actor{ID: actor, Local: true})
	if err := in.bureau.Init(ctx); err != nil {
		tb.Fatal(err)
	}
	src, err := os.ReadFile("../examples/domains/acme-lending.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := in.bureau.ApplySpec(ctx, "", src); err != nil {
		tb.Fatal(err)
	}
	s, err := spec.Parse(src)
	if err != nil {
		tb.Fatal(err)
	}
	return ctx, s
}

// populated returns a closed data directory with the lending domain, the
// events of subjects synthetic subjects, and a few reads.
func populated(tb testing.TB, subjects int) string {
	tb.Helper()
	dir := tb.TempDir()
	in := openInstallation(tb, dir)
	ctx, s := withLending(tb, in, "test")
	opts := population.Options{Subjects: subjects, Seed: 9, Now: time.Now().Add(-48 * time.Hour)}
	d, err := population.NewDomain(s, "L", opts)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := in.bureau.Ingest(ctx, s.ID, d.Reader(), probity.IngestOptions{}); err != nil {
		tb.Fatal(err)
	}
	// The installation log records the domain log's checkpoint after the
	// ingest: a later change to that checkpoint shows against the record.
	if n, err := in.bureau.SealLogs(ctx); err != nil || n != 1 {
		tb.Fatalf("SealLogs = %d, %v; want the domain log recorded", n, err)
	}
	// reads: 20, or with a large population enough that the domain log,
	// whose events are in a few batch leaves, has a full tile of leaves
	reads := min(subjects, 20)
	if subjects >= 250 {
		reads = subjects
	}
	for i := range reads {
		id, _ := opts.Subject(i)
		if _, err := in.bureau.Score(ctx, probity.ScoreRequest{Domain: s.ID, Subject: id, Purpose: "account_review"}); err != nil && probity.ErrorCode(err) != probity.EINVALID {
			tb.Fatal(err)
		}
	}
	in.db.Close()
	return dir
}

func verify(tb testing.TB, dir string) *audit.Report {
	tb.Helper()
	in := openInstallation(tb, dir)
	r, err := audit.Verify(context.Background(), in.db, in.signer.Verifier(), in.bureau.KeyDigests())
	if err != nil {
		tb.Fatal(err)
	}
	in.db.Close()
	return r
}

func auditVerify(ctx context.Context, in *installation) (*audit.Report, error) {
	return audit.Verify(ctx, in.db, in.signer.Verifier(), in.bureau.KeyDigests())
}
