package idp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyErrKey carries, through go-oidc's call into the key set, a slot for
// the key set's own error, which go-oidc passes on only as text.
type keyErrKey struct{}

// unknownKeyError: the token names a key the issuer does not publish, even
// after a refresh.
type unknownKeyError struct{ kid string }

func (e *unknownKeyError) Error() string { return fmt.Sprintf("no published key with id %q", e.kid) }

// fetchError: the issuer's keys could not be fetched.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return "fetching the issuer's keys: " + e.err.Error() }

// keySet is an issuer's published keys (go-oidc's KeySet), fetched on
// first use and again when a token names a key id it lacks (a rotation),
// but at most once every refresh.
type keySet struct {
	url     string
	client  *http.Client
	refresh time.Duration
	now     func() time.Time

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time
}

// maxJWKS bounds the key document read from a provider.
const maxJWKS = 1 << 20

// VerifySignature verifies a JWT's signature with the issuer's key it
// names and returns its payload.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	err := k.verify(ctx, raw)
	if slot, ok := ctx.Value(keyErrKey{}).(*error); ok && err != nil {
		*slot = err
	}
	if err != nil {
		return nil, err
	}
	jws, _ := jose.ParseSigned(raw, Algorithms)
	return jws.UnsafePayloadWithoutVerification(), nil
}

func (k *keySet) verify(ctx context.Context, raw string) error {
	jws, err := jose.ParseSigned(raw, Algorithms)
	if err != nil {
		return err
	}
	if len(jws.Signatures) != 1 {
		return fmt.Errorf("%d signatures; want one", len(jws.Signatures))
	}
	kid := jws.Signatures[0].Header.KeyID
	for attempt := 0; attempt < 2; attempt++ {
		keys, err := k.current(ctx, attempt > 0)
		if err != nil {
			return err
		}
		for _, key := range keys {
			if kid != "" && key.KeyID != kid || (key.Use != "" && key.Use != "sig") {
				continue
			}
			if _, err := jws.Verify(key.Key); err == nil {
				return nil
			} else if kid != "" {
				return fmt.Errorf("the signature does not verify with key %q: %v", kid, err)
			}
		}
	}
	return &unknownKeyError{kid: kid}
}

// current returns the cached keys, fetching them if there are none or, on
// a miss, if the last fetch is older than the refresh interval.
func (k *keySet) current(ctx context.Context, miss bool) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys != nil && (!miss || k.now().Sub(k.fetchedAt) < k.refresh) {
		return k.keys, nil
	}
	keys, err := k.fetch(ctx)
	if err != nil {
		if k.keys != nil {
			return k.keys, nil // keep serving the keys known
		}
		return nil, &fetchError{err}
	}
	k.keys, k.fetchedAt = keys, k.now()
	return keys, nil
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", k.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKS))
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("GET %s: not a JWK set: %v", k.url, err)
	}
	keys := set.Keys[:0:0]
	for _, key := range set.Keys {
		if key.Valid() && key.IsPublic() {
			keys = append(keys, key)
		}
	}
	return keys, nil
}
