package postgres

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/probity-dev/probity/sqlstore"
)

// unavailable sorts PostgreSQL's errors that mean the storage cannot take
// a transaction now (sqlstore.Dialect.Unavailable): the disk is full
// (SQLSTATE 53100, "could not extend file"), or the database cannot be
// reached (connection refused or reset, a connection the server ended:
// 57P01 terminated by an administrator, a restart or a fail-over; no node
// of a multi-host URL taking writes yet).
func unavailable(err error) int {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case e.Code == "53100" || strings.Contains(e.Message, "No space left on device"):
			return sqlstore.StorageFull // disk_full, or an I/O error that says so
		case e.Code == "57P01" || e.Code == "57P02" || e.Code == "57P03" || e.Code == "53300" || strings.HasPrefix(e.Code, "08"):
			// admin_shutdown, crash_shutdown, cannot_connect_now,
			// too_many_connections, connection_exception
			return sqlstore.StorageUnreachable
		}
		return 0
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		// no node could be reached, or, through a multi-host URL with
		// target_session_attrs=read-write during a fail-over, none takes
		// writes yet (each answers "read only connection")
		return sqlstore.StorageUnreachable
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return sqlstore.StorageUnreachable
	}
	for _, lost := range []error{pgconn.ErrConnClosed, driver.ErrBadConn, net.ErrClosed} {
		if errors.Is(err, lost) {
			return sqlstore.StorageUnreachable
		}
	}
	// The server closed the connection mid-message: pgconn's own error
	// (which tells whether a retry is safe) around an EOF. An EOF from
	// anywhere else (a spooled upload read back in the transaction) is not
	// the database's.
	if _, ok := errors.AsType[connFailure](err); ok && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return sqlstore.StorageUnreachable
	}
	return 0
}

// connFailure is what pgconn's errors about a connection's own failure
// implement: whether the statement may be sent again.
type connFailure interface {
	error
	SafeToRetry() bool
}
