package bureau

import (
	"context"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// VerifyLog runs the full verification of the log and the rows it binds
// (audit.Verify) on the store the bureau serves, for the installation's
// auditors and operators: the same check as probity audit verify, without
// the data directory. It discloses no subject data, only the report.
func (b *Bureau) VerifyLog(ctx context.Context) (*audit.Report, error) {
	if err := b.MayVerify(ctx); err != nil {
		return nil, err
	}
	return audit.Verify(ctx, b.store, b.log.Signer().Verifier(), b.KeyDigests())
}

// MayVerify says whether the caller may run the log's full verification
// (auditors and the operator), as VerifyLog would, before it is started in
// the background.
func (b *Bureau) MayVerify(ctx context.Context) error {
	return b.authorize(ctx, "verifying the log", role(probity.RoleAuditor, ""), operator())
}

// webKeyDomain names the key of the web pages' CSRF tokens; '!' cannot
// start a domain id, so it is never a domain's key.
const webKeyDomain = "!web-session"

// FormKey returns the key the web pages sign their forms' CSRF tokens
// with, derived from the master key: every server of the installation
// accepts the forms of the others.
func (b *Bureau) FormKey() []byte { return b.keys.DomainKey(webKeyDomain) }
