package http_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
	"github.com/probity-dev/probity/bureau/bureautest"
	phttp "github.com/probity-dev/probity/http"
	"github.com/probity-dev/probity/identity"
	"github.com/probity-dev/probity/sqlstore"
	"github.com/probity-dev/probity/storetest"
)

// plantServer is a server over a fresh store whose data directory the test
// keeps, to read every byte of it afterwards.
type plantServer struct {
	url string
	dir string
	db  *sqlstore.DB
	srv *phttp.Server
	b   *bureau.Bureau
}

func startPlantServer(tb testing.TB) *plantServer {
	tb.Helper()
	dir := tb.TempDir()
	db, err := storetest.OpenDir(tb, context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := bureautest.New(tb, dir, db)
	srv := phttp.NewServer(b, nil)
	srv.Rate = 0
	if err := srv.Open("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	p := &plantServer{url: srv.URL(), dir: dir, db: db, srv: srv, b: b}
	tb.Cleanup(p.close)
	return p
}

func (p *plantServer) close() {
	if p.srv != nil {
		p.srv.Close(context.Background())
		p.db.Close()
		p.srv = nil
	}
}

// token creates a principal with the grants and returns its bearer header.
func (p *plantServer) token(tb testing.TB, name string, grants ...probity.Grant) string {
	tb.Helper()
	t, err := p.b.CreatePrincipal(local(), probity.PrincipalRequest{Name: name, Grants: grants})
	if err != nil {
		tb.Fatal(err)
	}
	return "Bearer " + t.Token
}

// do sends a request as auth and returns the status and the JSON answer.
func (p *plantServer) do(tb testing.TB, auth, method, path, contentType, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", auth)
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("%s %s: status %d, body %q is not a JSON object", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// must sends a request that has to succeed with status want.
func (p *plantServer) must(tb testing.TB, want int, auth, method, path, contentType, body string) map[string]any {
	tb.Helper()
	status, out := p.do(tb, auth, method, path, contentType, body)
	if status != want {
		tb.Fatalf("%s %s = %d %v, want %d", method, path, status, out, want)
	}
	return out
}

// plant is an identifier written into a field.
type plant struct {
	name   string // what it is, for messages
	text   string // as written into the field
	scheme bool   // it is an opaque identifier, told only by its scheme
}

// plants returns the identifiers planted in every field: a valid one of
// each scheme, and the subject's own (alice) in several spellings.
func plants(tb testing.TB) []plant {
	tb.Helper()
	usccFirst17 := "91110108MA0123456"
	other := "uscc:" + usccFirst17 + string(identity.USCCCheck(usccFirst17))
	for _, id := range []string{other, "cn-rid:440305199001011248"} {
		if _, err := identity.Parse(id); err != nil {
			tb.Fatal(err)
		}
	}
	return []plant{
		{"another person's cn-rid", "cn-rid:440305199001011248", false},
		{"another person's cn-rid, spaced", "4403 0519 9001 0112 48", false},
		{"another company's uscc", other, false},
		{"another company's uscc, lower case", strings.ToLower(other[len("uscc:"):]), false},
		{"a person: identifier", "person:planted-person-7781", true},
		{"an org: identifier", "org:planted-org-4410", true},
		{"a gov: identifier", "gov:planted-gov-3312", true},
		{"the subject's own, dashed", "110105-19491231-002X", false},
		{"the subject's own, spaced", "1101 0519 4912 3100 2X", false},
		{"the subject's own, lower case", "11010519491231002x", false},
		{"the subject's own, without check digit", "11010519491231002", false},
	}
}

// asName writes a plant as a restriction name ([a-z][a-z0-9_]*), so that
// the screen, not the name's syntax, is what refuses it.
func asName(s string) string {
	var b strings.Builder
	b.WriteString("r_")
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// asKey writes a plant as an event key (printable ASCII without spaces).
func asKey(s string) string { return "k-" + strings.ReplaceAll(s, " ", "-") }

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestScreenPlantedIdentifiers (P1) plants identifiers of every scheme, and
// the subject's own in several spellings, into every free-text field and
// key of every route that takes one, checks that each is refused with 400
// naming the field, then reads every byte the store holds (every file of
// the data directory, WAL included, or on PostgreSQL every row of every
// table) and finds none of them, as written or normalised.
func TestScreenPlantedIdentifiers(t *testing.T) {
	p := startPlantServer(t)
	const (
		lending   = "acme.lending"
		court     = "court.civil-judgments"
		integrity = "gov.public-integrity"
		jsonType  = "application/json"
		ndjson    = "application/x-ndjson"
		yamlType  = "application/yaml"
	)
	operator := p.token(t, "operator", probity.Grant{Role: probity.RoleOperator})
	lendingSpec := strings.Replace(string(lendingSpec(t)), "    points: \"0.0\"\n    code: S01", "    fields: {note: string}\n    points: \"0.0\"\n    code: S01", 1)
	if !strings.Contains(lendingSpec, "note: string") {
		t.Fatal("the lending spec changed: cannot give payment_settled a text field")
	}
	readSpec := func(name string) string {
		buf, err := os.ReadFile("../examples/domains/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf)
	}
	p.must(t, 201, operator, "PUT", "/v1/domains/"+lending, yamlType, lendingSpec)
	p.must(t, 201, operator, "PUT", "/v1/domains/"+court, yamlType, readSpec("district-court.yaml"))
	p.must(t, 201, operator, "PUT", "/v1/domains/"+integrity, yamlType, readSpec("public-integrity.yaml"))
	desk := p.token(t, "lending desk", probity.Grant{Role: probity.RoleAdmin, Domain: lending}, probity.Grant{Role: probity.RoleReporter, Domain: lending},
		probity.Grant{Role: probity.RoleReader, Domain: lending}, probity.Grant{Role: probity.RoleReviewer, Domain: lending})
	clerk := p.token(t, "court clerk", probity.Grant{Role: probity.RoleReporter, Domain: court})
	auditor := p.token(t, "audit office", probity.Grant{Role: probity.RoleAdmin, Domain: integrity})
	issued := p.must(t, 201, operator, "POST", "/v1/subject-tokens", jsonType, `{"subject":"`+alice+`"}`)
	subject := "Bearer " + issued["token"].(string)

	event := func(key, typ, occurred, cures, fields string) string {
		e := `{"key":` + jsonText(key) + `,"type":"` + typ + `","subject":"` + alice + `","occurred_at":"` + occurred + `"`
		if cures != "" {
			e += `,"cures":` + jsonText(cures)
		}
		return e + `,"fields":` + fields + `}`
	}
	p.must(t, 200, desk, "POST", "/v1/domains/"+lending+"/events", ndjson,
		event("repaid-1", "loan_repaid", "2025-01-10", "", `{"amount":12000}`)+"\n"+
			event("late-1", "payment_late", "2025-03-10", "", `{"days_late":40}`)+"\n")
	dispute := p.must(t, 201, subject, "POST", "/v1/me/disputes", jsonType, `{"domain":"`+lending+`","key":"repaid-1","reason":"not my loan"}`)
	disputeID := dispute["id"].(string)

	type route struct {
		name  string
		field string // the field the refusal must name
		send  func(text string) (int, map[string]any)
		// names: the field takes names ([a-z][a-z0-9_]*), which cannot
		// write a scheme: only the plants that are more than a scheme go in.
		names bool
		// status is the refusal's, when not 400: a reference to something
		// that does not exist (a consent's grantee, a domain) is 404.
		status int
	}
	specWith := func(old, new string) string {
		if !strings.Contains(lendingSpec, old) {
			t.Fatalf("the lending spec lacks %q", old)
		}
		return strings.Replace(lendingSpec, old, new, 1)
	}
	ingest := func(line string) (int, map[string]any) {
		return p.do(t, desk, "POST", "/v1/domains/"+lending+"/events", ndjson, line+"\n")
	}
	routes := []route{
		{"spec name", "name", func(s string) (int, map[string]any) {
			return p.do(t, operator, "PUT", "/v1/domains/"+lending, yamlType, specWith("name: ACME Bank consumer and business lending", "name: "+jsonText("ACME "+s)))
		}, false, 0},
		{"spec owner", "owner", func(s string) (int, map[string]any) {
			return p.do(t, operator, "PUT", "/v1/domains/"+lending, yamlType, specWith("owner: ACME Bank", "owner: "+jsonText(s)))
		}, false, 0},
		{"spec legal_basis", "legal_basis", func(s string) (int, map[string]any) {
			return p.do(t, operator, "PUT", "/v1/domains/"+lending, yamlType,
				specWith("legal_basis: Loan agreements between ACME Bank and its borrowers (contract)", "legal_basis: "+jsonText("Loan agreements with "+s)))
		}, false, 0},
		{"spec event reason", "events[1].reason", func(s string) (int, map[string]any) {
			return p.do(t, operator, "PUT", "/v1/domains/"+lending, yamlType, specWith("reason: Late payments", "reason: "+jsonText("Late payments "+s)))
		}, false, 0},
		{"event key", "key", func(s string) (int, map[string]any) {
			return ingest(event(asKey(s), "loan_repaid", "2025-02-10", "", `{"amount":100}`))
		}, false, 0},
		{"event cures", "cures", func(s string) (int, map[string]any) {
			return ingest(event("settle-1", "payment_settled", "2025-03-20", s, `{"note":"paid"}`))
		}, false, 0},
		{"event text field", "fields.note", func(s string) (int, map[string]any) {
			return ingest(event("settle-2", "payment_settled", "2025-03-20", "late-1", `{"note":`+jsonText("paid, "+s)+`}`))
		}, false, 0},
		{"retraction reason", "reason", func(s string) (int, map[string]any) {
			return p.do(t, desk, "POST", "/v1/domains/"+lending+"/retractions", jsonType, `{"key":"late-1","reason":`+jsonText("sent for "+s)+`}`)
		}, false, 0},
		{"correction reason", "reason", func(s string) (int, map[string]any) {
			return p.do(t, desk, "POST", "/v1/domains/"+lending+"/corrections", jsonType,
				`{"key":"late-1","reason":`+jsonText("days were wrong for "+s)+`,"event":`+event("late-1b", "payment_late", "2025-03-10", "", `{"days_late":4}`)+`}`)
		}, false, 0},
		{"correction key", "correction: key", func(s string) (int, map[string]any) {
			return p.do(t, desk, "POST", "/v1/domains/"+lending+"/corrections", jsonType,
				`{"key":"late-1","reason":"days were wrong","event":`+event(asKey(s), "payment_late", "2025-03-10", "", `{"days_late":4}`)+`}`)
		}, false, 0},
		{"dispute reason", "reason", func(s string) (int, map[string]any) {
			return p.do(t, subject, "POST", "/v1/me/disputes", jsonType, `{"domain":"`+lending+`","key":"late-1","reason":`+jsonText("I am "+s)+`}`)
		}, false, 0},
		{"resolution reason", "reason", func(s string) (int, map[string]any) {
			return p.do(t, desk, "POST", "/v1/domains/"+lending+"/disputes/"+disputeID+"/resolve", jsonType, `{"outcome":"rejected","reason":`+jsonText("signed by "+s)+`}`)
		}, false, 0},
		{"official's office", "office", func(s string) (int, map[string]any) {
			return p.do(t, auditor, "POST", "/v1/domains/"+integrity+"/officials", jsonType, `{"subject":"`+alice+`","office":`+jsonText("mayor "+s)+`,"from":"2024-01-01"}`)
		}, false, 0},
		{"order citation", "citation", func(s string) (int, map[string]any) {
			return p.do(t, clerk, "POST", "/v1/domains/"+court+"/orders", jsonType,
				`{"subject":"`+alice+`","citation":`+jsonText("Case 17 against "+s)+`,"restrictions":["no_new_credit"],"ends_at":"2027-06-01"}`)
		}, false, 0},
		{"order restriction", "restrictions[0]", func(s string) (int, map[string]any) {
			return p.do(t, clerk, "POST", "/v1/domains/"+court+"/orders", jsonType,
				`{"subject":"`+alice+`","citation":"Case 17","restrictions":[`+jsonText(asName(s))+`],"ends_at":"2027-06-01"}`)
		}, true, 0},
		{"restriction check", "restriction", func(s string) (int, map[string]any) {
			return p.do(t, desk, "POST", "/v1/restrictions/check", jsonType, `{"subject":"`+alice+`","restriction":`+jsonText(asName(s))+`,"purpose":"credit_application"}`)
		}, true, 0},
		{"principal name", "name", func(s string) (int, map[string]any) {
			return p.do(t, operator, "POST", "/v1/principals", jsonType, `{"name":`+jsonText("desk of "+s)+`,"grants":[]}`)
		}, false, 0},
		{"consent grantee", "grantee", func(s string) (int, map[string]any) {
			return p.do(t, subject, "POST", "/v1/me/consents", jsonType, `{"domain":"`+lending+`","grantee":`+jsonText(s)+`,"purpose":"enforcement","until":"2027-01-01"}`)
		}, false, 404},
		{"consent purpose", "purpose", func(s string) (int, map[string]any) {
			return p.do(t, subject, "POST", "/v1/me/consents", jsonType, `{"domain":"`+lending+`","grantee":"`+court+`","purpose":`+jsonText(s)+`,"until":"2027-01-01"}`)
		}, false, 0},
	}
	ps := plants(t)
	for _, r := range routes {
		for _, pl := range ps {
			if r.names && pl.scheme {
				continue
			}
			status, body := r.send(pl.text)
			msg := errMessage(body)
			if summary, ok := body["summary"].(map[string]any); ok {
				if errs, _ := summary["errors"].([]any); len(errs) == 1 {
					msg = errs[0].(map[string]any)["message"].(string)
				}
			}
			want := 400
			if r.status != 0 {
				want = r.status
			}
			if status != want || !strings.HasPrefix(msg, r.field+":") {
				t.Errorf("%s holding %s: %d %q, want %d naming %s", r.name, pl.name, status, msg, want, r.field)
			}
		}
	}

	// The same routes take clean text: the refusals were the screen's, and
	// the scan below reads what the store holds.
	const marker = "clean-marker-5521"
	p.must(t, 200, desk, "POST", "/v1/domains/"+lending+"/events", ndjson,
		event(marker, "payment_settled", "2025-03-20", "late-1", `{"note":"paid by bank transfer `+marker+`"}`)+"\n")
	clean := p.must(t, 201, subject, "POST", "/v1/me/disputes", jsonType, `{"domain":"`+lending+`","key":"late-1","reason":"I paid in time `+marker+`"}`)
	p.must(t, 200, desk, "POST", "/v1/domains/"+lending+"/disputes/"+clean["id"].(string)+"/resolve", jsonType, `{"outcome":"rejected","reason":"the payment was late `+marker+`"}`)
	p.must(t, 201, auditor, "POST", "/v1/domains/"+integrity+"/officials", jsonType, `{"subject":"`+alice+`","office":"mayor `+marker+`","from":"2024-01-01"}`)

	forms := plantForms(ps)
	if storetest.Backend() == "postgres" {
		dump := dumpTables(t, storetest.DirDSN(t, p.dir))
		if !bytes.Contains(dump, []byte(marker)) {
			t.Fatal("the database dump lacks the clean marker: the scan reads nothing")
		}
		scanBytes(t, "the database", dump, forms)
	} else {
		if info, err := os.Stat(filepath.Join(p.dir, "probity.db-wal")); err != nil || info.Size() == 0 {
			t.Fatalf("no WAL while the store is open: %v", err)
		}
		if !scanDir(t, p.dir, forms) {
			t.Fatal("no file of the data directory holds the clean marker: the scan reads nothing")
		}
	}
	p.close()
	scanDir(t, p.dir, forms)
}

// plantForms returns each plant as written, in either case, and
// normalised (upper case, separators dropped).
func plantForms(ps []plant) map[string]string {
	out := map[string]string{}
	for _, pl := range ps {
		norm := strings.Map(func(r rune) rune {
			if strings.ContainsRune(" -._/:", r) {
				return -1
			}
			return r
		}, strings.ToUpper(pl.text))
		for form, s := range map[string]string{"as written": pl.text, "lower case": strings.ToLower(pl.text),
			"upper case": strings.ToUpper(pl.text), "normalised": norm, "normalised, lower case": strings.ToLower(norm)} {
			out[pl.name+" ("+form+")"] = s
		}
	}
	return out
}

func scanBytes(t *testing.T, where string, buf []byte, forms map[string]string) {
	t.Helper()
	for name, s := range forms {
		if bytes.Contains(buf, []byte(s)) {
			t.Errorf("%s holds %s", where, name)
		}
	}
}

// scanDir scans every file under dir and reports whether one held the
// clean marker.
func scanDir(t *testing.T, dir string, forms map[string]string) bool {
	t.Helper()
	marked := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		marked = marked || bytes.Contains(buf, []byte("clean-marker-5521"))
		scanBytes(t, path, buf, forms)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return marked
}

// dumpTables returns every row of every table of the database, as text and
// with each byte column's raw bytes.
func dumpTables(t *testing.T, dsn string) []byte {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var out bytes.Buffer
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					out.Write(b)
				}
				fmt.Fprintf(&out, "\t%v", v)
			}
			out.WriteByte('\n')
		}
		rows.Close()
	}
	return out.Bytes()
}
