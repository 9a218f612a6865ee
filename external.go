package probity

import (
	"context"
	"strings"
	"time"
)

// ExternalToken is what an identity provider's access token, once
// verified, says of its bearer: the issuer and its subject (for an
// institution's system, usually the OAuth client id), and, where the
// installation names a claim for it, the identifier of the person or body
// it was issued to (SubjectID, in scheme:value form, not yet validated).
type ExternalToken struct {
	Issuer    string
	Subject   string
	SubjectID string
	Expiry    time.Time
}

// ExternalVerifier checks the access tokens of the identity providers an
// installation trusts (JWTs): the signature by a key the issuer publishes,
// the issuer, the audience, the expiry and not-before with a bounded clock
// skew, an asymmetric algorithm, and any sender constraint the token
// carries against how it was presented (a DPoP proof, a client
// certificate). It must return an EUNAUTHORIZED error that says in words
// what was wrong (expired, wrong audience, unknown key, issuer not
// configured), and EUNAVAILABLE when the issuer's keys cannot be fetched.
type ExternalVerifier interface {
	Verify(ctx context.Context, token string, p Presentation) (*ExternalToken, error)
}

// Presentation is how a token reached the server: the request's method and
// URL (without query), the scheme of its Authorization header, its DPoP
// proof if any, and the SHA-256 of the client certificate of a mutual TLS
// connection if any. Sender-constrained tokens are checked against it.
type Presentation struct {
	Method     string
	URL        string
	Scheme     string // "Bearer" or "DPoP"
	DPoP       string
	CertSHA256 []byte
}

type presentationKey struct{}

// NewContextWithPresentation returns ctx carrying how the request's token
// was presented.
func NewContextWithPresentation(ctx context.Context, p Presentation) context.Context {
	return context.WithValue(ctx, presentationKey{}, p)
}

// PresentationFromContext returns how the request's token was presented,
// or the zero Presentation.
func PresentationFromContext(ctx context.Context) Presentation {
	p, _ := ctx.Value(presentationKey{}).(Presentation)
	return p
}

// IsJWT reports whether a bearer token has the shape of a JSON Web Token
// (three base64url parts), which Probity's own tokens never have.
func IsJWT(token string) bool {
	return strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ")
}
