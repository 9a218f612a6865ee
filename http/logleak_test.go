package http_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	phttp "github.com/probity-dev/probity/http"
)

// planted is an opaque identifier no log line could hold by chance.
const planted = "person:PLANTED-ID-7731"

// TestLogsHoldNoIdentifierOrToken calls every route, on its happy and its
// error paths, with identifiers in bodies and query strings and tokens in
// headers, and checks that neither the server's log, the access log nor the
// process-wide loggers ever hold an identifier or a token.
func TestLogsHoldNoIdentifierOrToken(t *testing.T) {
	logs := &lockedBuffer{}
	captureProcessLogs(t, logs)
	srv, db := startServerWith(t, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), phttp.DefaultRate)
	applyDomains(t)
	tok := leakTokens(t)
	secrets := []string{"PLANTEDTOKEN", "PLANTEDBASIC"}
	for _, token := range tok {
		secrets = append(secrets, tokenSecrets(token)...)
	}
	sent := 0
	do := func(auth, method, path, contentType, body string) map[string]any {
		t.Helper()
		sent++
		_, resp := send(t, auth, method, srv.URL()+path, contentType, body)
		if issued, ok := resp["token"].(string); ok {
			secrets = append(secrets, tokenSecrets(issued)...)
		}
		return resp
	}
	for _, r := range leakRequests(t, tok) {
		do(r.auth, r.method, r.path, r.contentType, r.body)
	}
	sent++
	dropEventsMidway(t, srv.URL(), tok["reporter"])
	waitFor(t, logs, "client went away", 1) // logged with its error, which must not leak either

	// A store that fails under the running server: every route now takes
	// its internal-error path, which logs the error with detail.
	db.Close()
	for _, auth := range []string{"", tok["reader"], tok["operator"], "Bearer " + tok["malformed"]} {
		do(auth, "POST", "/v1/domains/"+lending+"/scores", "application/json", `{"subject":"`+alice+`","purpose":"credit_application"}`)
		do(auth, "POST", "/v1/domains/"+lending+"/events", "application/x-ndjson", leakEvent("late", alice))
		do(auth, "POST", "/v1/subject-tokens", "application/json", `{"subject":"`+planted+`"}`)
		do(auth, "GET", "/v1/principals", "", "")
	}
	waitFor(t, logs, "msg=request", sent)
	out := logs.String()
	if testing.Verbose() {
		t.Logf("internal errors logged:\n%s", linesWith(out, "internal error"))
	}
	// the anonymous and malformed callers' refusals are counted in memory
	// (one leaf a minute per source), so only the principals reach the store
	if got := strings.Count(out, "msg=\"internal error\""); got < 1 { // the upload dropped midway is a client that went away, not one
		t.Errorf("%d internal errors logged, want at least 1: the closed store did not reach the error path", got)
	}
	for _, s := range append(identifierForms(alice, company, planted, "cn-rid:11010519491231002Y"), secrets...) {
		if strings.Contains(out, s) {
			t.Errorf("the logs hold %q:\n%s", s, linesWith(out, s))
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, "msg=request") && (!strings.Contains(line, "status=") || !strings.Contains(line, "actor=")) {
			t.Errorf("access log line without status or actor: %s", line)
		}
		if strings.Contains(line, "subject:") {
			t.Errorf("access log line names a subject's token, which would tie their requests together across domains: %s", line)
		}
	}
}

// leakTokens issues a token of each kind the routes need, revokes one, and
// returns them as Authorization headers (the malformed one as a bare token).
func leakTokens(t *testing.T) map[string]string {
	t.Helper()
	grant := func(role, domain string) probity.Grant { return probity.Grant{Role: role, Domain: domain} }
	revoked, err := svc.CreatePrincipal(local(), probity.PrincipalRequest{Name: "revoked", Grants: []probity.Grant{grant(probity.RoleReader, lending)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevokePrincipal(local(), revoked.Principal.ID); err != nil {
		t.Fatal(err)
	}
	subject, err := svc.IssueSubjectToken(local(), probity.SubjectTokenRequest{Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	b := func(token string) string { return "Bearer " + token }
	return map[string]string{
		"operator":  b(issue(t, "operator", false, grant(probity.RoleOperator, ""))),
		"admin":     b(issue(t, "lending admin", false, grant(probity.RoleAdmin, lending))),
		"reporter":  b(issue(t, "lending reporter", false, grant(probity.RoleReporter, lending))),
		"reader":    b(issue(t, "lending reader", false, grant(probity.RoleReader, lending))),
		"tax":       b(issue(t, "tax reader", true, grant(probity.RoleReader, tax))),
		"revoked":   b(revoked.Token),
		"subject":   b(subject.Token),
		"malformed": "prb_PLANTEDTOKEN0099_" + strings.Repeat("ef", 32),
		"basic":     "Basic PLANTEDBASIC",
	}
}

type leakRequest struct {
	auth, method, path, contentType, body string
}

// leakRequests is every route with identifiers in its body or query and a
// token in its header, on happy and error paths.
func leakRequests(t *testing.T, tok map[string]string) []leakRequest {
	t.Helper()
	score := func(subject, purpose string) string {
		return `{"subject":"` + subject + `","purpose":"` + purpose + `"}`
	}
	decision := func(subject, benefit string) string {
		return `{"subject":"` + subject + `","benefit":"` + benefit + `","purpose":"account_review"}`
	}
	q := "?subject=" + url.QueryEscape(alice) + "&token=" + url.QueryEscape(tok["reader"][7:])
	scores, decisions, events := "/v1/domains/"+lending+"/scores", "/v1/domains/"+lending+"/decisions", "/v1/domains/"+lending+"/events"
	jsonType, ndjson := "application/json", "application/x-ndjson"
	badSpec := strings.Replace(string(lendingSpec(t)), "category: finance", "category: "+alice, 1)
	var out []leakRequest
	for _, auth := range []string{"", tok["reader"], tok["subject"], tok["revoked"], "Bearer " + tok["malformed"], tok["basic"]} {
		out = append(out,
			leakRequest{auth, "GET", "/healthz" + q, "", ""},
			leakRequest{auth, "GET", "/v1/domains" + q, "", ""},
			leakRequest{auth, "GET", "/v1/domains/" + lending + q, "", ""},
			leakRequest{auth, "GET", "/v1/audit/checkpoint" + q, "", ""},
			leakRequest{auth, "GET", "/v1/audit/entries?start=0&subject=" + url.QueryEscape(alice), "", ""},
			leakRequest{auth, "GET", "/v1/audit/proofs/inclusion?index=0&size=1" + strings.Replace(q, "?", "&", 1), "", ""},
			leakRequest{auth, "GET", "/v1/audit/proofs/consistency?from=1&to=x" + strings.Replace(q, "?", "&", 1), "", ""},
			leakRequest{auth, "GET", "/v1/audit/key" + q, "", ""},
			leakRequest{auth, "POST", scores + q, jsonType, score(alice, "credit_application")},
			leakRequest{auth, "POST", decisions, jsonType, decision(alice, "deposit_waived")},
			leakRequest{auth, "POST", events, ndjson, leakEvent("a1", alice)},
			leakRequest{auth, "POST", "/v1/subject-tokens", jsonType, `{"subject":"` + alice + `"}`},
			leakRequest{auth, "GET", "/v1/nothing" + q, "", ""},
		)
	}
	return append(out,
		leakRequest{tok["admin"], "PUT", "/v1/domains/" + lending, "application/yaml", string(lendingSpec(t))},
		leakRequest{tok["admin"], "PUT", "/v1/domains/" + lending, "application/yaml", badSpec},
		leakRequest{tok["operator"], "PUT", "/v1/domains/" + tax, "application/yaml", strings.Replace(string(taxSpec(t)), "id: "+tax, "id: "+company, 1)},
		leakRequest{tok["reporter"], "POST", events, ndjson, leakEvent("r1", alice) + "\n" + leakEvent("r2", strings.ToLower(planted))},
		leakRequest{tok["reporter"], "POST", events, ndjson, leakEvent("r1", alice)},
		leakRequest{tok["reporter"], "POST", events, ndjson, leakEvent("r3", "cn-rid:11010519491231002Y") + "\n" + `{"key":"` + alice + `","type":"nope","subject":"` + alice + `"}`},
		leakRequest{tok["reporter"], "POST", events + "?skip_invalid=true", ndjson, leakEvent("r4", planted) + "\n" + `{"key":"r5","type":"loan_repaid","subject":"` + alice + `","occurred_at":"someday"}`},
		leakRequest{tok["reporter"], "POST", events, "text/csv", "key,type,subject,occurred_at,cures,amount\nc1,loan_repaid," + alice + ",2025-03-10,,50\nc2,loan_repaid," + alice + ",never,,x\n"},
		leakRequest{tok["reporter"], "POST", events, "text/csv", "key,type," + alice + "\n"},
		leakRequest{tok["reader"], "POST", scores, jsonType, score(alice, "credit_application")},
		leakRequest{tok["reader"], "POST", scores, jsonType, score(strings.ToLower(alice), "account_review")},
		leakRequest{tok["reader"], "POST", scores, jsonType, score(planted, "collection")},
		leakRequest{tok["reader"], "POST", scores, jsonType, score("cn-rid:11010519491231002Y", "collection")},
		leakRequest{tok["reader"], "POST", scores, jsonType, score("ssn:"+alice[7:], "collection")},
		leakRequest{tok["reader"], "POST", scores, jsonType, score(alice, "")},
		leakRequest{tok["reader"], "POST", scores, jsonType, score(alice, "gossip")},
		leakRequest{tok["reader"], "POST", scores, jsonType, `{"subject":"` + alice + `","as_of":"` + alice + `"}`},
		leakRequest{tok["reader"], "POST", scores, jsonType, `{"subject":"` + alice + `","` + alice + `":1}`},
		leakRequest{tok["reader"], "POST", scores, jsonType, `{"subject":"` + alice + strings.Repeat(" ", phttp.MaxRequestBytes) + `"}`},
		leakRequest{tok["reader"], "POST", decisions, jsonType, decision(alice, "deposit_waived")},
		leakRequest{tok["reader"], "POST", decisions, jsonType, decision(alice, "free_money")},
		leakRequest{tok["reader"], "POST", decisions, jsonType, decision(planted, "")},
		leakRequest{tok["tax"], "POST", "/v1/domains/" + tax + "/scores", jsonType, score(company, "tax_audit_selection")},
		leakRequest{tok["tax"], "POST", "/v1/domains/" + tax + "/scores", jsonType, score(alice, "tax_audit_selection")},
		leakRequest{tok["tax"], "POST", "/v1/domains/" + tax + "/decisions", jsonType, `{"subject":"` + company + `","benefit":"public_procurement","purpose":"procurement_eligibility"}`},
		leakRequest{tok["operator"], "POST", "/v1/subject-tokens", jsonType, `{"subject":"` + alice + `"}`},
		leakRequest{tok["operator"], "POST", "/v1/subject-tokens", jsonType, `{"subject":"` + planted + `"}`},
		leakRequest{tok["operator"], "POST", "/v1/subject-tokens", jsonType, `{"subject":"cn-rid:11010519491231002Y"}`},
		leakRequest{tok["operator"], "POST", "/v1/subject-tokens", jsonType, `{"subject":"` + alice + `","expires_at":"2001-01-01T00:00:00Z"}`},
		leakRequest{tok["operator"], "POST", "/v1/principals", jsonType, `{"name":"new reader","grants":[{"role":"reader","domain":"` + lending + `"}]}`},
		leakRequest{tok["admin"], "POST", "/v1/principals", jsonType, `{"name":"new reader","grants":[{"role":"reader","domain":"` + tax + `"}]}`},
		leakRequest{tok["operator"], "GET", "/v1/principals", "", ""},
		leakRequest{tok["admin"], "GET", "/v1/principals", "", ""},
		leakRequest{tok["operator"], "DELETE", throwaway(lending)(t), "", ""},
		leakRequest{tok["reader"], "DELETE", throwaway(lending)(t), "", ""},
		// Callers' mistakes: an identifier where a domain goes, a token
		// where a principal's id goes.
		leakRequest{tok["reader"], "GET", "/v1/domains/" + url.PathEscape(alice), "", ""},
		leakRequest{tok["operator"], "DELETE", "/v1/principals/" + strings.TrimPrefix(tok["reader"], "Bearer "), "", ""},
	)
}

func leakEvent(key, subject string) string {
	return `{"key":"` + key + `","type":"loan_repaid","subject":"` + subject + `","occurred_at":"2025-03-10","fields":{"amount":50}}`
}

// dropEventsMidway sends part of a chunked events upload and hangs up, so
// that the server fails reading the body: an internal error, logged.
func dropEventsMidway(t *testing.T, base, auth string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	line := leakEvent("m1", alice) + "\n" + `{"key":"m2","subject":"` + alice
	fmt.Fprintf(conn, "POST /v1/domains/%s/events HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n",
		lending, auth, len(line), line)
	time.Sleep(100 * time.Millisecond)
	conn.Close()
}

// tokenSecrets returns what of an Authorization header must never be
// logged: the token, and each part after its id (the secret, and a
// subject token's sealed identifier). The id is the principal's id, which
// the access log names.
func tokenSecrets(auth string) []string {
	token := strings.TrimPrefix(auth, "Bearer ")
	out := []string{token}
	if parts := strings.SplitN(token, "_", 4); len(parts) >= 3 {
		out = append(out, parts[2:]...)
	}
	return out
}

// identifierForms returns each identifier as written, in lower and upper
// case, and without its scheme.
func identifierForms(ids ...string) []string {
	var out []string
	for _, id := range ids {
		_, value, _ := strings.Cut(id, ":")
		for _, s := range []string{id, value} {
			out = append(out, s, strings.ToLower(s), strings.ToUpper(s))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// linesWith returns the lines of logs that contain s.
func linesWith(logs, s string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			out = append(out, sc.Text())
		}
	}
	return strings.Join(out, "\n")
}

// waitFor waits until logs hold n lines with s: a line is written after
// its response is sent.
func waitFor(t *testing.T, logs *lockedBuffer, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the logs hold %d lines with %q, want %d:\n%s", strings.Count(logs.String(), s), s, n, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// captureProcessLogs sends the process-wide slog and log output to w until
// the test ends.
func captureProcessLogs(t *testing.T, w *lockedBuffer) {
	t.Helper()
	oldSlog, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() {
		slog.SetDefault(oldSlog)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	})
}

// lockedBuffer is a buffer the server's goroutines may write while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
