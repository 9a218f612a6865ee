package bureau_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/bureau/bureautest"
)

// TestPrincipalExpiryRange checks that an expiry a store cannot keep is
// refused naming expires_at, for principals and subject tokens alike: stored,
// it would come back as another time and audit verification would fail for
// good.
func TestPrincipalExpiryRange(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	grants := []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}
	for _, expires := range []time.Time{
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC),
		time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1677, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		t.Run("ErrOutOfRange"+expires.Format("2006"), func(t *testing.T) {
			_, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "desk", Grants: grants, ExpiresAt: expires})
			if probity.ErrorCode(err) != probity.EINVALID || !strings.HasPrefix(probity.ErrorMessage(err), "expires_at:") {
				t.Fatalf("CreatePrincipal(expires %s) = %v, want invalid naming expires_at", expires, err)
			}
			_, err = f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice, ExpiresAt: expires})
			if probity.ErrorCode(err) != probity.EINVALID || !strings.HasPrefix(probity.ErrorMessage(err), "expires_at:") {
				t.Fatalf("IssueSubjectToken(expires %s) = %v, want invalid naming expires_at", expires, err)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		expires := time.Date(2200, 12, 31, 0, 0, 0, 0, time.UTC)
		p, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "desk", Grants: grants, ExpiresAt: expires})
		if err != nil || !p.Principal.ExpiresAt.Equal(expires) {
			t.Fatalf("CreatePrincipal = %+v, %v", p, err)
		}
		if _, err := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice, ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	})
	if r, err := audit.Verify(context.Background(), f.db, f.signer.Verifier(), f.KeyDigests()); err != nil || !r.OK() {
		t.Fatalf("audit.Verify = %+v, %v", r, err)
	}
}

// TestRevokeLastOperator checks that the installation keeps an operator:
// revoking the last active one is a conflict, revoking one of two is not.
func TestRevokeLastOperator(t *testing.T) {
	f := newFixture(t)
	op := []probity.Grant{{Role: probity.RoleOperator}}
	first, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "first operator", Grants: op})
	if err != nil {
		t.Fatal(err)
	}
	wantLast := func(t *testing.T, id string) {
		t.Helper()
		_, err := f.RevokePrincipal(local(), id)
		if probity.ErrorCode(err) != probity.ECONFLICT || !strings.Contains(probity.ErrorMessage(err), "last operator; create another operator first") {
			t.Fatalf("RevokePrincipal(last operator) = %v, want conflict naming the last operator", err)
		}
	}
	t.Run("ErrLastOperator", func(t *testing.T) { wantLast(t, first.Principal.ID) })
	t.Run("ErrOtherExpired", func(t *testing.T) {
		if _, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "brief operator", Grants: op, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		f.clock.t = t0.Add(2 * time.Hour) // and stays there: the brief operator is gone
		wantLast(t, first.Principal.ID)
	})
	second, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "second operator", Grants: op})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := f.RevokePrincipal(probity.NewContextWithActor(context.Background(), probity.Actor{ID: "second", Principal: second.Principal}), first.Principal.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrLastAgain", func(t *testing.T) { wantLast(t, second.Principal.ID) })
}

// TestRevocationTakesEffect checks that a token stops working once its
// principal is revoked, although the principals of tokens are kept in
// memory between requests: at once on the server that revoked it, within
// a second on another server of the same store, and at its expiry by the
// store's clock.
func TestRevocationTakesEffect(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	grants := []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}
	issue := func(t *testing.T, expires time.Time) *probity.IssuedToken {
		t.Helper()
		tok, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "desk", Grants: grants, ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	refused := func(b *bureau.Bureau, tok *probity.IssuedToken, why string) bool {
		_, err := b.Authenticate(context.Background(), tok.Token)
		if err != nil && (probity.ErrorCode(err) != probity.EUNAUTHORIZED || !strings.Contains(probity.ErrorMessage(err), why)) {
			t.Fatalf("Authenticate = %v, want unauthorized saying %q", err, why)
		}
		return err != nil
	}
	t.Run("ThisServer", func(t *testing.T) {
		tok := issue(t, time.Time{})
		if refused(f.Bureau, tok, "") {
			t.Fatal("a new token refused")
		}
		if _, err := f.RevokePrincipal(local(), tok.Principal.ID); err != nil {
			t.Fatal(err)
		}
		if !refused(f.Bureau, tok, "revoked") {
			t.Fatal("a token accepted after its principal was revoked on this server")
		}
	})
	t.Run("AnotherServer", func(t *testing.T) {
		other, _ := bureautest.New(t, f.dir, f.db)
		tok := issue(t, time.Time{})
		if refused(other, tok, "") {
			t.Fatal("a new token refused by another server")
		}
		if _, err := f.RevokePrincipal(local(), tok.Principal.ID); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for !refused(other, tok, "revoked") {
			if time.Now().After(deadline) {
				t.Fatal("another server still accepts a token 3 s after its principal was revoked")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		tok := issue(t, t0.Add(time.Hour))
		if refused(f.Bureau, tok, "") {
			t.Fatal("a token refused before its expiry")
		}
		f.clock.t = t0.Add(2 * time.Hour)
		defer func() { f.clock.t = t0 }()
		if !refused(f.Bureau, tok, "expired") {
			t.Fatal("a token accepted after its expiry")
		}
	})
}
