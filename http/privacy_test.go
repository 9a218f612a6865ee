package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

// Domains of the privacy tests: the person alice is rated in two of them,
// and a court issues an order about her.
const (
	rent  = "city.rent-utilities"
	court = "court.civil-judgments"
)

// publicView is everything an anonymous outsider can download.
type publicView struct {
	entries []probity.PublicEntry
	raw     string // every public body, concatenated
}

// downloadPublic fetches, anonymously, every public leaf, the checkpoint,
// the key, the domains and their specs, and the transparency figures.
func downloadPublic(t *testing.T, u string) publicView {
	t.Helper()
	var v publicView
	var b strings.Builder
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(u + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		b.Write(body)
		b.WriteByte('\n')
		return body
	}
	for _, log := range []string{probity.InstallationLog, lending, rent, court} {
		for start := 0; ; start += probity.MaxAuditEntries {
			var page struct {
				Entries []probity.PublicEntry `json:"entries"`
			}
			if err := json.Unmarshal(get(fmt.Sprintf("/v1/audit/entries?log=%s&start=%d", log, start)), &page); err != nil {
				t.Fatal(err)
			}
			v.entries = append(v.entries, page.Entries...)
			if len(page.Entries) < probity.MaxAuditEntries {
				break
			}
		}
		get("/v1/audit/checkpoint?log=" + log)
		get("/v1/audit/key?log=" + log)
	}
	for _, d := range []string{lending, rent, court} {
		get("/v1/domains/" + d)
		get("/v1/domains/" + d + "/disputes/figures")
	}
	get("/v1/domains")
	v.raw = b.String()
	return v
}

// populate applies three domains, reports about alice in two, and has
// alice, a reader and a court clerk do what leaves traces: reads of her own
// record in both domains, a reader's score and decisions, disputes,
// a consent, a court order, her report. It returns what the reads
// disclosed, as the callers received it.
func populate(t *testing.T, u string) (disclosed [][]byte, subjectToken string) {
	t.Helper()
	for _, f := range []string{"acme-lending.yaml", "city-rent-utilities.yaml", "district-court.yaml"} {
		buf, err := os.ReadFile("../examples/domains/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApplySpec(local(), "", buf); err != nil {
			t.Fatal(err)
		}
	}
	ingest(t, lending, lendingEvents+"\n"+`{"key":"late-2025-03","type":"payment_late","subject":"`+alice+`","occurred_at":"2025-03-10","fields":{"days_late":45}}`)
	ingest(t, rent, `{"key":"rent-2025-01","type":"rent_paid","subject":"`+alice+`","occurred_at":"2025-01-05","fields":{"amount":900}}
{"key":"rent-2025-02","type":"rent_missed","subject":"`+alice+`","occurred_at":"2025-02-05","fields":{"amount":900,"days_late":40}}`)
	ingest(t, court, `{"key":"judgment-17","type":"judgment_unpaid","subject":"`+alice+`","occurred_at":"2025-02-01","fields":{"amount":5000}}`)
	st, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	me := "Bearer " + st.Token
	reader := "Bearer " + issue(t, "lending desk", false, probity.Grant{Role: probity.RoleReader, Domain: lending})
	clerk := "Bearer " + issue(t, "court clerk", false, probity.Grant{Role: probity.RoleReporter, Domain: court}, probity.Grant{Role: probity.RoleAdmin, Domain: court})
	// must returns the answer as sent, compacted: the JSON a read's
	// digest was taken over.
	must := func(auth, method, path, body string, want int) []byte {
		t.Helper()
		resp, raw := sendRaw(t, auth, method, u+path, "application/json", body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, raw, want)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		return compact.Bytes()
	}
	for range 2 { // the same read twice: its two leaves must share nothing
		disclosed = append(disclosed, must(reader, "POST", "/v1/domains/"+lending+"/decisions",
			`{"subject":"`+alice+`","benefit":"deposit_waived","purpose":"account_review"}`, 200))
	}
	disclosed = append(disclosed, must(reader, "POST", "/v1/domains/"+lending+"/scores", `{"subject":"`+alice+`","purpose":"credit_application"}`, 200))
	for _, d := range []string{lending, rent} {
		disclosed = append(disclosed, must(me, "POST", "/v1/domains/"+d+"/scores", `{"subject":"`+alice+`"}`, 200))
	}
	must(me, "POST", "/v1/me/disputes", `{"domain":"`+lending+`","key":"late-2025-03","reason":"I paid on time, the bank lost the transfer"}`, 201)
	must(me, "POST", "/v1/me/disputes", `{"domain":"`+rent+`","key":"rent-2025-02","reason":"the landlord agreed a later date"}`, 201)
	must(me, "POST", "/v1/me/consents", `{"domain":"`+lending+`","grantee":"`+rent+`","purpose":"tenancy_application","until":"2030-01-01"}`, 201)
	must(clerk, "POST", "/v1/domains/"+court+"/orders", `{"subject":"`+alice+`","citation":"District Court, case 2026-17","restrictions":["no_new_credit"],"ends_at":"`+time.Now().AddDate(1, 0, 0).Format("2006-01-02")+`"}`, 201)
	must(me, "GET", "/v1/me/report", "", 200)
	return disclosed, st.Token
}

// TestOutsiderConfirmsNothing does what an outsider did against the v1
// log: download every public leaf and the public specs, and try to confirm
// guesses of what each read disclosed and each write stored. The guesses
// include the exact answer the reader received; the attack is shown to
// work on the private records (the control), and confirms nothing from
// what is public.
func TestOutsiderConfirmsNothing(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	disclosed, _ := populate(t, srv.URL())
	pub := downloadPublic(t, srv.URL())

	// The outsider's dictionary: the exact answers, and every score and
	// grade the public spec allows for a decision and a score.
	var guesses []string
	for _, d := range disclosed {
		sum := sha256.Sum256(d)
		guesses = append(guesses, hex.EncodeToString(sum[:]))
	}
	for score := 300; score <= 900; score++ {
		for _, grade := range []string{"A", "B", "C", "D"} {
			for _, allowed := range []bool{true, false} {
				guesses = append(guesses, audit.ReadDigest(map[string]any{"benefit": "deposit_waived", "allowed": allowed, "status": "rated", "score": score, "grade": grade}))
			}
		}
	}
	confirmable := map[string]bool{}
	for _, g := range guesses {
		confirmable[g] = true
		sum, _ := hex.DecodeString(g)
		confirmable[hex.EncodeToString(sum)] = true
		again := sha256.Sum256(sum) // a digest hashed once more
		confirmable[hex.EncodeToString(again[:])] = true
	}

	// The control: the private records do hold digests the dictionary
	// confirms, so the attack is real.
	controls := 0
	err := store.View(context.Background(), func(tx probity.ReadTx) error {
		return eachLeaf(tx, func(e *probity.AuditEntry) error {
			if confirmable[e.Digest] {
				controls++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if controls < len(disclosed) {
		t.Fatalf("the dictionary confirms %d private records, want at least %d: the attack itself is broken", controls, len(disclosed))
	}

	// The strongest outsider knows everything a record holds but the
	// disclosed digest (who read, whom, why: side knowledge) and tries the
	// dictionary against each read's commitment, with any salt it could
	// guess (none, zeros). Only the random salt stops it.
	records := map[string]probity.AuditLeaf{}
	err = store.View(context.Background(), func(tx probity.ReadTx) error {
		return eachLeaf(tx, func(e *probity.AuditEntry) error {
			if e.Action == probity.ActionDecisionRead || e.Action == probity.ActionScoreRead {
				records[e.Data] = e.AuditLeaf
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pub.entries {
		r, ok := records[e.Data]
		if !ok {
			continue
		}
		for _, g := range guesses {
			r.Digest = g
			rec := r.Record()
			for _, salt := range [][]byte{nil, make([]byte, probity.SaltSize)} {
				if c := probity.Commitment(salt, rec); hex.EncodeToString(c[:]) == e.Commitment {
					t.Fatalf("leaf %d: the commitment is confirmed by guessing its record with salt %x", e.Index, salt)
				}
			}
		}
	}

	for _, e := range pub.entries {
		for _, field := range strings.Split(e.Data, "\t") {
			if confirmable[field] {
				t.Errorf("leaf %d: public field %q confirms a guess", e.Index, field)
			}
		}
		if confirmable[e.Commitment] {
			t.Errorf("leaf %d: its commitment confirms a guess", e.Index)
		}
	}
	for g := range confirmable {
		if strings.Contains(pub.raw, g) {
			t.Errorf("a public document holds the guessed digest %s", g)
		}
	}

	// Two identical reads: unrelated commitments.
	var decisions []probity.PublicEntry
	for _, e := range pub.entries {
		if e.Action == probity.ActionDecisionRead {
			decisions = append(decisions, e)
		}
	}
	if len(decisions) != 2 {
		t.Fatalf("%d decision leaves, want 2", len(decisions))
	}
	a, _ := hex.DecodeString(decisions[0].Commitment)
	b, _ := hex.DecodeString(decisions[1].Commitment)
	same := 0
	for i := range a {
		same += 8 - bits.OnesCount8(a[i]^b[i])
	}
	if same > 170 { // of 256 bits, unrelated values agree on about 128
		t.Errorf("two identical reads have commitments %x and %x agreeing on %d of 256 bits", a, b, same)
	}
	if got := strings.Join(strings.Fields(fmt.Sprint(decisions[0].Data, decisions[1].Data)), " "); strings.Count(got, decisions[0].Commitment) != 1 {
		t.Errorf("the commitment of one read appears in the other's leaf")
	}
}

// TestPublicLogLinksNoOne checks P1 and P8 together: alice's reads in two
// domains, her disputes, consent and court order leave no common value in
// anything public, and nothing public holds her token's id, her
// pseudonyms or an event key.
func TestPublicLogLinksNoOne(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	_, token := populate(t, srv.URL())
	pub := downloadPublic(t, srv.URL())
	if len(pub.entries) < 20 {
		t.Fatalf("%d public leaves, want the populated log", len(pub.entries))
	}

	// What would link her: her token's principal id (the actor of her
	// reads), her pseudonym in each domain, event and dispute keys.
	parts := strings.Split(token, "_")
	secrets := map[string]string{"her token's id": parts[2]}
	err := store.View(context.Background(), func(tx probity.ReadTx) error {
		return eachLeaf(tx, func(e *probity.AuditEntry) error {
			if e.Subject != nil {
				secrets["pseudonym in "+e.Domain] = e.Subject.String()
			}
			if len(e.Ref) >= 6 { // shorter ones occur anywhere by chance
				secrets["reference "+e.Ref] = e.Ref
			}
			if strings.HasPrefix(e.Actor, "subject:") {
				secrets["her actor id"] = e.Actor
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := secrets["her actor id"]; !ok {
		t.Fatal("no leaf records her own reads: the test exercises nothing")
	}
	for name, s := range secrets {
		if strings.Contains(pub.raw, s) {
			t.Errorf("a public document holds %s (%q)", name, s)
		}
	}

	// No value repeats across public leaves but the format, the log's
	// name, the action and the time: nothing ties two leaves together.
	seen := map[string]string{}
	for _, e := range pub.entries {
		f := strings.Split(e.Data, "\t")
		if len(f) != 6 {
			t.Fatalf("leaf %d has %d fields, want 6 (format, log, index, time, action, commitment)", e.Index, len(f))
		}
		if f[0] != probity.LeafFormat || f[1] != e.Log || len(f[5]) != 64 {
			t.Fatalf("leaf %d = %q", e.Index, e.Data)
		}
		if at, err := time.Parse(time.RFC3339, e.At.Format(time.RFC3339)); err != nil || at.Nanosecond() != 0 {
			t.Fatalf("leaf %d time %v, want whole seconds", e.Index, e.At)
		}
		if prev, ok := seen[f[5]]; ok {
			t.Errorf("leaves %s and %s/%d share commitment %s", prev, e.Log, e.Index, f[5])
		}
		seen[f[5]] = fmt.Sprintf("%s/%d", e.Log, e.Index)
	}
}

// eachLeaf calls fn for every stored leaf of every log.
func eachLeaf(tx probity.ReadTx, fn func(*probity.AuditEntry) error) error {
	logs, err := tx.Logs()
	if err != nil {
		return err
	}
	for _, l := range logs {
		if err := tx.Leaves(l.Name, 0, l.Size, fn); err != nil {
			return err
		}
	}
	return nil
}
