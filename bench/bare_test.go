package bench

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/storetest"
)

// newTestSite stores a population in a new site of the test backend
// (PROBITY_TEST_BACKEND) and fixes its evaluation time.
func newTestSite(t *testing.T, pop Population) *site {
	t.Helper()
	ctx := context.Background()
	dsn := ""
	if storetest.Backend() == "postgres" {
		dsn = storetest.NewPostgres(t)
	}
	be, err := newBackend(ctx, "", dsn, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.close(ctx) })
	k, err := loadKeys(be.dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSite(ctx, be, k, "main", pop)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close(ctx) })
	err = pop.chunks(func(d int, inputs []probity.EventInput) error {
		_, err := s.ingest(d, inputs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.settle()
	return s
}

// The bare server answers every sampled subject the score Probity's server
// answers; one that does not fails the check, naming the subject and both
// answers, and so fails the bench.
func TestBareServer(t *testing.T) {
	ctx := context.Background()
	s := newTestSite(t, Population{Subjects: 80, EventsPerSubject: 5, Domains: 2, Seed: 3, Anchor: anchor})
	srv := phttp.NewServer(s.bureau, nil)
	srv.Rate, srv.Burst = 0, 0
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	bare, err := startBare(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.close(ctx)
	sample, err := s.targets(agreeSample)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{}
	t.Run("OK", func(t *testing.T) {
		if err := agreeOverHTTP(ctx, srv.URL(), s.token, bare.url, bare.token(), sample, s.asOf); err != nil {
			t.Fatal(err)
		}
		// Both domains are asked for, and the scores are not all alike.
		domains, scores := map[string]bool{}, map[int64]bool{}
		for _, tg := range sample {
			got, err := scoreOver(ctx, client, bare.url, bare.token(), tg, s.asOf)
			if err != nil {
				t.Fatal(err)
			}
			domains[tg.domain] = true
			scores[got.score] = true
		}
		if len(sample) != 160 || len(domains) != 2 || len(scores) < 10 {
			t.Fatalf("%d subjects in %d domains with %d different scores: want 160 in 2 with many scores", len(sample), len(domains), len(scores))
		}
	})
	t.Run("ErrDisagree", func(t *testing.T) {
		defer func(base float64) { baselineBase = base }(baselineBase)
		baselineBase = 601
		err := agreeOverHTTP(ctx, srv.URL(), s.token, bare.url, bare.token(), sample, s.asOf)
		if err == nil {
			t.Fatal("a bare server one point off agreed with Probity's")
		}
		for _, want := range []string{"scores over HTTP disagree for person:b", "Probity's server rated ", "the bare server rated "} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
	t.Run("ErrToken", func(t *testing.T) {
		if _, err := scoreOver(ctx, client, bare.url, s.token, sample[0], s.asOf); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("err=%v, want the bare server to refuse another token with 401", err)
		}
	})
}
