package bureau_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/bureau/bureautest"
	"github.com/probity-dev/probity/eventfile"
	"github.com/probity-dev/probity/spec"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

// clock is a settable time for the store's transactions.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture is a bureau over a fresh embedded store at a settable time.
type fixture struct {
	*bureau.Bureau
	clock  *clock
	dir    string
	db     *sqlstore.DB
	signer *audit.Signer
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	dir := tb.TempDir()
	db, err := storetest.OpenDir(tb, local(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c := &clock{t: t0}
	db.Now = c.now
	b, signer := bureautest.New(tb, dir, db)
	return &fixture{Bureau: b, clock: c, dir: dir, db: db, signer: signer}
}

func (f *fixture) apply(tb testing.TB, source string) *probity.ApplyResult {
	tb.Helper()
	res, err := f.ApplySpec(local(), "", []byte(source))
	if err != nil {
		tb.Fatal(probity.ErrorMessage(err))
	}
	return res
}

func (f *fixture) applyFile(tb testing.TB, path string) *probity.ApplyResult {
	tb.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f.apply(tb, string(buf))
}

func (f *fixture) ingest(tb testing.TB, domain, input string, skip bool) (*probity.IngestSummary, error) {
	tb.Helper()
	r, err := eventfile.NewReader(strings.NewReader(input))
	if err != nil {
		tb.Fatal(err)
	}
	return f.Ingest(local(), domain, r, probity.IngestOptions{SkipInvalid: skip})
}

func (f *fixture) mustIngest(tb testing.TB, domain, input string) *probity.IngestSummary {
	tb.Helper()
	sum, err := f.ingest(tb, domain, input, false)
	if err != nil {
		for _, e := range sum.Errors {
			tb.Logf("line %d: %s", e.Line, e.Message)
		}
		tb.Fatal(probity.ErrorMessage(err))
	}
	return sum
}

func (f *fixture) score(tb testing.TB, domain, subject string, asOf time.Time) *probity.Score {
	tb.Helper()
	s, err := f.Score(local(), probity.ScoreRequest{Domain: domain, Subject: subject, AsOf: asOf})
	if err != nil {
		tb.Fatal(probity.ErrorMessage(err))
	}
	return s
}

const lending = "../examples/domains/acme-lending.yaml"

// Valid identifiers used across the tests.
const (
	alice = "cn-rid:11010519491231002X"
	bob   = "person:bob-0001"
	acme  = "uscc:91350100M000100Y43"
	city  = "gov:city-hall"
)

var errEOF = io.EOF

// local is the context of the command line on the installation's machine,
// which may do anything (access control has its own tests).
func local() context.Context {
	return probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
}

func compileFor(s *probity.Spec) (*spec.Compiled, error) { return spec.Compile(s) }
