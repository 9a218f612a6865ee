package bureau

import (
	"context"
	"time"

	"github.com/probity-dev/probity"
)

// LogState is a log's size and its latest checkpoint's, for an operator's
// metrics: the leaves beyond the checkpoint are not signed yet, and a
// checkpoint's age says whether sealing goes on.
type LogState struct {
	Name           string
	Size           uint64
	CheckpointSize uint64
	CheckpointAt   time.Time // zero before the first checkpoint
}

// LogStates returns every log's state.
func (b *Bureau) LogStates(ctx context.Context) ([]LogState, error) {
	var out []LogState
	err := b.store.View(ctx, func(tx probity.ReadTx) error {
		logs, err := tx.Logs()
		if err != nil {
			return err
		}
		for _, l := range logs {
			st := LogState{Name: l.Name, Size: l.Size}
			cp, err := tx.LatestCheckpoint(l.Name)
			if err != nil {
				return err
			}
			if cp != nil {
				st.CheckpointSize, st.CheckpointAt = cp.Size, cp.At
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// MayReadMetrics allows the operator and the auditors to read the
// installation's metrics, and refuses anyone else, saying who may.
func (b *Bureau) MayReadMetrics(ctx context.Context) error {
	return b.authorize(ctx, "reading the metrics", operator(), probity.Grant{Role: probity.RoleAuditor})
}
