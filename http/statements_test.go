package http_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/statement"
)

// TestStatements (issue 19): a subject asks for a statement of their
// standing, bound to a key they hold; the issuance is a leaf of the
// domain's log; a landlord verifies a presentation revealing only the
// grade, domain and as-of date with the keys the server publishes; a copy
// presented with another key is refused; the subject revokes it and the
// status list says so; opting out revokes the rest.
func TestStatements(t *testing.T) {
	u, me, holder, jwk := statementHolder(t)
	issue := func(t *testing.T, body string) map[string]any {
		t.Helper()
		status, issued := send(t, me, "POST", u+"/v1/me/statements", "application/json", body)
		if status != 201 {
			t.Fatalf("POST /v1/me/statements = %d %v", status, issued)
		}
		return issued
	}
	before, _ := logSize(t, u)
	issued := issue(t, `{"domain":"`+lending+`","validity":"30d","holder_key":`+string(jwk)+`}`)
	after, last := logSize(t, u)
	if after != before+1 || last["action"] != probity.ActionStatementIssued {
		t.Fatalf("the issuance left %d leaves, the last %v; want one statement.issued leaf", after-before, last)
	}
	var meta struct {
		Issuer string             `json:"issuer"`
		JWKS   jose.JSONWebKeySet `json:"jwks"`
	}
	if err := json.Unmarshal([]byte(get(t, u+"/.well-known/jwt-vc-issuer")), &meta); err != nil || meta.Issuer != u || len(meta.JWKS.Keys) != 1 {
		t.Fatalf("issuer metadata: %+v, %v", meta, err)
	}
	opts := statement.Options{Keys: meta.JWKS, Audience: "landlord", Nonce: "n-42", Now: time.Now(),
		Status: func(uri string) (string, error) { return get(t, uri), nil }}
	present := func(t *testing.T, key ed25519.PrivateKey, sdjwt string) string {
		t.Helper()
		p, err := statement.Present(sdjwt, []string{"grade", "domain", "as_of"}, key, jose.EdDSA, "landlord", "n-42", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sdjwt := issued["sd_jwt"].(string)
	v, err := statement.Verify(present(t, holder, sdjwt), opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if v.Claims["domain"] != lending || v.Claims["as_of"] == nil || len(v.Claims) != 3 {
		t.Fatalf("verified claims %v; want grade, domain and as_of only", v.Claims)
	}
	if _, ok := v.Claims["grade"]; !ok {
		t.Fatal("the grade is not disclosed")
	}
	if days := v.ExpiresAt.Sub(v.IssuedAt).Hours() / 24; days != 30 {
		t.Fatalf("valid %v days, want the 30 asked", days)
	}
	_, thief, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := statement.Verify(present(t, thief, sdjwt), opts); err == nil || !strings.Contains(err.Error(), "holder binding") {
		t.Fatalf("a copied statement presented with another key: %v", err)
	}
	t.Run("ErrValidityPastTheSpec", func(t *testing.T) {
		status, body := send(t, me, "POST", u+"/v1/me/statements", "application/json", `{"domain":"`+lending+`","validity":"400d","holder_key":`+string(jwk)+`}`)
		if status != 400 || !strings.Contains(errMessage(body), "validity") {
			t.Fatalf("= %d %v, want 400 naming the validity", status, body)
		}
	})
	t.Run("OKKeyMadeForTheSubject", func(t *testing.T) {
		// the issue's own shape: {"domain", "claims"}, no key sent
		made := issue(t, `{"domain":"`+lending+`","claims":["grade","as_of","domain"],"expires_at":"`+time.Now().AddDate(0, 0, 10).Format(time.DateOnly)+`"}`)
		raw, _ := json.Marshal(made["holder_jwk"])
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil || jwk.IsPublic() {
			t.Fatalf("holder_jwk %s: %v; want the private key made for the subject", raw, err)
		}
		v, err := statement.Verify(present(t, jwk.Key.(ed25519.PrivateKey), made["sd_jwt"].(string)), opts)
		if err != nil {
			t.Fatal(err)
		}
		if days := v.ExpiresAt.Sub(v.IssuedAt).Hours() / 24; days < 9 || days > 11 {
			t.Fatalf("valid %.1f days; want until the date asked, 10 days on", days)
		}
	})
	t.Run("ErrExpiresPastTheSpec", func(t *testing.T) {
		status, body := send(t, me, "POST", u+"/v1/me/statements", "application/json", `{"domain":"`+lending+`","expires_at":"`+time.Now().AddDate(2, 0, 0).Format(time.DateOnly)+`"}`)
		if status != 400 || !strings.Contains(errMessage(body), "expires_at") {
			t.Fatalf("= %d %v, want 400 naming expires_at", status, body)
		}
	})
	t.Run("ErrPrivateKey", func(t *testing.T) {
		priv, _ := json.Marshal(jose.JSONWebKey{Key: holder})
		status, body := send(t, me, "POST", u+"/v1/me/statements", "application/json", `{"domain":"`+lending+`","holder_key":`+string(priv)+`}`)
		if status != 400 || !strings.Contains(errMessage(body), "private key") {
			t.Fatalf("= %d %v, want 400: send only the public key", status, body)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		status, body := send(t, me, "DELETE", u+"/v1/me/statements/"+lending+"/"+issued["id"].(string), "", "")
		if status != 200 {
			t.Fatalf("revoke = %d %v", status, body)
		}
		if _, err := statement.Verify(present(t, holder, sdjwt), opts); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("a revoked statement: %v", err)
		}
	})
	t.Run("OptOutRevokes", func(t *testing.T) {
		other := issue(t, `{"domain":"`+lending+`","holder_key":`+string(jwk)+`}`)
		if status, body := send(t, me, "POST", u+"/v1/me/opt-outs", "application/json", `{"domain":"`+lending+`"}`); status != 200 {
			t.Fatalf("opt out = %d %v", status, body)
		}
		if _, err := statement.Verify(present(t, holder, other["sd_jwt"].(string)), opts); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("a statement of a standing the subject left: %v", err)
		}
	})
	if report, err := svc.VerifyLog(local()); err != nil || !report.OK() {
		t.Fatalf("audit verify after statements: %+v, %v", report, err)
	}
}

// get fetches a public resource.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// statementHolder starts the server with the example domains, and returns
// its URL, alice's subject token (as an Authorization header), and a key
// she holds, with its public JWK.
func statementHolder(t *testing.T) (string, string, ed25519.PrivateKey, []byte) {
	t.Helper()
	srv := startServer(t)
	applyDomains(t)
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	_, holder, _ := ed25519.GenerateKey(rand.Reader)
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: holder.Public()})
	return srv.URL(), "Bearer " + st.Token, holder, jwk
}
