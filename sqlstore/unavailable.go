package sqlstore

import (
	"context"
	"errors"
	"syscall"

	"github.com/probity-dev/probity"
)

// Why the storage cannot take a transaction now: each backend sorts its
// engine's errors into these (Dialect.Unavailable), and the caller is told
// which in plain words, with an EUNAVAILABLE error (503 with Retry-After
// over HTTP): the request may succeed if sent again later, unlike a fault
// of Probity's own, which stays an internal error.
const (
	// StorageFull: the disk (or the database's quota) has no room left.
	StorageFull = iota + 1
	// StorageUnreachable: the database server cannot be reached, or the
	// database's files cannot be read or written.
	StorageUnreachable
	// StorageBusy: another process holds the database's write lock and kept
	// it longer than the store waits.
	StorageBusy
)

// StorageError is a failure of the storage: Err is what the caller is
// shown (an EUNAVAILABLE *probity.Error, found by errors.As), Cause the
// engine's own error, kept for the server's log (Error includes it).
type StorageError struct {
	Err   *probity.Error
	Cause error
}

// Error returns the caller's message followed by the engine's error.
func (e *StorageError) Error() string { return e.Err.Message + ": " + e.Cause.Error() }

// Unwrap returns both, so that errors.As finds the *probity.Error and
// errors.Is the engine's error.
func (e *StorageError) Unwrap() []error { return []error{e.Err, e.Cause} }

// Unavailable returns the StorageError of a kind (StorageFull,
// StorageUnreachable, StorageBusy) over cause.
func Unavailable(kind int, cause error) *StorageError {
	msg := "the database is unreachable; retry in a few seconds (the server's log says why)"
	switch kind {
	case StorageFull:
		msg = "storage is full: the database cannot grow (the disk or its quota has no room left); retry once the operator has freed space"
	case StorageBusy:
		msg = "the database is busy: another process (a server or an ingest) holds its write lock; retry in a few seconds, or stop that process"
	}
	return &StorageError{Err: probity.Errorf(probity.EUNAVAILABLE, "%s", msg), Cause: cause}
}

// unavailable returns err as the StorageError the dialect makes of it, if
// it is one of the storage's failures; any other error as it is. An error
// the services already gave a code keeps it, and so does the failure of a
// transaction whose context ended (the caller left or gave up: the storage
// is not to blame).
func (db *DB) unavailable(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	if _, ok := errors.AsType[*probity.Error](err); ok {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) {
		return Unavailable(StorageFull, err)
	}
	if db.dialect.Unavailable != nil {
		if kind := db.dialect.Unavailable(err); kind != 0 {
			return Unavailable(kind, err)
		}
	}
	return err
}
