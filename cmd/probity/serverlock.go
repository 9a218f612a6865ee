package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// serveLockFile marks the data directory of a serving process on SQLite:
// SQLite has one writer, and two servers on one file would make each
// other's reads fail with "database is locked".
const serveLockFile = "serve.lock"

// serverLock is a held serve lock.
type serverLock struct{ f *os.File }

// lockServing takes the data directory's serve lock, or names the process
// that holds it. The lock is the kernel's (flock): it ends with the
// process, however that ends.
func lockServing(dir string) (*serverLock, error) {
	path := filepath.Join(dir, serveLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serve: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "another process"
		}
		return nil, fmt.Errorf("serve: %s is already served by %s; one server at a time on a SQLite data directory (several servers need a shared PostgreSQL: --db)", dir, who)
	}
	return &serverLock{f: f}, nil
}

// describe records who holds the lock, for the next one to be told.
func (l *serverLock) describe(url string) {
	l.f.Truncate(0)
	l.f.WriteAt([]byte(fmt.Sprintf("probity serve (pid %d) at %s\n", os.Getpid(), url)), 0)
}

// release gives the lock up.
func (l *serverLock) release() {
	l.f.Truncate(0)
	l.f.Close()
}
