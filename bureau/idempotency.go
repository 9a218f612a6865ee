package bureau

import (
	"context"

	"github.com/probity-dev/probity"
)

var _ probity.IdempotencyService = (*Bureau)(nil)

// ClaimRequest records a creating request's Idempotency-Key as running,
// or returns the request remembered under it. The scope names its sender,
// so no caller meets another's keys; there is nothing to authorize.
func (b *Bureau) ClaimRequest(ctx context.Context, r *probity.IdempotentRequest) (*probity.IdempotentRequest, error) {
	var prev *probity.IdempotentRequest
	err := b.store.Update(ctx, func(tx probity.Tx) error {
		var err error
		prev, err = tx.ClaimIdempotencyKey(r)
		return err
	})
	return prev, err
}

// FinishRequest remembers a claimed request's answer.
func (b *Bureau) FinishRequest(ctx context.Context, scope []byte, status int, body []byte) error {
	return b.store.Update(ctx, func(tx probity.Tx) error { return tx.FinishIdempotencyKey(scope, status, body) })
}

// ReleaseRequest forgets a claimed request that failed on the server.
func (b *Bureau) ReleaseRequest(ctx context.Context, scope []byte) error {
	return b.store.Update(ctx, func(tx probity.Tx) error { return tx.ReleaseIdempotencyKey(scope) })
}
