package audit_test

import (
	"database/sql"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestTamperExplore(t *testing.T) {
	start := time.Now()
	dir := populated(t, 300)
	t.Logf("populated in %v: %s", time.Since(start), dir)
	start = time.Now()
	for range 4 {
		start = time.Now()
		r := verify(t, dir)
		t.Logf("verify in %v: %+v", time.Since(start), r)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "probity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"SELECT COUNT(*) FROM events", "SELECT COUNT(*) FROM audit_leaves", "SELECT COUNT(*) FROM audit_checkpoints", "SELECT COUNT(*) FROM spec_versions", "SELECT group_concat(action||':'||n) FROM (SELECT action, COUNT(*) n FROM audit_leaves GROUP BY action)", "SELECT MIN(length(points)) || '-' || MAX(length(points)) FROM events", "SELECT group_concat(type||':'||n) FROM (SELECT type, COUNT(*) n FROM events GROUP BY type)"} {
		var s string
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s = %s", q, s)
	}
	if out, err := exec.Command("cp", filepath.Join(dir, "probity.db"), "/tmp/explore.db").CombinedOutput(); err != nil { t.Fatal(err, string(out)) }
	t.Fatal("keep dir")
}
