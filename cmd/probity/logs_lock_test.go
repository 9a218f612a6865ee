package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/storetest"
)

// TestDomainsDoNotWait: on PostgreSQL, a writer locks only the log it
// appends to. With one domain's log locked from outside (as a long write
// of that domain would hold it), another domain's ingest and reads go
// through, the locked domain's wait, and both logs verify afterwards.
func TestDomainsDoNotWait(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	env := map[string]string{"PROBITY_DB": dsn}
	data := t.TempDir()
	for _, spec := range []string{lendingSpec, rentSpec} {
		if out, _, err := run(t, env, "", "domain", "apply", "--data", data, spec); err != nil {
			t.Fatalf("apply %s: %v\n%s", spec, err, out)
		}
	}
	out, _, err := run(t, env, "", "token", "create", "--data", data, "--name", "desk",
		"--grant", "reporter:acme.lending", "--grant", "reporter:city.rent-utilities", "--grant", "reader:city.rent-utilities")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	url := startServer(t, "--data", data, "--db", dsn, "--db-max-conns", "4")

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holder, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	var name string
	if err := holder.QueryRow(`SELECT log FROM log_heads WHERE log = 'acme.lending' FOR UPDATE`).Scan(&name); err != nil {
		t.Fatal(err)
	}

	events := func(prefix, typ string) string {
		var b strings.Builder
		for i := range 20 {
			fmt.Fprintf(&b, `{"key":"%s-%02d","type":"%s","subject":"person:m%03d","occurred_at":"2025-03-10","fields":{"amount":%d}}`+"\n", prefix, i, typ, i, 100+i)
		}
		return b.String()
	}
	// The locked domain's ingest waits for the lock.
	lending := make(chan int, 1)
	go func() {
		var sum probity.IngestSummary
		lending <- post(t, url+"/v1/domains/acme.lending/events", token, "application/x-ndjson", events("loan", "loan_repaid"), &sum)
	}()
	// The other domain's writes and reads go through meanwhile.
	start := time.Now()
	var sum probity.IngestSummary
	if code := post(t, url+"/v1/domains/city.rent-utilities/events", token, "application/x-ndjson", events("rent", "rent_paid"), &sum); code != http.StatusOK || sum.Accepted != 20 {
		t.Fatalf("ingest into the other domain while acme.lending's log is locked: %d %+v", code, sum)
	}
	var score map[string]any
	if code := post(t, url+"/v1/domains/city.rent-utilities/scores", token, "application/json", `{"subject":"person:m001","purpose":"account_review"}`, &score); code != http.StatusOK {
		t.Fatalf("a read in the other domain while acme.lending's log is locked: %d %v", code, score)
	}
	t.Logf("the other domain's ingest of 20 events and a read took %v while acme.lending's log was locked", time.Since(start).Round(time.Millisecond))
	select {
	case code := <-lending:
		t.Fatalf("the ingest into acme.lending finished (%d) while its log was locked: it did not take the log's lock", code)
	case <-time.After(300 * time.Millisecond):
	}
	holder.Rollback()
	select {
	case code := <-lending:
		if code != http.StatusOK {
			t.Fatalf("the ingest into acme.lending after the lock was released: %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the ingest into acme.lending did not finish after the lock was released")
	}
	r := verifyLocation(t, testLocationDB(t, data, dsn))
	if r.Logs < 3 || r.Events != 40 {
		t.Fatalf("verify: %d logs, %d events; want the installation log and both domains' logs, 40 events", r.Logs, r.Events)
	}
}
