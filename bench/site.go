package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// keys are the installation keys every store of one run shares: the master
// key (pseudonyms) and the log's signing key, kept in the data directory.
type keys struct {
	ring   *identity.KeyRing
	signer *audit.Signer
}

func loadKeys(dir string) (*keys, error) {
	master, err := identity.LoadOrCreateMasterKey(dir)
	if err != nil {
		return nil, err
	}
	signer, _, err := audit.LoadOrCreateSigner(dir)
	if err != nil {
		return nil, err
	}
	return &keys{ring: identity.NewKeyRing(master), signer: signer}, nil
}

// site is an installation under test: a store with the bench's domains
// applied, its services, and a reader principal's token.
type site struct {
	*store
	keys    *keys
	bureau  *bureau.Bureau
	pop     Population
	domains []string
	// operator is the context of the installation's own command line.
	operator context.Context
	// reader is the context of the reader principal, authenticated with token.
	reader context.Context
	token  string
	// asOf is the evaluation time of every score of the site: once its
	// population is stored, so that every event counts as known.
	asOf time.Time
}

// newSite opens a new store, applies version 1 of the bench spec to each
// of the population's domains and creates a reader of them all.
func newSite(ctx context.Context, be *backend, k *keys, name string, pop Population) (*site, error) {
	st, err := be.open(ctx, name)
	if err != nil {
		return nil, err
	}
	s := &site{store: st, keys: k, pop: pop, domains: domainIDs(pop.Domains),
		bureau:   bureau.New(st.db, k.ring, audit.NewLog(k.signer)),
		operator: probity.NewContextWithActor(ctx, probity.Actor{ID: "cli:bench", Local: true})}
	if err := s.setUp(ctx); err != nil {
		st.close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *site) setUp(ctx context.Context) error {
	if err := s.bureau.Init(s.operator); err != nil {
		return err
	}
	var grants []probity.Grant
	for _, id := range s.domains {
		if _, err := s.bureau.ApplySpec(s.operator, "", specSource(id, 1)); err != nil {
			return fmt.Errorf("bench spec %s: %w", id, err)
		}
		grants = append(grants, probity.Grant{Role: probity.RoleReader, Domain: id})
	}
	issued, err := s.bureau.CreatePrincipal(s.operator, probity.PrincipalRequest{Name: "bench reader", Grants: grants})
	if err != nil {
		return err
	}
	actor, err := s.bureau.Authenticate(ctx, issued.Token)
	if err != nil {
		return err
	}
	s.token, s.reader = issued.Token, probity.NewContextWithActor(ctx, actor)
	return nil
}

// ingest stores a chunk of the population through Probity's ingest, and
// returns how long it took.
func (s *site) ingest(d int, inputs []probity.EventInput) (time.Duration, error) {
	start := time.Now()
	sum, err := s.bureau.Ingest(s.operator, s.domains[d], &sliceReader{inputs: inputs}, probity.IngestOptions{})
	elapsed := time.Since(start)
	if err != nil {
		if sum != nil && len(sum.Errors) > 0 {
			return 0, fmt.Errorf("ingest into %s: %s (line %d: %s)", s.domains[d], probity.ErrorMessage(err), sum.Errors[0].Line, sum.Errors[0].Message)
		}
		return 0, fmt.Errorf("ingest into %s: %w", s.domains[d], err)
	}
	if sum.Accepted != len(inputs) {
		return 0, fmt.Errorf("ingest into %s: %d of %d events accepted", s.domains[d], sum.Accepted, len(inputs))
	}
	return elapsed, nil
}

// settle fixes the evaluation time once everything is stored: the first
// millisecond after the last write, waited out.
func (s *site) settle() {
	time.Sleep(2 * time.Millisecond)
	s.asOf = time.Now().UTC().Truncate(time.Millisecond)
	time.Sleep(time.Millisecond)
}

// compiled returns the compiled version 1 of the bench spec as domain id.
func compiled(id string) (*spec.Compiled, error) {
	parsed, err := spec.Parse(specSource(id, 1))
	if err != nil {
		return nil, err
	}
	return spec.Compile(parsed)
}
