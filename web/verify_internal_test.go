package web

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probity-dev/probity/audit"
)

// slowVerifier reports some progress, then waits to be let go.
type slowVerifier struct {
	calls   atomic.Int32
	release chan struct{}
}

func (s *slowVerifier) VerifyLog(ctx context.Context) (*audit.Report, error) {
	s.calls.Add(1)
	audit.ProgressFrom(ctx)(5, 10)
	<-s.release
	return &audit.Report{Leaves: 10, Problems: []string{}}, nil
}

// TestVerificationInBackground: the audit page's verification runs in the
// background, one at a time, telling how far it got, and keeps its report
// when done.
func TestVerificationInBackground(t *testing.T) {
	var v verification
	slow := &slowVerifier{release: make(chan struct{})}
	done := v.start(context.Background(), slow, "Outside auditor")
	var running *verifyProgress
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if running, _, _ = v.state(); running != nil && running.Checked == 5 {
			break
		}
	}
	if running == nil || running.Checked != 5 || running.Total != 10 || running.Percent != 50 || running.By != "Outside auditor" {
		t.Fatalf("while it runs: %+v; want 5 of 10 leaves, 50%%, by the auditor", running)
	}
	again := v.start(context.Background(), slow, "someone else")
	<-again // returns at once: the running one goes on
	close(slow.release)
	<-done
	running, report, failed := v.state()
	if running != nil || report == nil || report.Leaves != 10 || failed != "" || slow.calls.Load() != 1 {
		t.Fatalf("after: running %+v, report %+v, failed %q, %d runs; want one run's report", running, report, failed, slow.calls.Load())
	}
}
