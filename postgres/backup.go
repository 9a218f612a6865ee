package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/probity-dev/probity"
)

// DumpFile is the name Probity gives a database dump in a backup
// directory (pg_dump's custom format; pg_restore reads it).
const DumpFile = "probity.pgdump"

// Dump writes the database dsn names to the new file dst, mode 0600, with
// pg_dump in its custom format while servers go on writing: pg_dump reads
// one snapshot (a REPEATABLE READ transaction), so the dump is consistent.
// pg_dump must be installed, of the server's major version or newer; the
// password, if the DSN has one, goes to it in PGPASSWORD, never on its
// command line, where other users of the machine could read it.
func Dump(ctx context.Context, dsn, dst string) error {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		return probity.Errorf(probity.EUNAVAILABLE, "pg_dump is not installed (PATH has none): install PostgreSQL's client tools of the server's version, or dump with pg_dump where it is (README, Backup and restore)")
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the dump: %w", err)
	}
	f.Close()
	return runTool(ctx, "pg_dump", dsn, "--format=custom", "--file="+dst)
}

// RestoreScratch restores the dump into a new, empty database on the
// server dsn names, so that it can be opened and verified, and returns the
// new database's DSN and a function that drops it. Creating it needs the
// CREATEDB privilege; pg_restore must be installed.
func RestoreScratch(ctx context.Context, dsn, dump string) (string, func(context.Context) error, error) {
	if _, err := exec.LookPath("pg_restore"); err != nil {
		return "", nil, probity.Errorf(probity.EUNAVAILABLE, "pg_restore is not installed (PATH has none): install PostgreSQL's client tools of the server's version")
	}
	u, err := url.Parse(dsn)
	if err != nil || !IsDSN(dsn) {
		return "", nil, probity.Errorf(probity.EINVALID, "--db: %q is not a PostgreSQL URL; want postgres://user@host:port/database", Redact(dsn))
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "probity_backup_check_" + hex.EncodeToString(suffix)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return "", nil, fmt.Errorf("create the scratch database %s on %s to restore the dump into (the role needs CREATEDB): %w", name, Redact(dsn), err)
	}
	drop := func(ctx context.Context) error {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			return fmt.Errorf("drop the scratch database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	scratch := u.String()
	if err := runTool(ctx, "pg_restore", scratch, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", dump); err != nil {
		return "", nil, errors.Join(err, drop(context.WithoutCancel(ctx)))
	}
	return scratch, drop, nil
}

// runTool runs a PostgreSQL client tool on the database dsn names, with
// the password (if any) in PGPASSWORD; a failure carries what it printed.
func runTool(ctx context.Context, tool, dsn string, args ...string) error {
	u, err := url.Parse(dsn)
	if err != nil || !IsDSN(dsn) {
		return probity.Errorf(probity.EINVALID, "--db: %q is not a PostgreSQL URL; want postgres://user@host:port/database", Redact(dsn))
	}
	env := os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	cmd := exec.CommandContext(ctx, tool, append([]string{"--dbname=" + u.String()}, args...)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + " ..."
		}
		return fmt.Errorf("%s on %s: %v: %s", tool, Redact(dsn), err, msg)
	}
	return nil
}
