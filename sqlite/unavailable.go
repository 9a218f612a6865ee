package sqlite

import (
	"errors"

	"github.com/probity-dev/probity/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// unavailable sorts SQLite's errors that mean the storage cannot take a
// transaction now (sqlstore.Dialect.Unavailable): the disk is full
// (SQLITE_FULL: the write failed with ENOSPC, or max_page_count was
// reached), the files cannot be read or written (an I/O error, a database
// that cannot be opened), or another process kept the write lock longer
// than the busy timeout.
func unavailable(err error) int {
	e, ok := errors.AsType[*sqlite.Error](err)
	if !ok {
		return 0
	}
	switch e.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL:
		return sqlstore.StorageFull
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return sqlstore.StorageUnreachable
	case sqlite3.SQLITE_BUSY:
		return sqlstore.StorageBusy
	}
	return 0
}
