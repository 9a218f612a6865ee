package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/probity-dev/probity/sqlstore"
)

// TestUnavailable: PostgreSQL's errors that mean the storage cannot take a
// transaction now are sorted into full and unreachable, for the caller's
// 503; any other error (a constraint, a bug) stays what it is.
func TestUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"OKDiskFull", &pgconn.PgError{Code: "53100", Message: `could not extend file "base/16384/16385": No space left on device`}, sqlstore.StorageFull},
		{"OKNoSpaceOnWrite", &pgconn.PgError{Code: "58030", Message: `could not write to file "pg_wal/xlogtemp.123": No space left on device`}, sqlstore.StorageFull},
		{"OKTerminated", fmt.Errorf("begin: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}), sqlstore.StorageUnreachable},
		{"OKShuttingDown", &pgconn.PgError{Code: "57P03", Message: "the database system is shutting down"}, sqlstore.StorageUnreachable},
		{"OKConnectionFailure", &pgconn.PgError{Code: "08006"}, sqlstore.StorageUnreachable},
		{"OKTooManyConnections", &pgconn.PgError{Code: "53300"}, sqlstore.StorageUnreachable},
		{"OKRefused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, sqlstore.StorageUnreachable},
		{"OKReset", fmt.Errorf("commit: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), sqlstore.StorageUnreachable},
		{"OKConnClosed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), sqlstore.StorageUnreachable},
		{"OKBadConn", driver.ErrBadConn, sqlstore.StorageUnreachable},
		{"OKNoPrimaryYet", fmt.Errorf("begin: %w", noPrimary(t)), sqlstore.StorageUnreachable},
		{"OKServerClosedMidMessage", fmt.Errorf("commit: %w", &receiveError{io.ErrUnexpectedEOF}), sqlstore.StorageUnreachable},
		{"ErrEOFElsewhere", fmt.Errorf("spooled events: %w", io.ErrUnexpectedEOF), 0},
		{"ErrUniqueViolation", &pgconn.PgError{Code: "23505"}, 0},
		{"ErrSyntax", &pgconn.PgError{Code: "42601"}, 0},
		{"ErrOther", errors.New("event k1 has no points under version 2"), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := unavailable(tt.err); got != tt.want {
				t.Errorf("unavailable(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// receiveError stands for pgconn's unexported error around a failed read
// ("failed to receive message"): it says whether a retry is safe.
type receiveError struct{ err error }

func (e *receiveError) Error() string     { return "failed to receive message: " + e.err.Error() }
func (e *receiveError) Unwrap() error     { return e.err }
func (e *receiveError) SafeToRetry() bool { return false }

// noPrimary returns what pgx answers, during a fail-over, a multi-host URL
// with target_session_attrs=read-write when every node is up and none is
// the primary yet (the old one is back as a standby, the new one not yet
// promoted): a ConnectError holding, for each host, "read only
// connection", with no network or server error in it for the other cases
// to find. The hosts are faked: each dial is one end of a pipe, refused as
// read-only at once, where a real standby is refused after its startup.
func noPrimary(t *testing.T) error {
	t.Helper()
	cfg, err := pgconn.ParseConfig("postgres://postgres@127.0.0.1:5433,127.0.0.1:5434/probity?sslmode=disable&target_session_attrs=read-write")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		server.Close()
		return client, nil
	}
	cfg.AfterNetConnect = func(_ context.Context, _ *pgconn.Config, conn net.Conn) (net.Conn, error) {
		return conn, pgconn.ErrReadOnlyConnection
	}
	conn, err := pgconn.ConnectConfig(context.Background(), cfg)
	if err == nil {
		conn.Close(context.Background())
		t.Fatal("connected to a faked standby")
	}
	return err
}
