package audit_test

import (
	"context"
	"testing"

	"github.com/probity-dev/probity/audit"
)

// TestVerifyProgress: Verify tells its progress as it goes, ending with
// every leaf of every log checked.
func TestVerifyProgress(t *testing.T) {
	in := openInstallation(t, populated(t, 20))
	var calls int
	var last, total uint64
	ctx := audit.WithProgress(context.Background(), func(checked, of uint64) {
		if checked < last {
			t.Errorf("progress went back from %d to %d", last, checked)
		}
		calls, last, total = calls+1, checked, of
	})
	r, err := auditVerify(ctx, in)
	if err != nil || !r.OK() {
		t.Fatalf("verify: %+v, %v", r, err)
	}
	if calls == 0 || last != r.Leaves || total != r.Leaves {
		t.Fatalf("progress: %d calls, last %d of %d; want every one of the %d leaves", calls, last, total, r.Leaves)
	}
}
