package web

import (
	"net/http"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// growthSamples is how many leaves the growth chart reads: the log's size
// over time is the index of a leaf against its time.
const growthSamples = 24

// auditorView is the auditor's page.
type auditorView struct {
	Checkpoint *probity.Checkpoint
	Key        string
	Chart      []byte
	Report     *audit.Report
	// Running is the verification under way, if any; Failed says why the
	// last one could not finish.
	Running *verifyProgress
	Failed  string
	// Logs are the installation log and every domain's.
	Logs []probity.LogInfo
}

// handleAuditor shows the latest signed checkpoint, the log's growth and
// the verification button. The log is public: anyone may look; the
// verification itself is for auditors and operators.
func (p *Pages) handleAuditor(w http.ResponseWriter, r *http.Request) {
	ctx, a, signed := p.actor(w, r)
	r = r.WithContext(ctx)
	c, err := p.svc.Checkpoint(ctx, probity.InstallationLog)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	logs, err := p.svc.Logs(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	points, err := p.growth(r, c.Size)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	av := auditorView{Checkpoint: c, Key: p.svc.PublicKey(probity.InstallationLog), Logs: logs}
	if av.Chart, err = growthChart(points); err != nil {
		p.fail(w, r, err)
		return
	}
	v := view{Title: "Audit log", Nav: "audit", SignedIn: signed, Who: who(a), Data: &av}
	if p.svc.MayVerify(ctx) == nil {
		// the verification's state is shown to those who may run it
		av.Running, av.Report, av.Failed = p.verification.state()
		if av.Running != nil {
			v.Refresh = 2
		}
	}
	p.render(w, r, "auditor", v)
}

// growth samples the log's leaves evenly: each gives (its time, its index+1).
func (p *Pages) growth(r *http.Request, size uint64) ([]chartPoint, error) {
	var xys []chartPoint
	if size == 0 {
		return xys, nil
	}
	for i := range uint64(growthSamples) {
		idx := i * (size - 1) / (growthSamples - 1)
		if len(xys) > 0 && float64(idx+1) <= xys[len(xys)-1].Value {
			continue // a small log: this leaf was read already
		}
		entries, err := p.svc.Entries(r.Context(), probity.InstallationLog, idx, idx+1)
		if err != nil {
			return nil, err
		}
		if len(entries) == 1 {
			xys = append(xys, chartPoint{At: entries[0].At, Value: float64(idx + 1)})
		}
	}
	return xys, nil
}
