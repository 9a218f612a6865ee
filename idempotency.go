package probity

import (
	"context"
	"time"
)

// IdempotencyWindow is how long a creating request's Idempotency-Key is
// remembered: a client retrying within it gets the first answer again
// instead of a second consent, dispute or principal.
const IdempotencyWindow = 24 * time.Hour

// IdempotentRequest is a creating request sent with an Idempotency-Key,
// remembered with its answer. Scope is the SHA-256 of who sent it, the
// route, the path and the key, so that keys of different callers never
// meet; Request the SHA-256 of its body. Status is 0 while the first
// request runs. A body that held a token holds it no more.
type IdempotentRequest struct {
	Scope     []byte
	Request   []byte
	Status    int
	Body      []byte
	CreatedAt time.Time
}

// IdempotencyService remembers creating requests' keys and answers.
type IdempotencyService interface {
	// ClaimRequest records r as running, unless its scope is known: it
	// then returns the request remembered (running or answered), and
	// nil when r was claimed. Keys older than IdempotencyWindow are
	// forgotten.
	ClaimRequest(ctx context.Context, r *IdempotentRequest) (*IdempotentRequest, error)
	// FinishRequest remembers the answer of a claimed request.
	FinishRequest(ctx context.Context, scope []byte, status int, body []byte) error
	// ReleaseRequest forgets a claimed request that failed on the server's
	// side, so that its retry runs again.
	ReleaseRequest(ctx context.Context, scope []byte) error
}
