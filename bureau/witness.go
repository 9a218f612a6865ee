package bureau

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/witness"
)

// Witnesses cosign the installation log's checkpoints (DESIGN.md, "The audit
// log (v2)"): each one checks that the log only grew since the checkpoint it
// cosigned before, so an operator who showed two histories would be refused
// by every witness but those it showed one of them to. The installation log
// records every domain log's checkpoint, so a witnessed installation
// checkpoint commits to every domain log too.

const (
	// DefaultWitnessTimeout bounds one request to a witness: a witness that
	// hangs delays the next submission to it, never the log.
	DefaultWitnessTimeout = 10 * time.Second

	// WitnessRetry is how long a witness that failed on a checkpoint waits
	// before that same checkpoint is submitted to it again; a newer
	// checkpoint is submitted to it at once.
	WitnessRetry = time.Minute

	// quorumCandidates bounds how many of the latest quorum-cosigned sizes
	// WitnessedCheckpoint verifies before it gives up.
	quorumCandidates = 8
)

// WitnessPolicy is the operator's choice of witnesses: C2SP tlog-witness
// witnesses (URL and cosignature key, see witness.ParseWitness) and how many
// of them must cosign an installation checkpoint before subjects and
// auditors are shown it.
type WitnessPolicy struct {
	Witnesses []*witness.Witness
	// Quorum is k of the k-of-n policy: 1 to len(Witnesses); 0 means all.
	Quorum int
	// Timeout bounds each request to a witness (DefaultWitnessTimeout if 0).
	Timeout time.Duration
	// Logger receives every witness that did not cosign, at Error level
	// when it refused (a fork, a rollback, a bad signature, an unknown log)
	// and at Warn level when it could not be reached.
	Logger *slog.Logger
}

// witnessing is a Bureau's witness policy and what came of its submissions.
type witnessing struct {
	WitnessPolicy
	names []string

	mu     sync.Mutex
	states map[string]*witnessState // by witness name
	// submitted is the size of the checkpoint the last finished round of
	// submissions was about: the checkpoint /healthz holds the quorum to.
	submitted uint64
}

// witnessState is the last failure of one witness.
type witnessState struct {
	err  string
	at   time.Time
	size uint64 // the checkpoint it was about
}

// witnessings holds each Bureau's witnessing, beside the Bureau: the policy
// is the server's configuration, set once at start (SetWitnesses).
var witnessings sync.Map // *Bureau -> *witnessing

func (b *Bureau) witnessing() *witnessing {
	w, _ := witnessings.Load(b)
	ws, _ := w.(*witnessing)
	return ws
}

// SetWitnesses makes p the installation's witness policy: from then on
// WitnessCheckpoints submits to its witnesses, and WitnessedCheckpoint
// shows only checkpoints that its quorum cosigned. EINVALID if a witness is
// incomplete or given twice (by key name), or the quorum is not 0 or 1 to
// the number of witnesses. An empty policy turns witnessing off.
func (b *Bureau) SetWitnesses(p WitnessPolicy) error {
	if len(p.Witnesses) == 0 {
		if p.Quorum != 0 {
			return probity.Errorf(probity.EINVALID, "witness quorum %d: no witnesses are configured", p.Quorum)
		}
		witnessings.Delete(b)
		return nil
	}
	w := &witnessing{WitnessPolicy: p, states: map[string]*witnessState{}}
	for i, wit := range p.Witnesses {
		if wit == nil || wit.Key == nil || wit.URL == "" {
			return probity.Errorf(probity.EINVALID, "witness %d has no URL or key: parse it with witness.ParseWitness", i+1)
		}
		if _, ok := w.states[wit.Name()]; ok {
			return probity.Errorf(probity.EINVALID, "witness %s is given twice: each witness key counts once towards the quorum", wit.Name())
		}
		w.states[wit.Name()] = &witnessState{}
		w.names = append(w.names, wit.Name())
	}
	if w.Quorum == 0 {
		w.Quorum = len(p.Witnesses)
	}
	if w.Quorum < 1 || w.Quorum > len(p.Witnesses) {
		return probity.Errorf(probity.EINVALID, "witness quorum %d: want 1 to %d, the number of witnesses", p.Quorum, len(p.Witnesses))
	}
	if w.Timeout <= 0 {
		w.Timeout = DefaultWitnessTimeout
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	witnessings.Store(b, w)
	return nil
}

// WitnessCheckpoints submits the installation log's latest checkpoint to
// every witness that has not cosigned it, each with a consistency proof
// from the size it last cosigned, and stores the cosignatures it verifies.
// serve calls it at start and after every seal. A witness that answers that
// it holds another size of the log (409) is sent the checkpoint again from
// that size if the log has it. A witness's failure is logged and kept for
// WitnessReport, never returned: the error is the store's or ctx's. It
// returns once every witness answered or timed out; without witnesses it
// does nothing.
func (b *Bureau) WitnessCheckpoints(ctx context.Context) error {
	w := b.witnessing()
	if w == nil {
		return nil
	}
	cp, err := b.latestCheckpoint(ctx)
	if err != nil || cp == nil {
		return err
	}
	var wg sync.WaitGroup
	for _, wit := range w.Witnesses {
		wg.Go(func() { w.submit(ctx, b, wit, cp) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	w.submitted = max(w.submitted, cp.Size)
	w.mu.Unlock()
	return nil
}

// latestCheckpoint returns the installation log's latest checkpoint as
// signed (without cosignatures), or nil if it has none.
func (b *Bureau) latestCheckpoint(ctx context.Context) (*probity.Checkpoint, error) {
	var cp *probity.Checkpoint
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		cp, err = tx.LatestCheckpoint(probity.InstallationLog)
		return err
	})
	return cp, err
}

// submit brings one witness up to checkpoint cp, recording why not if it
// cannot.
func (w *witnessing) submit(ctx context.Context, b *Bureau, wit *witness.Witness, cp *probity.Checkpoint) {
	var cosigned uint64
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		var err error
		cosigned, err = tx.CosignedSize(probity.InstallationLog, wit.Name())
		return err
	})
	switch {
	case err != nil:
	case cosigned == cp.Size, w.waiting(wit.Name(), cp.Size):
		return
	case cosigned > cp.Size:
		err = &aheadError{witness: wit.Name(), witnessSize: cosigned, size: cp.Size, stored: true}
	default:
		err = b.cosign(ctx, w.Timeout, wit, cosigned, cp)
	}
	if err != nil && ctx.Err() == nil {
		w.fail(ctx, wit, cp.Size, err)
	}
}

// cosign submits cp to a witness from old size old, once more from the
// size the witness holds if it answers 409 with one the log has, and
// stores the cosignature.
func (b *Bureau) cosign(ctx context.Context, timeout time.Duration, wit *witness.Witness, old uint64, cp *probity.Checkpoint) error {
	sigs, err := b.addCheckpoint(ctx, timeout, wit, old, cp)
	var stale *witness.StaleError
	if errors.As(err, &stale) {
		if stale.WitnessSize > cp.Size {
			// Another server of the same store may have signed a newer one.
			newer, err := b.latestCheckpoint(ctx)
			if err != nil {
				return err
			}
			if newer.Size < stale.WitnessSize {
				return &aheadError{witness: wit.Name(), witnessSize: stale.WitnessSize, size: newer.Size}
			}
			cp = newer
		}
		sigs, err = b.addCheckpoint(ctx, timeout, wit, stale.WitnessSize, cp)
	}
	if err != nil {
		return err
	}
	return b.store.Update(ctx, func(tx probity.Tx) error {
		return tx.InsertCosignature(&probity.Cosignature{Log: probity.InstallationLog, Size: cp.Size, Witness: wit.Name(), Signature: string(sigs)})
	})
}

// addCheckpoint sends cp to a witness with the consistency proof from old,
// within timeout, and returns its verified cosignature lines.
func (b *Bureau) addCheckpoint(ctx context.Context, timeout time.Duration, wit *witness.Witness, old uint64, cp *probity.Checkpoint) ([]byte, error) {
	var proof [][]byte
	if old > 0 && old < cp.Size {
		p, err := b.ConsistencyProof(ctx, probity.InstallationLog, old, cp.Size)
		if err != nil {
			return nil, err
		}
		proof = p.Hashes
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sigs, err := wit.AddCheckpoint(rctx, old, proof, []byte(cp.Note))
	if err != nil {
		return nil, &submitError{size: cp.Size, old: old, err: err}
	}
	return sigs, nil
}

// submitError is a witness's answer to checkpoint size sent from old size
// old, other than a cosignature.
type submitError struct {
	size, old uint64
	err       error
}

func (e *submitError) Error() string {
	return fmt.Sprintf("checkpoint %d, submitted from size %d: %v", e.size, e.old, e.err)
}

func (e *submitError) Unwrap() error { return e.err }

// aheadError is a witness holding a larger tree of the installation log
// than the log's latest checkpoint: the log was rolled back, or another
// installation signs under its key and origin.
type aheadError struct {
	witness           string
	witnessSize, size uint64
	stored            bool // this store records the cosignature, not the witness's answer
}

func (e *aheadError) Error() string {
	who := "witness " + e.witness + " answered that it"
	if e.stored {
		who = "this store records that witness " + e.witness
	}
	return fmt.Sprintf("%s cosigned size %d of the installation log, but the log's latest checkpoint is of size %d: "+
		"the log was rolled back, or forked (another installation signs under its key and origin); the witness will not cosign it", who, e.witnessSize, e.size)
}

// refusal reports whether err is evidence rather than a hiccup: a witness
// that refused the checkpoint, does not know the log, or holds a larger
// tree.
func refusal(err error) bool {
	var refused *witness.RefusedError
	var ahead *aheadError
	return errors.As(err, &refused) || errors.As(err, &ahead) || errors.Is(err, witness.ErrUnknownLog)
}

// waiting reports whether the witness failed on this very checkpoint less
// than WitnessRetry ago.
func (w *witnessing) waiting(name string, size uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.states[name]
	return s.err != "" && s.size == size && time.Since(s.at) < WitnessRetry
}

// fail records and logs why a witness did not cosign checkpoint size.
func (w *witnessing) fail(ctx context.Context, wit *witness.Witness, size uint64, err error) {
	w.mu.Lock()
	*w.states[wit.Name()] = witnessState{err: err.Error(), at: time.Now().UTC(), size: size}
	w.mu.Unlock()
	level, msg := slog.LevelWarn, "a witness could not be reached to cosign the installation checkpoint"
	if refusal(err) {
		level, msg = slog.LevelError, "a witness refused the installation checkpoint"
	}
	attrs := []any{"witness", wit.Name(), "url", wit.URL, "size", size}
	var sub *submitError
	var ahead *aheadError
	if errors.As(err, &sub) {
		attrs = append(attrs, "old_size", sub.old)
	}
	if errors.As(err, &ahead) {
		attrs = append(attrs, "witness_size", ahead.witnessSize)
	}
	w.Logger.Log(ctx, level, msg, append(attrs, "reason", err.Error())...)
}

// cosignedNote returns a checkpoint's note with the stored cosignatures of
// that exact checkpoint merged in after the log's own signature.
func cosignedNote(tx probity.ReadTx, c *probity.Checkpoint) (string, error) {
	cos, err := tx.Cosignatures(c.Log, c.Size)
	if err != nil || len(cos) == 0 {
		return c.Note, err
	}
	sigs := make([][]byte, len(cos))
	for i, s := range cos {
		sigs[i] = []byte(s.Signature)
	}
	note, err := witness.MergeCosignatures([]byte(c.Note), sigs...)
	if err != nil {
		return "", probity.Errorf(probity.EINTERNAL, "log %s: the stored cosignatures of checkpoint %d: %v", c.Log, c.Size, err)
	}
	return string(note), nil
}

// WitnessedCheckpoint returns the latest installation checkpoint that the
// witness policy's quorum cosigned, with their cosignatures in its note, and
// how many leaves the log's latest checkpoint is ahead of it. It is the
// checkpoint to show subjects and auditors: their inclusion and consistency
// proofs should lead to it (a domain log's leaf through the domain
// checkpoint that a log.checkpoint leaf of the installation log records),
// because only a witnessed checkpoint shows that the operator gives
// everyone the same history. ENOTFOUND while no checkpoint meets the
// quorum. Without witnesses configured it returns the latest checkpoint,
// which only the operator signed, and 0.
func (b *Bureau) WitnessedCheckpoint(ctx context.Context) (*probity.Checkpoint, uint64, error) {
	w := b.witnessing()
	var cp *probity.Checkpoint
	var behind uint64
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		latest, err := tx.LatestCheckpoint(probity.InstallationLog)
		if err != nil {
			return err
		} else if latest == nil {
			return probity.Errorf(probity.ENOTFOUND, "log %s is empty: no checkpoint yet", probity.InstallationLog)
		}
		if w == nil {
			cp = latest
			cp.Note, err = cosignedNote(tx, cp)
			return err
		}
		if cp, err = w.witnessed(ctx, tx); err != nil {
			return err
		} else if cp == nil {
			return probity.Errorf(probity.ENOTFOUND, "no checkpoint of log %s is cosigned by %d of its %d witnesses yet (the latest is of size %d); see /healthz",
				probity.InstallationLog, w.Quorum, len(w.Witnesses), latest.Size)
		}
		behind = latest.Size - min(cp.Size, latest.Size)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return cp, behind, nil
}

// witnessed returns the latest installation checkpoint whose stored
// cosignatures verify for the quorum, or nil. Rows that claim a quorum but
// do not verify were changed behind Probity's back: they are logged and
// passed over.
func (w *witnessing) witnessed(ctx context.Context, tx probity.ReadTx) (*probity.Checkpoint, error) {
	sizes, err := tx.QuorumSizes(probity.InstallationLog, w.names, w.Quorum, quorumCandidates)
	if err != nil {
		return nil, err
	}
	for _, size := range sizes {
		c, err := tx.CheckpointAt(probity.InstallationLog, size)
		if probity.ErrorCode(err) == probity.ENOTFOUND {
			w.Logger.ErrorContext(ctx, "stored cosignatures are of an installation checkpoint this store does not hold: run probity audit verify", "size", size)
			continue
		} else if err != nil {
			return nil, err
		}
		note, err := cosignedNote(tx, c)
		if err != nil {
			return nil, err
		}
		if n, _ := witness.Quorum([]byte(note), w.Witnesses); n >= w.Quorum {
			c.Note = note
			return c, nil
		}
		w.Logger.ErrorContext(ctx, "stored cosignatures of an installation checkpoint do not verify with the witnesses' keys: run probity audit verify", "size", size)
	}
	return nil, nil
}

// WitnessStatus is one witness as /healthz shows it.
type WitnessStatus struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// CosignedSize is the largest installation checkpoint it cosigned.
	CosignedSize uint64 `json:"cosigned_size"`
	// LastError is why it last did not cosign, kept after it recovers;
	// LastErrorAt is when.
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
}

// WitnessReport is the state of witnessing, for /healthz.
type WitnessReport struct {
	// Degraded is set when the last checkpoint submitted to the witnesses
	// (the latest one, before the first submission ends) is not cosigned
	// by the quorum.
	Degraded bool `json:"-"`
	Quorum   int  `json:"witness_quorum"`
	// CheckpointSize is the size of the installation log's latest
	// checkpoint; WitnessedSize that of the latest the quorum cosigned (0
	// if none), Behind the difference.
	CheckpointSize uint64          `json:"checkpoint_size"`
	WitnessedSize  uint64          `json:"witnessed_size"`
	Behind         uint64          `json:"behind"`
	Witnesses      []WitnessStatus `json:"witnesses"`
}

// WitnessReport returns the state of every witness; nil without witnesses.
func (b *Bureau) WitnessReport(ctx context.Context) (*WitnessReport, error) {
	w := b.witnessing()
	if w == nil {
		return nil, nil
	}
	r := &WitnessReport{Quorum: w.Quorum, Witnesses: make([]WitnessStatus, len(w.Witnesses))}
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		latest, err := tx.LatestCheckpoint(probity.InstallationLog)
		if err != nil || latest == nil {
			return err
		}
		r.CheckpointSize = latest.Size
		for i, wit := range w.Witnesses {
			r.Witnesses[i] = WitnessStatus{Name: wit.Name(), URL: wit.URL}
			if r.Witnesses[i].CosignedSize, err = tx.CosignedSize(probity.InstallationLog, wit.Name()); err != nil {
				return err
			}
		}
		cp, err := w.witnessed(ctx, tx)
		if err != nil {
			return err
		} else if cp != nil {
			r.WitnessedSize = cp.Size
		}
		r.Behind = latest.Size - min(r.WitnessedSize, latest.Size)
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range r.Witnesses {
		if s := w.states[r.Witnesses[i].Name]; s.err != "" {
			at := s.at
			r.Witnesses[i].LastError, r.Witnesses[i].LastErrorAt = s.err, &at
		}
	}
	target := w.submitted
	if target == 0 {
		target = r.CheckpointSize
	}
	r.Degraded = target > 0 && r.WitnessedSize < target
	return r, nil
}

// WitnessHealth is WitnessReport for /healthz: whether witnessing is
// degraded, and the report's members to add to the answer (nil without
// witnesses).
func (b *Bureau) WitnessHealth(ctx context.Context) (degraded bool, detail map[string]any, err error) {
	r, err := b.WitnessReport(ctx)
	if err != nil || r == nil {
		return false, nil, err
	}
	return r.Degraded, map[string]any{"witness_quorum": r.Quorum, "checkpoint_size": r.CheckpointSize,
		"witnessed_size": r.WitnessedSize, "behind": r.Behind, "witnesses": r.Witnesses}, nil
}
