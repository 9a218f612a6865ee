package bureau_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
)

func FuzzParseToken(f *testing.F) {
	f.Add("prb_0123456789abcdef_" + strings.Repeat("ab", 32))
	f.Add("prs_0123456789abcdef_" + strings.Repeat("cd", 32) + "_" + strings.Repeat("A_-z", 10))
	f.Add("prb__")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := bureau.ParseToken(s)
		if err != nil {
			if probity.ErrorCode(err) != probity.EUNAUTHORIZED {
				t.Fatalf("ParseToken error code %s, want unauthorized", probity.ErrorCode(err))
			}
			if len(s) > 8 && strings.Contains(probity.ErrorMessage(err), s) {
				t.Fatal("the error echoes the token")
			}
			return
		}
		if got := tok.String(); got != s {
			t.Fatalf("ParseToken(%q).String() = %q: a token has one spelling", s, got)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	reader, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "desk", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		a, err := f.Authenticate(context.Background(), reader.Token)
		if err != nil || a.Principal == nil || !a.Principal.Has(probity.RoleReader, "acme.lending") {
			t.Fatalf("Authenticate = %+v, %v", a, err)
		}
	})
	wrong := reader.Token[:len(reader.Token)-1] + map[bool]string{true: "0", false: "1"}[strings.HasSuffix(reader.Token, "1")]
	for name, token := range map[string]string{
		"ErrWrongSecret": wrong,
		"ErrUnknownID":   "prb_0000000000000000_" + strings.Repeat("00", 32),
		"ErrMalformed":   "Bearer xyz",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.Authenticate(context.Background(), token); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
				t.Fatalf("err = %v, want unauthorized", err)
			}
		})
	}
	t.Run("ErrRevoked", func(t *testing.T) {
		p, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "gone", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.RevokePrincipal(local(), p.Principal.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Authenticate(context.Background(), p.Token); !strings.Contains(probity.ErrorMessage(err), "revoked") {
			t.Fatalf("err = %v, want revoked", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		p, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "brief", ExpiresAt: t0.Add(time.Hour),
			Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.t = t0.Add(2 * time.Hour)
		defer func() { f.clock.t = t0 }()
		if _, err := f.Authenticate(context.Background(), p.Token); !strings.Contains(probity.ErrorMessage(err), "expired") {
			t.Fatalf("err = %v, want expired", err)
		}
	})
	t.Run("SubjectToken", func(t *testing.T) {
		st, err := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.Authenticate(context.Background(), st.Token)
		if err != nil || a.Subject == nil || a.Subject.String() != alice || len(a.Principal.Grants) != 0 {
			t.Fatalf("Authenticate(subject token) = %+v, %v", a, err)
		}
		// Swap the sealed identifier of another subject's token into this one.
		other, _ := f.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: bob})
		forged := st.Token[:strings.LastIndex(st.Token, "_")] + other.Token[strings.LastIndex(other.Token, "_"):]
		if _, err := f.Authenticate(context.Background(), forged); probity.ErrorCode(err) != probity.EUNAUTHORIZED {
			t.Fatalf("a token with another subject's sealed identifier: %v, want unauthorized", err)
		}
	})
	t.Run("DeniedAttemptsAreLogged", func(t *testing.T) {
		before, _ := f.Checkpoint(context.Background(), probity.InstallationLog)
		// from a source not refused yet in this minute: its first refusal
		// is a leaf at once (later ones are counted: TestRefusalFlood)
		f.Authenticate(probity.NewContextWithActor(context.Background(), probity.Actor{ID: "anonymous@192.0.2.7"}), "prb_nope")
		after, _ := f.Checkpoint(context.Background(), probity.InstallationLog)
		if after.Size != before.Size+1 {
			t.Fatalf("log grew by %d leaves on a refused token, want 1", after.Size-before.Size)
		}
	})
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t)
	f.applyFile(t, lending)
	tax := readSpec(t, "../examples/domains/national-tax.yaml")
	f.apply(t, tax)
	as := func(grants ...probity.Grant) context.Context {
		issued, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: "p", Grants: grants})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.Authenticate(context.Background(), issued.Token)
		if err != nil {
			t.Fatal(err)
		}
		return probity.NewContextWithActor(context.Background(), a)
	}
	reporter := as(probity.Grant{Role: probity.RoleReporter, Domain: "acme.lending"})
	operator := as(probity.Grant{Role: probity.RoleOperator})
	taxReader := as(probity.Grant{Role: probity.RoleReader, Domain: "gov.tax-compliance"})
	score := probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "account_review"}
	for name, tc := range map[string]struct {
		ctx  context.Context
		code string
		want string
	}{
		"ErrReporterReads":    {reporter, probity.EFORBIDDEN, "reader role in domain acme.lending; this token has: reporter:acme.lending"},
		"ErrOperatorReads":    {operator, probity.EFORBIDDEN, "reader role in domain acme.lending"},
		"ErrOtherDomainReads": {taxReader, probity.EFORBIDDEN, "reader role in domain acme.lending"},
		"ErrAnonymousReads":   {context.Background(), probity.EUNAUTHORIZED, "bearer token"},
		"ReaderReads":         {as(probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"}), "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.Score(tc.ctx, score)
			if probity.ErrorCode(err) != tc.code || !strings.Contains(probity.ErrorMessage(err), tc.want) {
				t.Fatalf("Score = %v, want %q containing %q", err, tc.code, tc.want)
			}
		})
	}
	t.Run("ErrNoPurpose", func(t *testing.T) {
		reader := as(probity.Grant{Role: probity.RoleReader, Domain: "acme.lending"})
		_, err := f.Score(reader, probity.ScoreRequest{Domain: "acme.lending", Subject: alice})
		if probity.ErrorCode(err) != probity.EINVALID || !strings.Contains(probity.ErrorMessage(err), "purpose: required") {
			t.Fatalf("a read without a purpose: %v, want refused", err)
		}
		if _, err := f.Score(reader, probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "local_inspection"}); probity.ErrorCode(err) != probity.EINVALID {
			t.Fatalf("a principal using the command line's purpose: %v, want refused", err)
		}
	})
	t.Run("P10", func(t *testing.T) {
		_, err := f.CreatePrincipal(operator, probity.PrincipalRequest{Name: "tax office", Government: true,
			Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
		if probity.ErrorCode(err) != probity.EFORBIDDEN || !strings.Contains(probity.ErrorMessage(err), "P10") {
			t.Fatalf("government reader of a finance domain: %v, want forbidden citing P10", err)
		}
		if _, err := f.CreatePrincipal(operator, probity.PrincipalRequest{Name: "tax office", Government: true,
			Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "gov.tax-compliance"}}}); err != nil {
			t.Fatalf("government reader of a tax domain: %v", err)
		}
	})
	t.Run("AdminGrantsOnlyInTheirDomain", func(t *testing.T) {
		admin := as(probity.Grant{Role: probity.RoleAdmin, Domain: "acme.lending"})
		if _, err := f.CreatePrincipal(admin, probity.PrincipalRequest{Name: "x", Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}}); err != nil {
			t.Fatalf("admin granting in their domain: %v", err)
		}
		for _, g := range []probity.Grant{{Role: probity.RoleReader, Domain: "gov.tax-compliance"}, {Role: probity.RoleOperator}} {
			if _, err := f.CreatePrincipal(admin, probity.PrincipalRequest{Name: "x", Grants: []probity.Grant{g}}); probity.ErrorCode(err) != probity.EFORBIDDEN {
				t.Fatalf("admin granting %s: %v, want forbidden", g, err)
			}
		}
	})
}

// TestTextThatCannotBeKept: free text a store could not keep byte for byte
// (invalid UTF-8, control characters) is refused with the field's name on
// every backend, and nothing is stored.
func TestTextThatCannotBeKept(t *testing.T) {
	f := newFixture(t)
	before, err := f.Principals(local())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"desk\xff", "desk\x00", "\x1b[2Jdesk"} {
		_, err := f.CreatePrincipal(local(), probity.PrincipalRequest{Name: name, Grants: []probity.Grant{{Role: probity.RoleReader, Domain: "acme.lending"}}})
		if probity.ErrorCode(err) != probity.EINVALID || !strings.HasPrefix(probity.ErrorMessage(err), "name: ") {
			t.Fatalf("CreatePrincipal(name %q) = %v, want EINVALID naming the name", name, err)
		}
	}
	after, err := f.Principals(local())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d principals after refused requests, want %d", len(after), len(before))
	}
}
