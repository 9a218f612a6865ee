package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestVerifyPrincipals: a principal's row, its token hash included, is bound
// to its latest leaf; swapping in the hash of another secret, or adding a
// principal behind Probity's back, shows.
func TestVerifyPrincipals(t *testing.T) {
	for name, tamper := range map[string]string{
		"SecretHash": `UPDATE principals SET secret_hash = x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' WHERE name = 'desk'`,
		"Grants":     `UPDATE principals SET grants = '[{"role":"operator"}]' WHERE name = 'desk'`,
		"Unrevoke":   `UPDATE principals SET revoked_at = 0 WHERE name = 'gone'`,
		"Insert":     `INSERT INTO principals SELECT 'ffffffffffffffff', name, government, grants, subject_token, subject, secret_hash, created_at, created_by, expires_at, revoked_at, issuer, external_subject FROM principals WHERE name = 'desk'`,
		"Delete":     `DELETE FROM principals WHERE name = 'desk'`,
		// binding a principal to an identity provider's identity hands its
		// roles to whoever that provider issues tokens for
		"Rebind": `UPDATE principals SET issuer = 'https://login.example.com', external_subject = 'mallory' WHERE name = 'desk'`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := openInstallation(t, dir)
			ctx := probity.NewContextWithActor(context.Background(), probity.Actor{ID: "test", Local: true})
			if err := in.bureau.Init(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := in.bureau.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "desk", Grants: []probity.Grant{{Role: probity.RoleAuditor}}}); err != nil {
				t.Fatal(err)
			}
			gone, err := in.bureau.CreatePrincipal(ctx, probity.PrincipalRequest{Name: "gone", Grants: []probity.Grant{{Role: probity.RoleAuditor}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.bureau.RevokePrincipal(ctx, gone.Principal.ID); err != nil {
				t.Fatal(err)
			}
			in.db.Close()
			if r := verify(t, dir); !r.OK() || r.Principals != 2 {
				t.Fatalf("untouched: %v, %d principals", r.Problems, r.Principals)
			}
			db := mustOpenRaw(t, dir)
			if _, err := db.Exec(tamper); err != nil {
				t.Fatal(err)
			}
			db.Close()
			r := verify(t, dir)
			if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "principal ") {
				t.Fatalf("tampered principal not detected: %v", r.Problems)
			}
		})
	}
}
