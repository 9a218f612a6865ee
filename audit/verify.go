package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/spec"
	"golang.org/x/mod/sumdb/note"
)

// MaxProblems bounds how many problems a report lists; the count is exact.
const MaxProblems = 100

// Report is the outcome of a verification.
type Report struct {
	Logs        int           `json:"logs"`
	Leaves      uint64        `json:"leaves"`
	Checkpoints int           `json:"checkpoints"`
	Specs       int           `json:"specs"`
	Events      int           `json:"events"`
	Principals  int           `json:"principals"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	// LogElapsed is the part spent on the log itself: leaves, tree and
	// checkpoints; the rest checks the rows against it.
	LogElapsed time.Duration `json:"log_elapsed_ns"`
	Count      int           `json:"problem_count"`
	Problems   []string      `json:"problems"`
}

// OK reports whether nothing was wrong.
func (r *Report) OK() bool { return r.Count == 0 }

func (r *Report) problem(format string, args ...any) {
	r.Count++
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// rowRef names the row a leaf binds.
type rowRef struct{ action, domain, ref string }

// bound is what a leaf says about its row.
type bound struct {
	log     string
	index   uint64
	digest  string
	subject string // domain/pseudonym of the leaf's subject, if any
}

// name names the leaf in a problem.
func (b bound) name() string { return leafName(b.log, b.index) }

// leafName names a leaf of a log in a problem: "leaf acme.lending/7".
func leafName(log string, index uint64) string { return fmt.Sprintf("leaf %s/%d", log, index) }

// checkpointName names a checkpoint of a log in a problem.
func checkpointName(log string, size uint64) string { return fmt.Sprintf("checkpoint %s/%d", log, size) }

// subjectKey names the subject of a leaf within its domain, or "".
func subjectKey(l *probity.AuditLeaf) string {
	if l.Subject == nil {
		return ""
	}
	return l.Domain + "/" + l.Subject.String()
}

// verifier checks one store.
type verifier struct {
	tx     probity.ReadTx
	notes  note.Verifiers
	report *Report
	// log, origin and tree are those of the log being checked.
	log    string
	origin string
	tree   Tree
	// seals holds, by domain log and size, the checkpoints the
	// installation log recorded.
	seals map[string]map[uint64]seal
	rows   map[rowRef]bound
	specs  map[string][]probity.SpecVersion
	keys   map[string]bound // key.created leaves by key file
	// optOuts holds the latest opt-out leaf of each (domain, pseudonym).
	optOuts map[string]optOutBound
	// retractions holds the retraction leaf of each retracted entry.
	retractions map[string]bound
	// shredded holds, by the index of the erasure leaf that shredded them,
	// the leaves seen shredded and not yet matched with their erasure.
	shredded map[uint64]*shredding
}

// shredding gathers the leaves one erasure shredded, to be checked against
// the erasure leaf's digest when the verifier reaches it.
type shredding struct {
	first  uint64
	domain string
	digest *ErasureDigest
}

type optOutBound struct {
	bound
	domain string
	out    bool
}

// Verify recomputes every leaf hash and the tree, checks every checkpoint's
// signature, its root and its consistency with the next, and checks that
// every spec and event row matches its leaf, that no leaf's row is missing
// and that no row lacks a leaf. It reads one consistent snapshot.
//
// keys maps each key file to the digest its key.created leaf must hold (see
// bureau.KeyDigests), so that a store opened with another key shows.
func Verify(ctx context.Context, store probity.Store, notes note.Verifiers, keys map[string]string) (*Report, error) {
	start := time.Now()
	r := &Report{Problems: []string{}}
	err := store.View(ctx, func(tx probity.ReadTx) error {
		v := &verifier{tx: tx, notes: notes, report: r, rows: map[rowRef]bound{}, specs: map[string][]probity.SpecVersion{}, keys: map[string]bound{}, optOuts: map[string]optOutBound{}, retractions: map[string]bound{}, shredded: map[uint64]*shredding{}, seals: map[string]map[uint64]seal{}}
		if err := v.logs(); err != nil {
			return err
		}
		r.LogElapsed = time.Since(start)
		v.checkKeys(keys)
		if err := v.specRows(); err != nil {
			return err
		}
		v.orphans(probity.ActionSpecApplied)
		if err := v.eventRows(); err != nil {
			return err
		}
		v.orphans(probity.ActionEventAccepted)
		if err := v.principalRows(); err != nil {
			return err
		}
		v.orphans(actionPrincipal)
		if err := v.disputeRows(); err != nil {
			return err
		}
		v.orphans(actionDispute)
		if err := v.tx.TermRows(func(t *probity.OfficialTerm) error {
			v.claim(rowRef{actionTerm, t.Domain, t.ID}, TermDigest(t), "official term "+t.Domain+"/"+t.ID)
			return nil
		}); err != nil {
			return err
		}
		v.orphans(actionTerm)
		if err := v.tx.ConsentRows(func(g *probity.ConsentGrant) error {
			v.claim(rowRef{actionConsent, g.Domain, g.ID}, ConsentDigest(g), "consent "+g.Domain+"/"+g.ID)
			return nil
		}); err != nil {
			return err
		}
		v.orphans(actionConsent)
		if err := v.tx.OrderRows(func(o *probity.CourtOrder) error {
			v.claim(rowRef{actionOrder, o.Domain, o.ID}, OrderDigest(o), "court order "+o.Domain+"/"+o.ID)
			return nil
		}); err != nil {
			return err
		}
		v.orphans(actionOrder)
		return v.optOutRows()
	})
	r.Elapsed = time.Since(start)
	return r, err
}

// pipelineBatch is how many rows the reader hands the checker at once.
const pipelineBatch = 512

// pipelined runs scan, the store reading and parsing rows, on this
// goroutine, and check on another, in order: two cores, two halves of the
// work. check must not call the store.
func pipelined[T any](scan func(fn func(T) error) error, check func(T)) error {
	batches := make(chan []T, 8)
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for batch := range batches {
			for _, row := range batch {
				check(row)
			}
		}
	}()
	batch := make([]T, 0, pipelineBatch)
	err := scan(func(row T) error {
		if batch = append(batch, row); len(batch) == pipelineBatch {
			batches <- batch
			batch = make([]T, 0, pipelineBatch)
		}
		return nil
	})
	batches <- batch
	close(batches)
	<-checked
	return err
}

// leaf checks one stored leaf, the next expected index being next, and
// returns the index expected after it.
func (v *verifier) leaf(e *probity.AuditEntry, next uint64) uint64 {
	if e.Index != next {
		v.report.problem("%s: missing (the next stored leaf is %d)", leafName(v.log, next), e.Index)
		next = e.Index
	}
	next++
	h := HashLeaf([]byte(e.Data))
	if !bytes.Equal(h, e.Hash) {
		v.report.problem("%s: stored hash does not match its data", leafName(v.log, e.Index))
	}
	v.tree.Append(h)
	switch {
	case e.Invalid != "":
		v.report.problem("%s: %s", leafName(v.log, e.Index), e.Invalid)
		return next
	case e.Shredded:
		v.shred(e)
		return next
	}
	switch e.Action {
	case probity.ActionSpecApplied, probity.ActionEventAccepted:
		v.rows[rowRef{e.Action, e.Domain, e.Ref}] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	case probity.ActionOrderIssued, probity.ActionOrderFulfilled:
		v.rows[rowRef{actionOrder, e.Domain, e.Ref}] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	case probity.ActionConsentGranted, probity.ActionConsentRevoked:
		v.rows[rowRef{actionConsent, e.Domain, e.Ref}] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	case probity.ActionTermRecorded:
		v.rows[rowRef{actionTerm, e.Domain, e.Ref}] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	case probity.ActionDisputeFiled, probity.ActionDisputeResolved:
		// the latest leaf of a dispute binds its row as it is now
		v.rows[rowRef{actionDispute, e.Domain, e.Ref}] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	case probity.ActionSubjectErased:
		v.erasure(e)
	case probity.ActionLogCheckpoint:
		v.noteSeal(e)
	case probity.ActionEventRetracted:
		v.retractions[e.Domain+"/"+e.Ref] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	case probity.ActionOptOut, probity.ActionOptIn:
		if e.Subject != nil {
			v.optOuts[e.Domain+"/"+e.Subject.String()] = optOutBound{bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}, e.Domain, e.Action == probity.ActionOptOut}
		}
	case probity.ActionKeyCreated:
		if _, seen := v.keys[e.Ref]; !seen {
			v.keys[e.Ref] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
		}
	case probity.ActionPrincipalCreated, probity.ActionPrincipalRevoked:
		// the latest leaf of a principal binds its row as it is now
		v.rows[rowRef{actionPrincipal, "", e.Ref}] = bound{e.Log, e.Index, e.Digest, subjectKey(&e.AuditLeaf)}
	}
	return next
}

// logs checks every log: the installation log first (it records the
// domain logs' checkpoints), then each domain's.
func (v *verifier) logs() error {
	logs, err := v.tx.Logs()
	if err != nil {
		return err
	}
	sort.SliceStable(logs, func(i, j int) bool { return logs[i].Name == probity.InstallationLog && logs[j].Name != probity.InstallationLog })
	prefix := ""
	for _, info := range logs {
		v.report.Logs++
		if info.Name == probity.InstallationLog {
			prefix = strings.TrimSuffix(info.Origin, "/"+probity.InstallationLog)
		}
		switch want := prefix + "/" + info.Name; {
		case info.Origin == "":
			v.report.problem("log %s: has leaves but no head row: it was not created by Probity", info.Name)
		case info.Origin != want:
			v.report.problem("log %s: its origin is %q, want %q (the installation's prefix and the log's name)", info.Name, info.Origin, want)
		}
		v.log, v.origin, v.tree = info.Name, info.Origin, Tree{}
		clear(v.shredded)
		if err := v.leaves(); err != nil {
			return err
		}
		if err := v.checkpoints(); err != nil {
			return err
		}
	}
	v.unmatchedSeals()
	return nil
}

// leaves checks that a log's leaves are numbered without gaps and that each
// stored hash is the hash of its data, and builds its tree.
func (v *verifier) leaves() error {
	size, err := v.tx.LogSize(v.log)
	if err != nil {
		return err
	}
	next := uint64(0)
	err = pipelined(func(fn func(*probity.AuditEntry) error) error { return v.tx.Leaves(v.log, 0, size, fn) },
		func(e *probity.AuditEntry) { next = v.leaf(e, next) })
	v.report.Leaves += v.tree.Size()
	if err != nil {
		return err
	}
	v.unmatchedShreds()
	count, first, last, err := v.tx.LeafRows(v.log)
	if err != nil {
		return err
	}
	if count > 0 && (first != 0 || uint64(last)+1 != count) {
		v.report.problem("log %s: %d leaf rows with indexes %d to %d; a log is numbered from 0 without gaps", v.log, count, first, last)
	}
	return nil
}

// seal is what the installation log records of a domain log's checkpoint.
type seal struct {
	at   uint64 // the installation leaf's index
	root string
}

// noteSeal keeps a seal leaf's claim, to be checked against the domain
// log's checkpoints.
func (v *verifier) noteSeal(e *probity.AuditEntry) {
	size, err := strconv.ParseUint(e.Ref, 10, 64)
	if err != nil || e.Actor != SealActor {
		v.report.problem("%s: a log.checkpoint leaf whose record (%s, %q) is not Probity's", leafName(v.log, e.Index), e.Actor, e.Ref)
		return
	}
	if v.seals[e.Domain] == nil {
		v.seals[e.Domain] = map[uint64]seal{}
	}
	v.seals[e.Domain][size] = seal{e.Index, e.Digest}
}

// checkSeal checks a domain log's checkpoint against what the installation
// log recorded of it, if anything.
func (v *verifier) checkSeal(c *probity.Checkpoint) {
	s, ok := v.seals[v.log][c.Size]
	if !ok {
		return
	}
	delete(v.seals[v.log], c.Size)
	if s.root != hex.EncodeToString(c.Root) {
		v.report.problem("%s: its root differs from the one %s recorded: the log was rewritten", checkpointName(v.log, c.Size), leafName(probity.InstallationLog, s.at))
	}
}

// unmatchedSeals reports seals of checkpoints no log holds.
func (v *verifier) unmatchedSeals() {
	var logs []string
	for log, seals := range v.seals {
		if len(seals) > 0 {
			logs = append(logs, log)
		}
	}
	sort.Strings(logs)
	for _, log := range logs {
		sizes := make([]uint64, 0, len(v.seals[log]))
		for size := range v.seals[log] {
			sizes = append(sizes, size)
		}
		sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
		for _, size := range sizes {
			v.report.problem("%s: records checkpoint %d of log %s, which the log does not hold: the log was cut back or rewritten",
				leafName(probity.InstallationLog, v.seals[log][size].at), size, log)
		}
	}
}

// checkKeys checks that the keys the store is opened with are the keys its
// log was started with.
func (v *verifier) checkKeys(keys map[string]string) {
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b, ok := v.keys[name]
		switch {
		case !ok && v.tree.Size() > 0:
			v.report.problem("key %s: no key.created leaf records it", name)
		case ok && b.digest != keys[name]:
			v.report.problem("key %s: does not match %s, which recorded the key this log was started with", name, b.name())
		}
	}
}

// checkpoints checks each checkpoint of the log: its signature and
// origin, its root against the recomputed tree, its consistency with the
// previous one, and that the latest covers every leaf.
func (v *verifier) checkpoints() error {
	var prev *probity.Checkpoint
	err := v.tx.Checkpoints(v.log, func(c *probity.Checkpoint) error {
		v.report.Checkpoints++
		v.checkpoint(c, prev)
		prev = c
		return nil
	})
	if err != nil {
		if probity.ErrorCode(err) == probity.EINVALID {
			v.report.problem("%s", probity.ErrorMessage(err))
			return nil
		}
		return err
	}
	switch {
	case prev == nil && v.tree.Size() > 0:
		v.report.problem("log %s: %d leaves but no checkpoint", v.log, v.tree.Size())
	case prev != nil && prev.Size != v.tree.Size():
		v.report.problem("%s: the latest checkpoint, but the log has %d leaves; every write is sealed by a checkpoint, so leaves or checkpoints were added or removed", checkpointName(v.log, prev.Size), v.tree.Size())
	}
	return nil
}

func (v *verifier) checkpoint(c, prev *probity.Checkpoint) {
	name := checkpointName(v.log, c.Size)
	sc, err := OpenCheckpoint([]byte(c.Note), v.notes)
	if err != nil {
		v.report.problem("%s: %v", name, err)
		return
	}
	switch {
	case sc.Origin != v.origin:
		v.report.problem("%s: signed for log %q, not this log (%q)", name, sc.Origin, v.origin)
		return
	case sc.Size != c.Size || !bytes.Equal(sc.Root, c.Root) || c.Log != v.log:
		v.report.problem("%s: its columns differ from its signed note (size %d)", name, sc.Size)
		return
	}
	if c.Size > v.tree.Size() {
		v.report.problem("%s: beyond the %d leaves of the log", name, v.tree.Size())
		return
	}
	root, err := v.tree.Root(c.Size)
	if err != nil || !bytes.Equal(root, c.Root) {
		v.report.problem("%s: signed root does not match the root recomputed from the leaves", name)
		return
	}
	if rng, err := v.tree.Range(c.Size); err != nil || !bytes.Equal(rangeBytes(rng), rangeBytes(c.Range)) {
		v.report.problem("%s: stored compact range does not match the tree", name)
	}
	if prev != nil && prev.Size <= c.Size {
		p, err := v.tree.ConsistencyProof(prev.Size, c.Size)
		if err == nil {
			err = VerifyConsistency(prev.Size, c.Size, p, prev.Root, c.Root)
		}
		if err != nil {
			v.report.problem("%s: not consistent with checkpoint %d: %v", name, prev.Size, err)
		}
	}
	v.checkSeal(c)
}

// claim checks a row's digest against its leaf and marks the leaf's row found.
func (v *verifier) claim(ref rowRef, digest, row string) {
	b, ok := v.rows[ref]
	if !ok {
		v.report.problem("%s: no leaf records it; it was not written by Probity", row)
		return
	}
	delete(v.rows, ref)
	if b.digest != digest {
		v.report.problem("%s: does not match %s (changed behind Probity's back)", row, b.name())
	}
}

func (v *verifier) specRows() error {
	return v.tx.SpecRows(func(r *probity.SpecRow) error {
		sv := &r.SpecVersion
		v.report.Specs++
		row := fmt.Sprintf("spec %s version %d", sv.Domain, sv.Version)
		if r.Invalid != "" {
			v.report.problem("%s: %s", row, r.Invalid)
			delete(v.rows, rowRef{probity.ActionSpecApplied, sv.Domain, strconv.Itoa(sv.Version)})
			return nil
		}
		v.claim(rowRef{probity.ActionSpecApplied, sv.Domain, strconv.Itoa(sv.Version)}, SpecDigest(sv), row)
		if canonical, err := json.Marshal(sv.Spec); err != nil || !bytes.Equal(canonical, r.SpecJSON) {
			v.report.problem("%s: stored spec is not the spec Probity wrote (not in canonical form)", row)
		}
		if spec.Digest(sv.Spec) != sv.Digest {
			v.report.problem("%s: its digest column does not match its spec", row)
		}
		v.specs[sv.Domain] = append(v.specs[sv.Domain], *sv)
		return nil
	})
}

// actionPrincipal and actionDispute group the leaves that bind a
// principal's and a dispute's row.
const (
	actionPrincipal = "principal"
	actionDispute   = "dispute"
	actionTerm      = "official_term"
	actionConsent   = "consent"
	actionOrder     = "court_order"
)

// disputeRows checks every dispute against its latest leaf.
func (v *verifier) disputeRows() error {
	return v.tx.DisputeRows(func(d *probity.Dispute) error {
		v.claim(rowRef{actionDispute, d.Domain, d.ID}, DisputeDigest(d), "dispute "+d.Domain+"/"+d.ID)
		return nil
	})
}

// principalRows checks every principal, its token's hash included, against
// its latest leaf.
func (v *verifier) principalRows() error {
	ps, err := v.tx.Principals()
	if err != nil {
		return err
	}
	for i := range ps {
		v.report.Principals++
		v.claim(rowRef{actionPrincipal, "", ps[i].ID}, PrincipalDigest(&ps[i]), "principal "+ps[i].ID)
	}
	return nil
}

// orphans reports the leaves of an action whose row is gone.
func (v *verifier) orphans(action string) {
	var missing []bound
	names := map[bound]rowRef{}
	for ref, b := range v.rows {
		if ref.action == action {
			missing = append(missing, b)
			names[b] = ref
		}
	}
	sort.Slice(missing, func(i, j int) bool {
		return missing[i].log < missing[j].log || missing[i].log == missing[j].log && missing[i].index < missing[j].index
	})
	for _, b := range missing {
		ref := names[b]
		v.report.problem("%s: its row (%s %s %s) is missing", b.name(), ref.action, ref.domain, ref.ref)
	}
}

// optOutRows checks that the subjects out of each domain are exactly those
// whose latest opt-out leaf says so, since the time it says.
func (v *verifier) optOutRows() error {
	err := v.tx.OptOutRows(func(o *probity.OptOut) error {
		key := o.Domain + "/" + o.Subject.String()
		row := "opt-out of " + key
		b, ok := v.optOuts[key]
		delete(v.optOuts, key)
		switch {
		case !ok:
			v.report.problem("%s: no leaf records it; it was not written by Probity", row)
		case !b.out:
			v.report.problem("%s: %s took the subject back in", row, b.name())
		case b.digest != OptOutDigest(o.Domain, o.Subject, o.Since, true):
			v.report.problem("%s: does not match %s (changed behind Probity's back)", row, b.name())
		}
		return nil
	})
	if probity.ErrorCode(err) == probity.EINVALID {
		v.report.problem("%s", probity.ErrorMessage(err))
		return nil
	}
	keys := make([]string, 0, len(v.optOuts))
	for k := range v.optOuts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b := v.optOuts[k]; b.out {
			v.report.problem("%s: its opt-out row (%s) is missing", b.name(), k)
		}
	}
	return err
}

// shred notes a leaf whose opening an erasure shredded; the erasure leaf,
// later in the log, must list it.
func (v *verifier) shred(e *probity.AuditEntry) {
	if e.ErasedBy <= e.Index {
		v.report.problem("%s: its opening is gone, shredded by leaf %d, which comes before it", leafName(v.log, e.Index), e.ErasedBy)
		return
	}
	s := v.shredded[e.ErasedBy]
	if s == nil {
		s = &shredding{first: e.Index, domain: e.Domain, digest: NewErasureDigest(e.Domain)}
		v.shredded[e.ErasedBy] = s
	} else if s.domain != e.Domain {
		v.report.problem("%s: shredded by leaf %d with leaves of domain %q, but it is of domain %q", leafName(v.log, e.Index), e.ErasedBy, s.domain, e.Domain)
	}
	s.digest.Add(e.Index)
}

// erasure checks that an erasure leaf lists exactly the leaves seen
// shredded by it.
func (v *verifier) erasure(e *probity.AuditEntry) {
	s := v.shredded[e.Index]
	delete(v.shredded, e.Index)
	want := NewErasureDigest(e.Domain)
	if s != nil {
		if s.domain != e.Domain {
			v.report.problem("%s: erases a subject of domain %q, but leaf %d it shredded is of domain %q", leafName(v.log, e.Index), e.Domain, s.first, s.domain)
			return
		}
		want = s.digest
	}
	if want.Sum() != e.Digest {
		v.report.problem("%s: the leaves whose openings are shredded by this erasure are not the ones it recorded (openings deleted or kept behind Probity's back)", leafName(v.log, e.Index))
	}
}

// unmatchedShreds reports shredded leaves that no erasure leaf covers.
func (v *verifier) unmatchedShreds() {
	by := make([]uint64, 0, len(v.shredded))
	for idx := range v.shredded {
		by = append(by, idx)
	}
	sort.Slice(by, func(i, j int) bool { return by[i] < by[j] })
	for _, idx := range by {
		v.report.problem("%s: its opening is gone, marked shredded by leaf %d, which is not an erasure", leafName(v.log, v.shredded[idx].first), idx)
	}
}
