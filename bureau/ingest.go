package bureau

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/spec"
)

// MaxKeyLength bounds an event key.
const MaxKeyLength = 128

// errRejected rolls back an input with bad lines.
var errRejected = errors.New("input rejected")

// Ingest validates every input line and applies the good ones in one
// transaction; see probity.EventService. It reads, parses, validates,
// pseudonymises and points the whole input before it takes any lock (a
// slow or huge upload holds up nobody), and holds the store only to store.
func (b *Bureau) Ingest(ctx context.Context, domain string, r probity.EventReader, opts probity.IngestOptions) (*probity.IngestSummary, error) {
	if err := b.authorize(ctx, "reporting events", role(probity.RoleReporter, domain)); err != nil {
		return nil, err
	}
	start := time.Now()
	sum := &probity.IngestSummary{Errors: []probity.LineError{}}
	var in *intake
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		in, err = b.newIntake(tx, domain)
		return err
	})
	if err != nil {
		return nil, err
	}
	sp := &spool{}
	defer sp.close()
	if err := in.prepareInput(ctx, r, sp, sum, opts.Progress); err != nil {
		return nil, err
	}
	if sum.Rejected > 0 && !opts.SkipInvalid {
		// Nothing will be stored: say what else is wrong (cures, keys
		// taken) from a snapshot, holding no lock.
		err := b.store.View(ctx, func(tx probity.ReadTx) error {
			in.rtx = tx
			return sp.each(func(p *spooled) error { return in.check(p.Line, p.Event, sum) })
		})
		if err != nil {
			return nil, err
		}
		sort.SliceStable(sum.Errors, func(i, j int) bool { return sum.Errors[i].Line < sum.Errors[j].Line })
		sum.Elapsed = time.Since(start)
		return sum, in.errRejected(sum)
	}
	err = b.store.Update(ctx, func(tx probity.Tx) error {
		versions, err := domainVersions(tx, domain)
		if err != nil {
			return err
		}
		if len(versions) != in.known {
			return probity.Errorf(probity.EUNAVAILABLE, "a new spec version of %s was applied while this upload was read; nothing was applied: send it again", domain)
		}
		in.tx, in.rtx, in.batchLog, in.actor = tx, tx, b.log.Begin(tx), probity.ActorFromContext(ctx).ID
		in.inserted = make([]bool, sp.len())
		pos := 0
		err = sp.each(func(p *spooled) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			pos++
			return in.take(pos-1, p.Line, p.Event, p.Points, sum)
		})
		if err != nil {
			return err
		}
		if err := in.flush(sum); err != nil {
			return err
		}
		if sum.Rejected > 0 && !opts.SkipInvalid {
			return errRejected
		}
		if err := in.appendLeaves(sp); err != nil {
			return err
		}
		sum.Applied = true
		return in.batchLog.Commit()
	})
	sort.SliceStable(sum.Errors, func(i, j int) bool { return sum.Errors[i].Line < sum.Errors[j].Line })
	sum.Elapsed = time.Since(start)
	if errors.Is(err, errRejected) {
		sum.Applied = false
		return sum, in.errRejected(sum)
	} else if err != nil {
		return nil, err
	}
	b.observer.EventsIngested(domain, sum.Accepted)
	return sum, nil
}

// prepareInput reads and prepares every line of the input, with no
// transaction open: invalid lines are counted in sum, valid events spooled.
// Only an input that cannot be read (or a cancelled request) is an error.
func (in *intake) prepareInput(ctx context.Context, r probity.EventReader, sp *spool, sum *probity.IngestSummary, progress func(int)) error {
	stop := make(chan struct{})
	defer close(stop)
	lines := 0
	for batch := range in.prepareAll(r, stop) {
		for _, p := range batch {
			if p.readErr != nil {
				return fmt.Errorf("reading input after line %d: %w", lines, p.readErr)
			}
			lines++
			if lines%1000 == 0 {
				if progress != nil {
					progress(lines)
				}
				if err := ctx.Err(); err != nil {
					return err // the caller left: stop reading
				}
			}
			switch {
			case p.input.Err != nil:
				reject(sum, p.input.Line, p.input.Key, p.input.Err.Error())
			case p.err != nil:
				if probity.ErrorCode(p.err) == probity.EINTERNAL {
					return p.err
				}
				key := p.input.Key
				if errors.As(p.err, new(keyScreenedError)) {
					key = "" // it holds the subject's identifier: the answer does not echo it
				}
				reject(sum, p.input.Line, key, probity.ErrorMessage(p.err))
			default:
				if err := sp.add(spooled{p.input.Line, p.event, p.points, p.digest}); err != nil {
					return err
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if progress != nil {
		progress(lines)
	}
	return nil
}

// intake validates and stores the events of one input in one transaction.
type intake struct {
	// tx stores; rtx reads (the same transaction, or a snapshot for a
	// check that stores nothing).
	tx  probity.Tx
	rtx probity.ReadTx
	// known is how many spec versions the domain had when the input was
	// prepared: a version applied since would miss the events' points.
	known   int
	keys    *identity.KeyRing
	domain  string
	now     time.Time
	current *spec.Compiled
	// later holds the versions that take effect after now: an event is
	// pointed under each, so that scores at any time after its recording
	// find its points (versions before now never see it: recorded_at).
	later    []*spec.Compiled
	versions []int
	// batch holds validated events not yet stored, by key, so that cures
	// and repeated keys within the batch are seen before it is flushed.
	batch    []pendingEvent
	batchKey map[string]int
	// batchLog holds the leaves of the accepted events, appended at the end.
	batchLog *audit.Batch
	// inserted says, by spool position, which events were stored.
	inserted []bool
	// groups are the batch leaves to append, in spool order (see slots).
	groups []memberGroup
	// saltKey derives the salts of the members' records (see salt); it
	// lives in memory for the one transaction, never stored.
	saltKey []byte
	actor   string
	// limit is the current version's events_per_subject; subjects counts
	// each subject of the upload against it, and over what went past it.
	limit    int
	subjects map[probity.Pseudonym]*subjectLimit
	over     overLimit
}

// pendingEvent is a validated event waiting for its batch to be stored.
type pendingEvent struct {
	line   int
	pos    int // in the spool
	event  *probity.Event
	points []probity.Points
}

// batchSize is how many validated events are stored at once: on
// PostgreSQL each batch costs a few round trips (COPY, the insert from the
// staging table, the leaves), so fewer, larger batches ingest about 25%
// faster there; SQLite does not mind either way.
const batchSize = 5000

// newIntake reads the domain's versions in tx; a write transaction sets
// the intake's tx before it stores.
func (b *Bureau) newIntake(tx probity.ReadTx, domain string) (*intake, error) {
	versions, err := domainVersions(tx, domain)
	if err != nil {
		return nil, err
	}
	in := &intake{keys: b.keys, domain: domain, now: tx.Now(), known: len(versions), batchKey: make(map[string]int),
		subjects: make(map[probity.Pseudonym]*subjectLimit)}
	cur := probity.VersionAt(versions, in.now)
	for i := range versions {
		v := &versions[i]
		if cur != nil && v.Version < cur.Version {
			continue
		}
		c, err := b.compile(v)
		if err != nil {
			return nil, err
		}
		if v == cur || (cur == nil && in.current == nil) {
			in.current = c
		}
		in.later = append(in.later, c)
		in.versions = append(in.versions, v.Version)
	}
	if in.current != nil {
		in.limit = in.current.Spec().EventsPerSubject()
	}
	return in, nil
}

// prepared is an input line checked as far as it can be without the
// store: parsed, validated against the spec, pseudonymised and pointed.
type prepared struct {
	input   probity.EventInput
	event   *probity.Event
	points  []probity.Points
	digest  string // audit.EventDigest of event
	err     error  // the line is invalid
	readErr error  // the input could not be read: the ingest fails
}

// prepareBatch is how many prepared lines go to the store's goroutine at once.
const prepareBatch = 256

// prepareAll reads and prepares the input on a goroutine of its own while
// the caller stores what is ready: reading, validating, pseudonymising and
// pointing (CPU) overlap with the inserts (SQLite). It stops early when
// stop is closed.
func (in *intake) prepareAll(r probity.EventReader, stop <-chan struct{}) <-chan []prepared {
	out := make(chan []prepared, 4)
	go func() {
		defer close(out)
		batch := make([]prepared, 0, prepareBatch)
		send := func() bool {
			select {
			case out <- batch:
				batch = make([]prepared, 0, prepareBatch)
				return true
			case <-stop:
				return false
			}
		}
		for {
			input, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				batch = append(batch, prepared{readErr: err})
				break
			}
			p := prepared{input: input}
			if input.Err == nil {
				if p.event, p.points, p.err = in.prepare(input); p.err == nil {
					p.digest = audit.EventDigest(p.event)
				}
			}
			if batch = append(batch, p); len(batch) == prepareBatch && !send() {
				return
			}
		}
		if len(batch) > 0 {
			send()
		}
	}()
	return out
}

// check counts one prepared event of an input that will not be stored:
// rejected if its cure or its key says so, a duplicate if the store holds
// it, accepted otherwise (as it would have been).
func (in *intake) check(line int, e *probity.Event, sum *probity.IngestSummary) error {
	if err := in.checkCure(e); err != nil {
		if probity.ErrorCode(err) == probity.EINTERNAL {
			return err
		}
		reject(sum, line, e.Key, probity.ErrorMessage(err))
		return nil
	}
	prev, err := in.lookup(e.Key)
	switch {
	case err == nil:
		in.settle(sum, line, prev, e)
	case probity.ErrorCode(err) == probity.ENOTFOUND:
		if ok, err := in.admitChecked(line, e, sum); !ok || err != nil {
			return err
		}
		in.batchKey[e.Key] = len(in.batch)
		in.batch = append(in.batch, pendingEvent{line: line, event: e})
		sum.Accepted++
	default:
		return err
	}
	return nil
}

// take settles one prepared event: it checks what needs the store (a
// cure's target) and queues the event for storing, counting it in sum once
// its fate is known. Only a store failure is returned.
func (in *intake) take(pos, line int, e *probity.Event, points []probity.Points, sum *probity.IngestSummary) error {
	if err := in.checkCure(e); err != nil {
		if probity.ErrorCode(err) == probity.EINTERNAL {
			return err
		}
		reject(sum, line, e.Key, probity.ErrorMessage(err))
		return nil
	}
	if i, ok := in.batchKey[e.Key]; ok {
		in.settle(sum, line, in.batch[i].event, e)
		return nil
	}
	if ok, err := in.admit(line, e, sum); !ok || err != nil {
		return err
	}
	in.batchKey[e.Key] = len(in.batch)
	in.batch = append(in.batch, pendingEvent{line: line, pos: pos, event: e, points: points})
	if len(in.batch) >= batchSize {
		return in.flush(sum)
	}
	return nil
}

// flush stores the batch; an event whose key is already taken is a
// duplicate if it is the same event and a rejected conflict otherwise.
func (in *intake) flush(sum *probity.IngestSummary) error {
	if len(in.batch) == 0 {
		return nil
	}
	events := make([]*probity.Event, len(in.batch))
	points := make([][]probity.Points, len(in.batch))
	for i, p := range in.batch {
		events[i], points[i] = p.event, p.points
	}
	if err := in.slots(events); err != nil {
		return err
	}
	inserted, err := in.tx.InsertEvents(events, points)
	if err != nil {
		return err
	}
	for i, ok := range inserted {
		if ok {
			sum.Accepted++
			in.inserted[in.batch[i].pos] = true
			continue
		}
		prev, err := in.tx.EventByKey(in.domain, events[i].Key)
		if err != nil {
			return err
		}
		in.settle(sum, in.batch[i].line, prev, events[i])
	}
	in.stored(in.batch, inserted)
	in.batch = in.batch[:0]
	clear(in.batchKey)
	return nil
}

// settle counts an event whose key is taken by prev.
func (in *intake) settle(sum *probity.IngestSummary, line int, prev, e *probity.Event) {
	if diff := difference(prev, e); diff != "" {
		reject(sum, line, e.Key, fmt.Sprintf("key %q already holds a different event (its %s differs); keys are idempotency keys: resend the same content or use a new key", e.Key, diff))
		return
	}
	sum.Duplicates++
}

// reject counts a rejected line and says why, echoing its key unless the
// key holds an identifier.
func reject(sum *probity.IngestSummary, line int, key, msg string) {
	sum.Rejected++
	if len(sum.Errors) < probity.MaxLineErrors {
		if identity.ScreenText("key", key) != nil {
			key = ""
		}
		sum.Errors = append(sum.Errors, probity.LineError{Line: line, Key: truncate(key, 64), Message: msg})
	}
}

// prepare turns one input into an event with its points, or says what is
// wrong with it, as far as that can be told without the store (take checks
// the rest). It only reads the intake, so it may run beside the store's
// goroutine.
func (in *intake) prepare(input probity.EventInput) (*probity.Event, []probity.Points, error) {
	if err := validateKey(input.Key); err != nil {
		return nil, nil, err
	}
	s := in.current.Spec()
	rule := s.Rule(input.Type)
	if rule == nil {
		return nil, nil, probity.Errorf(probity.EINVALID, "type: %q is not an event type of %s; declared: %s", truncate(input.Type, 64), in.domain, strings.Join(ruleTypes(s), ", "))
	}
	subject, err := identity.Parse(input.Subject)
	if err != nil {
		return nil, nil, prefixed("subject", err)
	}
	if !s.Rates(subject.Kind) {
		return nil, nil, probity.Errorf(probity.EINVALID, "subject: %s does not rate %s subjects; it rates: %s", in.domain, subject.Kind, kindList(s.Subjects))
	}
	occurred, err := ParseTime(input.OccurredAt)
	if err != nil {
		return nil, nil, prefixed("occurred_at", err)
	}
	if occurred.After(in.now.Add(probity.MaxClockSkew)) {
		return nil, nil, probity.Errorf(probity.EINVALID, "occurred_at: %s is in the future (now is %s); events report facts that have happened", occurred.Format(time.RFC3339), in.now.Format(time.RFC3339))
	}
	typed, err := spec.Fields(rule, input.Fields, input.FieldsAsText)
	if err != nil {
		return nil, nil, err
	}
	if err := screenEvent(subject, input.Key, input.Cures, typed); err != nil {
		return nil, nil, err
	}
	e := &probity.Event{
		Domain: in.domain, Key: input.Key, Type: input.Type, Subject: in.keys.Pseudonym(in.domain, subject),
		Kind: subject.Kind, OccurredAt: occurred, RecordedAt: in.now, Fields: storedFields(typed), Cures: input.Cures,
	}
	points, err := in.points(e, typed)
	return e, points, err
}

// points evaluates the event under the current version and every later one.
func (in *intake) points(e *probity.Event, typed map[string]any) ([]probity.Points, error) {
	points := make([]probity.Points, 0, len(in.later))
	for i, c := range in.later {
		var raw float64
		var err error
		if c == in.current {
			raw, err = c.Points(e.Type, typed)
		} else {
			raw, err = c.EventPoints(e.Type, e.Fields, false)
			if err != nil {
				err = probity.Errorf(probity.EINVALID, "cannot be scored under spec version %d, already applied and not yet in effect: %s", in.versions[i], probity.ErrorMessage(err))
			}
		}
		if err != nil {
			return nil, err
		}
		points = append(points, probity.Points{Version: in.versions[i], Raw: raw})
	}
	return points, nil
}

// checkCure enforces the contract of `cures`: the key of an earlier event
// of the same subject whose type lists this event's type in cured_by.
func (in *intake) checkCure(e *probity.Event) error {
	if e.Cures == "" {
		return nil
	}
	if e.Cures == e.Key {
		return probity.Errorf(probity.EINVALID, "cures: an event cannot cure itself")
	}
	target, err := in.lookup(e.Cures)
	if probity.ErrorCode(err) == probity.ENOTFOUND {
		return probity.Errorf(probity.EINVALID, "cures: no event with key %q in %s; cures must name an earlier event of the same subject", truncate(e.Cures, 64), in.domain)
	} else if err != nil {
		return err
	}
	if target.Subject != e.Subject {
		return probity.Errorf(probity.EINVALID, "cures: event %q is about another subject; an event can only cure an event of its own subject", truncate(e.Cures, 64))
	}
	rule := in.current.Spec().Rule(target.Type)
	if rule == nil || !contains(rule.CuredBy, e.Type) {
		allowed := "nothing"
		if rule != nil && len(rule.CuredBy) > 0 {
			allowed = strings.Join(rule.CuredBy, ", ")
		}
		return probity.Errorf(probity.EINVALID, "cures: a %s event cannot cure a %s event; %s is cured by: %s", e.Type, target.Type, target.Type, allowed)
	}
	if e.OccurredAt.Before(target.OccurredAt) {
		return probity.Errorf(probity.EINVALID, "cures: the cure occurred at %s, before the event it cures (%s)", e.OccurredAt.Format(time.RFC3339), target.OccurredAt.Format(time.RFC3339))
	}
	return nil
}

// validate turns one input into a stored event with its points, or says
// what is wrong with it: prepare, then the cure's target in the store.
func (in *intake) validate(input probity.EventInput) (*probity.Event, []probity.Points, error) {
	e, points, err := in.prepare(input)
	if err == nil {
		err = in.checkCure(e)
	}
	if err != nil {
		return nil, nil, err
	}
	return e, points, nil
}

// lookup finds an event by key in the store, then in the batch. The store
// comes first: a batch event whose key the store already holds is a
// duplicate or a conflict, never the event its key names.
func (in *intake) lookup(key string) (*probity.Event, error) {
	e, err := in.rtx.EventByKey(in.domain, key)
	if probity.ErrorCode(err) != probity.ENOTFOUND {
		return e, err
	}
	if i, ok := in.batchKey[key]; ok {
		return in.batch[i].event, nil
	}
	return nil, err
}
