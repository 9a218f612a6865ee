package probity

import (
	"context"
	"time"
)

// Store is the persistence of one installation. Every backend (sqlite,
// postgres) implements it and passes the storetest conformance suite. The
// store keeps what it is given and answers what it is asked: it never decides
// policy, which is the services' job.
type Store interface {
	// Update runs fn in one write transaction: all of fn's writes are
	// applied or none. The transaction's Now is fixed when it begins.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	Close() error
}

// ReadTx reads within a transaction.
type ReadTx interface {
	// Now is the transaction's fixed time, the recorded_at of its writes.
	Now() time.Time
	// DomainIDs lists the ids of every domain with at least one spec version, sorted.
	DomainIDs() ([]string, error)
	// SpecVersions returns a domain's versions ordered by version number; an
	// empty slice (not an error) if the domain has none. The specs may be
	// shared between calls: callers must not modify them.
	SpecVersions(domain string) ([]SpecVersion, error)
	// EventByKey returns the event with the key in the domain; an ENOTFOUND
	// error if there is none.
	EventByKey(domain, key string) (*Event, error)
	// SubjectEvents returns a subject's events in a domain, retracted ones
	// excepted, recorded at or before recordedBy, with their raw points under the version (and every
	// version they have points under), ordered by
	// occurred_at then key. It must return an EINTERNAL error if one of those
	// events lacks points for the version.
	SubjectEvents(domain string, subject Pseudonym, version int, recordedBy time.Time) ([]PointedEvent, error)
	// SubjectEventCount returns how many events of a subject a domain
	// stores, retracted ones included: what the spec's events_per_subject
	// limits. It must not read the events themselves.
	SubjectEventCount(domain string, subject Pseudonym) (int, error)
	// ScanEvents calls fn for every event of a domain in subject
	// (pseudonym) then key order, the table's own, stopping at fn's first
	// error.
	ScanEvents(domain string, fn func(*Event) error) error

	// OptedOut returns since when a subject is out of a domain, or false.
	OptedOut(domain string, subject Pseudonym) (time.Time, bool, error)
	// OptOutRows calls fn for every opt-out, in domain and pseudonym order.
	OptOutRows(fn func(*OptOut) error) error
	// RetractedEvents returns a subject's retracted entries in a domain,
	// kept for the record, oldest first.
	RetractedEvents(domain string, subject Pseudonym) ([]RetractedEvent, error)
	// Dispute returns one dispute; ENOTFOUND if there is none.
	Dispute(domain, id string) (*Dispute, error)
	// OpenDisputes returns a domain's open disputes, oldest first.
	OpenDisputes(domain string) ([]Dispute, error)
	// Order returns one court order; ENOTFOUND if there is none.
	Order(domain, id string) (*CourtOrder, error)
	// SubjectOrders returns the orders against a subject in a domain.
	SubjectOrders(domain string, subject Pseudonym) ([]CourtOrder, error)
	// OrderRows calls fn for every court order, in domain and id order.
	OrderRows(fn func(*CourtOrder) error) error
	// Consent returns one consent grant; ENOTFOUND if there is none.
	Consent(domain, id string) (*ConsentGrant, error)
	// SubjectConsents returns a subject's grants in a domain, oldest first.
	SubjectConsents(domain string, subject Pseudonym) ([]ConsentGrant, error)
	// ConsentRows calls fn for every grant, in domain and id order.
	ConsentRows(fn func(*ConsentGrant) error) error
	// SubjectTerms returns a subject's official terms in a domain.
	SubjectTerms(domain string, subject Pseudonym) ([]OfficialTerm, error)
	// DomainTerms returns a domain's official terms, oldest first.
	DomainTerms(domain string) ([]OfficialTerm, error)
	// TermRows calls fn for every official term, in domain and id order.
	TermRows(fn func(*OfficialTerm) error) error
	// DomainDisputes returns every dispute of a domain, oldest first.
	DomainDisputes(domain string) ([]Dispute, error)
	// SubjectDisputes returns a subject's disputes in a domain, oldest first.
	SubjectDisputes(domain string, subject Pseudonym) ([]Dispute, error)
	// DisputeRows calls fn for every dispute, in domain and id order.
	DisputeRows(fn func(*Dispute) error) error
	// Inquiries returns the reads (scores, decisions, reports) of a
	// subject's record in a domain, oldest first, from their openings.
	Inquiries(domain string, subject Pseudonym) ([]AuditLeaf, error)
	// SubjectLeaves calls fn for every leaf about a subject in a domain's
	// log whose opening is kept (not shredded), in index order. The rows
	// are read before fn is called: fn may use the transaction (to prove
	// the leaf, say).
	SubjectLeaves(domain string, subject Pseudonym, fn func(*AuditEntry) error) error
	// SubjectMembers calls fn for every event of a subject in a domain that
	// a batch leaf logged (its Slot set), with that leaf's entry, in batch
	// and position order. The rows are read before fn is called. It must
	// return EINTERNAL if an event's batch leaf is missing or invalid.
	SubjectMembers(domain string, subject Pseudonym, fn func(*Event, *AuditEntry) error) error
	// SubjectsByHint returns the subjects of a domain with events whose
	// pseudonym starts with hint (one, but for a chance of one in 2^64 a
	// pair), in pseudonym order.
	SubjectsByHint(domain string, hint SubjectHint) ([]Pseudonym, error)
	// Logs returns the name, origin and size of every log, in name order.
	Logs() ([]LogInfo, error)
	// LogOrigin returns a log's origin, or "" if there is no such log.
	LogOrigin(log string) (string, error)
	// LastSeal returns the size of a domain log's latest checkpoint that
	// the installation log records (0 if none).
	LastSeal(log string) (uint64, error)
	// LatestSeal returns the latest leaf of the installation log with
	// index below before that records a checkpoint of a domain log: its
	// index and the checkpoint's size and root; ok is false if none does.
	LatestSeal(log string, before uint64) (index, size uint64, root []byte, ok bool, err error)
	// HasV1Log reports whether the store holds leaves of the first log
	// format, which this release refuses to mix with its own.
	HasV1Log() (bool, error)
	// LogSize returns the number of audit leaves: one more than the
	// largest index.
	LogSize(log string) (uint64, error)
	// LeafRows returns how many leaf rows there are and their smallest and
	// largest index, to tell a numbered log from one with rows outside it.
	LeafRows(log string) (count uint64, first, last int64, err error)
	// FirstLeaf returns the smallest index of a log's leaf rows, and false
	// if it has none: without counting them, as LeafRows does.
	FirstLeaf(log string) (first int64, ok bool, err error)
	// PublicLeaves calls fn with the public data and the stored leaf hash
	// of each leaf of a log with index in [start, end), in index order, as
	// stored and unchecked: what entry bundles and level-0 tiles (C2SP
	// tlog-tiles) are made of. A missing row is skipped, not reported:
	// callers that need every leaf must check the indexes.
	PublicLeaves(log string, start, end uint64, fn func(index uint64, data, hash []byte) error) error
	// Tiles calls fn with each stored full tile of a log's tree at level
	// with index in [start, end), in index order: 256 hashes of 32 bytes
	// (C2SP tlog-tiles). A tile not stored is skipped, not reported.
	Tiles(log string, level, start, end uint64, fn func(index uint64, hashes []byte) error) error
	// TileRoots calls fn with the root of each stored full tile of a log at
	// level with index in [start, end), in index order, without reading
	// the tiles: the hashes of the tile at level+1 that covers them. A tile
	// not stored is skipped, not reported.
	TileRoots(log string, level, start, end uint64, fn func(index uint64, root []byte) error) error
	// Leaves calls fn for each leaf with index in [start, end) in index
	// order, as stored: the public data parsed, the opening checked
	// against its commitment and parsed, the hash unchecked; a row that is
	// not a valid leaf (or whose opening does not open it) comes with
	// Invalid set rather than an error.
	Leaves(log string, start, end uint64, fn func(*AuditEntry) error) error
	// VerifyLeaves calls fn for each leaf with index in [start, end) in
	// index order, as Leaves does, for a reader of every leaf: the store
	// opens the leaves (the parsing and the commitments' hashes, the costly
	// part) on a goroutine of its own, which calls fn, while the caller's
	// reads the next rows. fn is never called concurrently with itself and
	// must not call the store; its first error ends the call.
	VerifyLeaves(log string, start, end uint64, fn func(*AuditEntry) error) error
	// LogLeaves calls fn for at most limit leaves of a log from index
	// start, in index order, like Leaves. The rows are read before fn is
	// called: fn may use the transaction (to prove the leaf, say).
	LogLeaves(log string, start uint64, limit int, fn func(*AuditEntry) error) error
	// LatestCheckpoint returns the checkpoint of the largest size, or nil
	// if there is none.
	LatestCheckpoint(log string) (*Checkpoint, error)
	// Checkpoints calls fn for every checkpoint of a log in size order.
	Checkpoints(log string, fn func(*Checkpoint) error) error
	// Scanning tells the store that the transaction now reads whole tables
	// once each, as a verification does, and returns what ends that. The
	// store may read differently meanwhile (SQLite shrinks the
	// connection's page cache, which such reads would only fill with pages
	// never read again); what it returns is the same.
	Scanning() (done func())
	// LogCheckpoints calls fn for at most limit checkpoints of a log whose
	// size is from or more, in size order, stopping at fn's first error. A
	// stored checkpoint that cannot be read (a compact range not made of
	// 32-byte hashes) ends the call with an EINVALID error naming it, after
	// fn has seen the ones before it.
	LogCheckpoints(log string, from uint64, limit int, fn func(*Checkpoint) error) error
	// Cosignatures returns the witnesses' cosignatures of a log's
	// checkpoint of size, in witness name order; none (not an error) if it
	// has none. They are returned as stored: the caller verifies them (with
	// the witnesses' keys) before it counts them towards a quorum.
	Cosignatures(log string, size uint64) ([]Cosignature, error)
	// CosignedSize returns the largest size of a log whose checkpoint the
	// witness (its key's name) cosigned, or 0 if it cosigned none: the old
	// size to submit the log's next checkpoint to that witness from.
	CosignedSize(log, witness string) (uint64, error)
	// QuorumSizes returns the sizes of a log's checkpoints that at least k
	// of the named witnesses cosigned, largest first, at most limit of them;
	// none (not an error) if there are none. Cosignatures of witnesses not
	// named do not count.
	QuorumSizes(log string, witnesses []string, k, limit int) ([]uint64, error)
	// CheckpointAt returns a log's checkpoint of size; ENOTFOUND if there
	// is none.
	CheckpointAt(log string, size uint64) (*Checkpoint, error)
	// Principal returns one principal; ENOTFOUND if there is none.
	Principal(id string) (*Principal, error)
	// Statement returns a statement's record; ENOTFOUND if the domain has
	// none with id.
	Statement(domain, id string) (*StatementRecord, error)
	// RevokedStatements returns the size of a domain's status list (one
	// more than its largest index) and the indexes revoked.
	RevokedStatements(domain string) (size int, revoked []int, err error)
	// Session returns the session whose id hashes to idHash; ENOTFOUND if
	// there is none.
	Session(idHash []byte) (*Session, error)
	// PrincipalByExternal returns the principal bound to subject of an
	// identity provider's issuer: the active one if there is one, else the
	// one revoked last; ENOTFOUND if none was ever bound to it.
	PrincipalByExternal(issuer, subject string) (*Principal, error)
	// Principals returns every principal, oldest first.
	Principals() ([]Principal, error)

	// SpecRows calls fn for every stored spec version of every domain, in
	// domain and version order, parsed afresh; a row that cannot be read
	// comes with Invalid set.
	SpecRows(fn func(*SpecRow) error) error
	// EventRows calls fn for every stored event of every domain with all
	// its points, in the table's order (domain, subject, key); a row that cannot be read comes
	// with Invalid set. Fields is left nil: the fields are in FieldsJSON as
	// stored, for the caller to decode (the verifier checks their form).
	EventRows(fn func(*EventRow) error) error
}

// Tx writes within a transaction.
type Tx interface {
	ReadTx
	// InsertSpecVersion stores a new version; ECONFLICT if the domain
	// already has that version number.
	InsertSpecVersion(v *SpecVersion) error
	// InsertEvents stores events, each with its points under the listed
	// versions (points[i] for events[i]), and reports for each whether it
	// was stored: false, storing nothing for it, if the domain already holds
	// an event with its key. Keys within one call must be distinct.
	InsertEvents(events []*Event, points [][]Points) ([]bool, error)
	// LockLog makes the transaction the only writer of a log until it
	// ends, creating the log with origin if need be: writers lock only the logs they
	// append to, so domains never wait for each other. It must be called
	// before the log's size is read for an append.
	LockLog(log, origin string) error
	// AppendLeaves appends leaves to a locked log, numbering them from its
	// current size, and returns their entries with index, data and hash.
	AppendLeaves(log string, leaves []AuditLeaf, hash func([]byte) []byte) ([]AuditEntry, error)
	// AppendBatch appends a batch leaf to a locked log (DESIGN.md,
	// "Batches"): its header is leaf, with Action ActionEventsAccepted and
	// Ref the batch's id, opened by a fresh salt; its commitment is the RFC
	// 6962 root over the header's commitment and members, the commitments
	// of the events stored with Slot naming batch, positions 1 onwards
	// (with their subjects).
	AppendBatch(log string, leaf AuditLeaf, batch int64, members []BatchMember, hash func([]byte) []byte) (AuditEntry, error)
	// InsertTile stores a full tile of a log's tree (256 hashes of 32
	// bytes, C2SP tlog-tiles) with its root, the Merkle tree hash of those
	// hashes. Full tiles never change: storing one that is stored already
	// does nothing. It must return EINVALID for hashes that are not 8,192
	// bytes or a root that is not 32.
	InsertTile(log string, level, index uint64, hashes, root []byte) error
	// ShredLeaves deletes the openings (salt, record) and subject column
	// of every leaf about a subject in a domain (but those of court orders
	// and of earlier erasures), marking each shredded by
	// the erasure leaf to be appended at index erasedBy, and returns their
	// indexes in order. The public leaves stay.
	ShredLeaves(domain string, subject Pseudonym, erasedBy uint64) ([]uint64, error)
	// ShredMembers marks, in their batch leaves, every event of a subject
	// in a domain a batch leaf logged as erased by the erasure leaf to be
	// appended at erasedBy, and returns them in order. It must be called
	// before EraseSubject, which deletes their rows and salts.
	ShredMembers(domain string, subject Pseudonym, erasedBy uint64) ([]MemberRef, error)
	// EraseSubject deletes everything a domain holds about a subject
	// (entries, disputes, consents, opt-out, official terms) and returns
	// how many entries it deleted.
	EraseSubject(domain string, subject Pseudonym) (int, error)
	// InsertOrder stores a court order.
	InsertOrder(o *CourtOrder) error
	// FulfillOrder marks an order fulfilled at the transaction's time;
	// ECONFLICT if it is missing or fulfilled already.
	FulfillOrder(domain, id string) error
	// InsertConsent stores a consent grant.
	InsertConsent(g *ConsentGrant) error
	// RevokeConsent marks a grant revoked at the transaction's time;
	// ECONFLICT if it is revoked already.
	RevokeConsent(domain, id string) error
	// InsertTerm stores an official term.
	InsertTerm(t *OfficialTerm) error
	// InsertDispute stores a new dispute.
	InsertDispute(d *Dispute) error
	// ResolveDispute records an open dispute's outcome; ECONFLICT if it is
	// not open.
	ResolveDispute(d *Dispute) error
	// RetractEvent marks an event retracted at the transaction's time: it
	// stops counting and stays for the record; ECONFLICT if it is missing or
	// retracted already.
	RetractEvent(domain, key string) error
	// SetOptOut records a subject out of a domain since the transaction's
	// time; ECONFLICT if they are out already.
	SetOptOut(domain string, subject Pseudonym) error
	// ClearOptOut takes a subject back into a domain; ECONFLICT if they are in.
	ClearOptOut(domain string, subject Pseudonym) error
	// InsertPrincipal stores a new principal; ECONFLICT if its id is taken.
	InsertPrincipal(p *Principal) error
	// InsertStatement stores a statement's record, giving it the next index
	// of its domain's status list (set in st.Index).
	InsertStatement(st *StatementRecord) error
	// RevokeStatements revokes, at the transaction's time, the subject's
	// statements in the domain that are not revoked yet, id's alone when
	// id is not "", and returns how many it revoked.
	RevokeStatements(domain string, subject Pseudonym, id string) (int, error)
	// InsertSession stores a new session, and deletes the sessions that
	// expired before the transaction's time.
	InsertSession(s *Session) error
	// EndSession ends a session at the transaction's time; ENOTFOUND if
	// there is none. Ending an ended session does nothing.
	EndSession(idHash []byte) error
	// ClaimIdempotencyKey stores r as running unless a request of its
	// scope is stored, which it then returns (nil when r was stored); it
	// deletes the requests older than IdempotencyWindow first.
	ClaimIdempotencyKey(r *IdempotentRequest) (*IdempotentRequest, error)
	// FinishIdempotencyKey stores the answer of a running request.
	FinishIdempotencyKey(scope []byte, status int, body []byte) error
	// ReleaseIdempotencyKey deletes a running request.
	ReleaseIdempotencyKey(scope []byte) error
	// RevokePrincipal marks a principal revoked at the transaction's time;
	// ENOTFOUND if there is none, ECONFLICT if it is revoked already.
	RevokePrincipal(id string) error
	// InsertCheckpoint stores a checkpoint; ECONFLICT if one of that size exists.
	InsertCheckpoint(c *Checkpoint) error
	// DropCheckpointRange empties the compact range stored with a log's
	// checkpoint of size: once a later checkpoint is stored, only that one's
	// is needed (to extend the log), and the rest cost a few hundred bytes
	// a write. It does nothing if there is no such checkpoint.
	DropCheckpointRange(log string, size uint64) error
	// DeleteCheckpoint deletes a log's checkpoint of size, one a later
	// checkpoint of the same second supersedes (see audit.Batch.Commit); it
	// does nothing if there is no such checkpoint.
	DeleteCheckpoint(log string, size uint64) error
	// InsertCosignature stores a witness's verified cosignature of a log's
	// checkpoint, stamped with the transaction's time. If the witness has
	// one of that checkpoint already, the first stays and the call does
	// nothing: both verify, and a checkpoint needs one per witness.
	InsertCosignature(c *Cosignature) error
	// AddPoints stores the raw points of many events under a version they
	// have no points under yet (a version being applied); ENOTFOUND if one
	// of the events does not exist, after which the transaction must be
	// rolled back.
	AddPoints(domain string, version int, points []EventPoints) error
	// SetPoints stores (or replaces) an event's raw points under a version;
	// ENOTFOUND if the subject has no event with the key.
	SetPoints(domain string, subject Pseudonym, key string, p Points) error
}

// Cosignature is a witness's cosignature of one checkpoint of a log (C2SP
// tlog-cosignature): the note signature lines of the witness's key over the
// checkpoint's note text. Merged into the checkpoint's note, it lets anyone
// holding the witness's key check that the witness saw this tree, and so
// that the operator showed everyone the same history.
type Cosignature struct {
	Log  string
	Size uint64
	// Witness is the name of the witness's key, as in its signature lines.
	Witness string
	// Signature is one or more note signature lines, each ending in a
	// newline, as the witness returned them.
	Signature string
	// At is when it was stored.
	At time.Time
}
