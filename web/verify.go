package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// verification is the full verification of the log that the audit page
// runs in the background, one at a time: it can take minutes on a large
// store, longer than a browser waits for a page. The page shows its
// progress, reloading itself, and its report when done.
type verification struct {
	mu      sync.Mutex
	running *verifyProgress
	report  *audit.Report
	failed  string
}

// logVerifier runs the full verification (the bureau).
type logVerifier interface {
	VerifyLog(ctx context.Context) (*audit.Report, error)
}

// verifyProgress is a verification under way.
type verifyProgress struct {
	Started        time.Time
	By             string
	Checked, Total uint64
	// Percent is Checked of Total, for the progress bar.
	Percent int
}

// state returns a copy of the verification under way (nil if none) and
// the outcome of the last one.
func (v *verification) state() (*verifyProgress, *audit.Report, string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.running == nil {
		return nil, v.report, v.failed
	}
	r := *v.running
	return &r, v.report, v.failed
}

// start runs the verification as the caller in ctx, unless one runs
// already; done is closed when it ends.
func (v *verification) start(ctx context.Context, svc logVerifier, by string) (done chan struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	done = make(chan struct{})
	if v.running != nil {
		close(done) // the one running goes on; the page shows it
		return done
	}
	v.running = &verifyProgress{Started: time.Now(), By: by}
	ctx = audit.WithProgress(context.WithoutCancel(ctx), func(checked, total uint64) {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.running.Checked, v.running.Total = checked, total
		if total > 0 {
			v.running.Percent = int(checked * 100 / total)
		}
	})
	go func() {
		defer close(done)
		report, err := svc.VerifyLog(ctx)
		v.mu.Lock()
		defer v.mu.Unlock()
		v.running, v.report, v.failed = nil, report, ""
		if err != nil {
			v.report, v.failed = nil, probity.ErrorMessage(err)
		}
	}()
	return done
}

// verifyWait is how long starting a verification waits for it to end
// before showing the page: a small store's is done by then.
const verifyWait = time.Second

// handleVerify starts the full verification in the background (auditors
// and operators) and shows the audit page, with its progress or, when it
// was quick, its report.
func (p *Pages) handleVerify(w http.ResponseWriter, r *http.Request) {
	r, a, ok := p.requireSignIn(w, r)
	if !ok {
		return
	}
	if err := p.svc.MayVerify(r.Context()); err != nil {
		p.fail(w, r, err)
		return
	}
	done := p.verification.start(r.Context(), p.svc, who(a))
	select {
	case <-done:
	case <-time.After(verifyWait):
	}
	http.Redirect(w, r, "/audit#verification", http.StatusSeeOther)
}
