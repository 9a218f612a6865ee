package web_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// upload sends an events file as the console's form does.
func (b *browser) upload(domain, name, content string, skip bool) (int, string) {
	b.tb.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", b.csrf)
	if skip {
		w.WriteField("skip_invalid", "true")
	}
	part, _ := w.CreateFormFile("events", name)
	part.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequest("POST", b.base+"/console/"+domain+"/events", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.base)
	resp, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.read(resp)
}

func TestUpload(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	page := b.signIn(f.reporter)
	mustContain(t, page, "Upload entries", `type="file"`)
	good := `{"key":"up-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-05-01","fields":{"amount":100}}`
	bad := `{"key":"up-2","type":"politics","subject":"` + alice + `","occurred_at":"2025-05-01"}`
	t.Run("ErrBadLine", func(t *testing.T) {
		status, page := b.upload("acme.lending", "events.ndjson", good+"\n"+bad+"\n", false)
		if status != 400 {
			t.Fatalf("= %d, want 400", status)
		}
		mustContain(t, page, `id="rejected">1<`, "nothing from this file was stored", "<td>2</td>", "up-2", "politics")
		// a page tells a person what to do on the page, not what to send
		if strings.Contains(page, "--skip-invalid") || strings.Contains(page, "skip_invalid=true") {
			t.Fatalf("the upload page tells a person to pass a flag:\n%s", page)
		}
	})
	t.Run("SkipInvalid", func(t *testing.T) {
		status, page := b.upload("acme.lending", "events.ndjson", good+"\n"+bad+"\n", true)
		if status != 200 {
			t.Fatalf("= %d, want 200: %s", status, page)
		}
		mustContain(t, page, `id="accepted">1<`, `id="applied">yes`, "<td>2</td>")
	})
	t.Run("CSV", func(t *testing.T) {
		csv := "key,type,subject,occurred_at,cures,amount\nup-3,loan_repaid," + alice + ",2025-06-01,,500\n"
		status, page := b.upload("acme.lending", "events.csv", csv, false)
		if status != 200 {
			t.Fatalf("= %d: %s", status, page)
		}
		mustContain(t, page, `id="accepted">1<`)
	})
	t.Run("ErrEmptyFile", func(t *testing.T) {
		status, page := b.upload("acme.lending", "empty.ndjson", "\n\n", false)
		if status != 400 || !strings.Contains(page, "empty.ndjson holds no events") {
			t.Fatalf("= %d, want 400 saying the file holds no events:\n%s", status, page)
		}
	})
	t.Run("ErrNotReporter", func(t *testing.T) {
		r := f.browser(t)
		r.signIn(f.reviewer)
		if status, _ := r.upload("acme.lending", "events.ndjson", good, false); status != 403 {
			t.Fatalf("a reviewer uploading = %d, want 403", status)
		}
	})
}

func TestAdminConsole(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	page := b.signIn(f.admin)
	mustContain(t, page, "Spec versions", "Version 1", "Officials roster", "Principals of this domain", "ACME core banking", "reporter:acme.lending")
}

func TestAuditor(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	page := b.signIn(f.audr)
	mustContain(t, page, "Latest checkpoint", `id="size">`, "data:image/svg", "Run the verification")
	status, page := b.post("/audit/verify", url.Values{})
	if status != 200 {
		t.Fatalf("verify = %d: %s", status, page)
	}
	mustContain(t, page, `id="verdict">Verified: no problem`)
	t.Run("ErrSubject", func(t *testing.T) {
		s := f.browser(t)
		s.signIn(f.subject)
		s.get("/audit")
		if status, page := s.post("/audit/verify", url.Values{}); status != 403 || !strings.Contains(page, "auditor role") {
			t.Fatalf("a subject verifying = %d, want 403 naming the auditor role", status)
		}
	})
}

func TestPortalActions(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.signIn(f.subject)
	t.Run("Export", func(t *testing.T) {
		resp, err := b.client.Get(f.url + "/portal/export")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var report struct {
			Domains []struct {
				Domain  string
				Entries []any
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || len(report.Domains) != 1 || len(report.Domains[0].Entries) != 3 {
			t.Fatalf("export: %q, %+v", resp.Header.Get("Content-Disposition"), report)
		}
	})
	t.Run("ExportOpensOffline", func(t *testing.T) {
		resp, err := b.client.Get(f.url + "/portal/export")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var report probity.Report
		if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
			t.Fatal(err)
		}
		if report.Log == nil {
			t.Fatal("the downloaded record has no openings")
		}
		// Offline: the file and the log's published key, nothing else.
		verifier, err := audit.VerifiersOf(f.svc.PublicKey(probity.InstallationLog))
		if err != nil {
			t.Fatal(err)
		}
		_, records, err := audit.CheckBundle(report.Log, verifier)
		if err != nil {
			t.Fatalf("the downloaded openings do not check: %v", err)
		}
		events := 0
		for _, r := range records {
			if r.Domain != "acme.lending" || r.Subject == nil {
				t.Fatalf("an opening of leaf %d (%s in %q) is not about the subject", r.Index, r.Action, r.Domain)
			}
			if r.Action == probity.ActionEventAccepted {
				events++
			}
		}
		if events != 3 {
			t.Fatalf("%d openings of the subject's 3 entries", events)
		}
		// A changed record no longer opens its leaf.
		report.Log.Openings[0].Record = strings.Replace(report.Log.Openings[0].Record, "acme.lending", "acme.lendinh", 1)
		if _, _, err := audit.CheckBundle(report.Log, verifier); err == nil || !strings.Contains(err.Error(), "do not open its commitment") {
			t.Fatalf("a changed record: %v, want it refused", err)
		}
	})
	t.Run("OptOutAndBack", func(t *testing.T) {
		// the form states what opting out means beside a box to tick
		_, page := b.get("/portal")
		mustContain(t, page, "every decision in ACME Bank consumer and business lending treats me as 600, grade C")
		if status, page := b.post("/portal/opt-out", url.Values{"domain": {"acme.lending"}, "out": {"true"}}); status != 400 || !strings.Contains(page, "confirm") {
			t.Fatalf("opt out without the box ticked = %d, want 400 naming confirm", status)
		}
		status, page := b.post("/portal/opt-out", url.Values{"domain": {"acme.lending"}, "out": {"true"}, "confirm": {"yes"}})
		if status != 200 {
			t.Fatalf("opt out = %d", status)
		}
		mustContain(t, page, "You left the domain", "You opted out", "Come back into")
		status, page = b.post("/portal/opt-out", url.Values{"domain": {"acme.lending"}, "out": {"false"}})
		if status != 200 {
			t.Fatalf("opt in = %d", status)
		}
		scoreOf(t, page)
	})
	t.Run("Inquiries", func(t *testing.T) {
		// the person's own looks are theirs, not inquiries by others
		_, page := b.get("/portal")
		mustContain(t, page, "Nobody else has looked", "(not counted as inquiries)", "subject cn-rid:••••••••••••••002X")
		if strings.Contains(page, alice[7:]) {
			t.Fatal("the portal shows the whole identifier; want it masked but for its last characters")
		}
		if strings.Contains(page, "subject access") || strings.Contains(page, ">subject:") {
			t.Fatal("the person's own views are listed as inquiries by others")
		}
		if _, err := f.svc.Score(local(), probity.ScoreRequest{Domain: "acme.lending", Subject: alice, Purpose: "account_review"}); err != nil {
			t.Fatal(err)
		}
		_, page = b.get("/portal")
		mustContain(t, page, "1 look by others", "account review")
	})
	t.Run("ErrDisputeWithoutReason", func(t *testing.T) {
		status, page := b.post("/portal/disputes", url.Values{"domain": {"acme.lending"}, "key": {"late-1"}})
		if status != 400 || !strings.Contains(page, "reason") {
			t.Fatalf("= %d, want 400 naming the reason", status)
		}
	})
	t.Run("SignInRequired", func(t *testing.T) {
		anon := f.browser(t)
		if _, page := anon.get("/portal"); !strings.Contains(page, `id="token"`) {
			t.Fatal("the portal without a session does not ask to sign in")
		}
	})
}

func TestRevokeConsent(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.signIn(f.subject)
	spec, err := os.ReadFile("../examples/domains/city-rent-utilities.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ApplySpec(local(), "", spec); err != nil {
		t.Fatal(err)
	}
	g, err := f.svc.GrantConsent(local(), probity.ConsentRequest{Domain: "acme.lending", Grantee: "city.rent-utilities",
		Purpose: "tenancy_application", Until: time.Now().AddDate(0, 3, 0).Format(time.DateOnly), Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	_, page := b.get("/portal")
	mustContain(t, page, "Who may see this score", "city.rent-utilities", `name="id" value="`+g.ID+`"`)
	status, page := b.post("/portal/consents/revoke", url.Values{"domain": {"acme.lending"}, "id": {g.ID}})
	if status != 200 {
		t.Fatalf("revoke = %d", status)
	}
	mustContain(t, page, "The consent is revoked", "revoked "+time.Now().UTC().Format(time.DateOnly))
}

// TestFormsWithoutTheirFields: a hand-made request that lacks a form's
// field gets 400 naming it, not "domain does not exist".
func TestFormsWithoutTheirFields(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.signIn(f.subject)
	for path, want := range map[string]string{"/portal/opt-out": "domain: required", "/portal/disputes": "domain: required", "/portal/consents/revoke": "domain: required"} {
		if status, page := b.post(path, url.Values{}); status != 400 || !strings.Contains(page, want) {
			t.Errorf("POST %s without fields = %d, want 400 with %q", path, status, want)
		}
	}
}

// TestOperatorConsole: the installation's operator, who holds no role in
// any domain, finds what they do and every principal, not "no role".
func TestOperatorConsole(t *testing.T) {
	f := start(t)
	op := f.issue(t, "installation operator", probity.Grant{Role: probity.RoleOperator})
	b := f.browser(t)
	b.signIn(op)
	_, page := b.get("/console")
	mustContain(t, page, "The installation's operator", "probity token create", "ACME disputes desk", "reviewer:acme.lending", "a subject's own token")
	if strings.Contains(page, "holds no role") {
		t.Fatal("the operator's console says the token holds no role")
	}
}

// TestPortalStatement: a person gets a statement of their standing from the
// portal, with the claims they ticked, bound to the key they pasted.
func TestPortalStatement(t *testing.T) {
	f := start(t)
	b := f.browser(t)
	b.signIn(f.subject)
	_, page := b.get("/portal")
	mustContain(t, page, "Get a signed statement of it", `name="claims" value="grade"`)
	const key = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	status, page := b.post("/portal/statements", url.Values{"domain": {"acme.lending"}, "claims": {"grade", "as_of"}, "validity": {"30d"}, "holder_key": {key}})
	if status != 200 {
		t.Fatalf("statement = %d:\n%s", status, page)
	}
	mustContain(t, page, "Your statement", "holding: grade, as_of", `id="sdjwt"`, "~")
	status, page = b.post("/portal/statements", url.Values{"domain": {"acme.lending"}, "claims": {"grade"}})
	if status != 200 || !strings.Contains(page, `id="holderjwk"`) || !strings.Contains(page, `&#34;d&#34;`) {
		t.Fatalf("a statement without a key sent = %d; want one with a key made for the person, shown once:\n%s", status, page)
	}
	if status, page := b.post("/portal/statements", url.Values{"domain": {"acme.lending"}, "holder_key": {"not a key"}}); status != 400 || !strings.Contains(page, "holder_key") {
		t.Fatalf("a key that is not JSON = %d, want 400 naming holder_key", status)
	}
}
