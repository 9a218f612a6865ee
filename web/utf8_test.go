package web_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFormNotUTF8 checks that a form field whose name or value is not valid
// UTF-8 (%E9, é in Latin-1) is refused with 400 naming the field, before
// any service sees it, and that valid text beyond ASCII is kept.
func TestFormNotUTF8(t *testing.T) {
	f := start(t)
	const sendUTF8 = "not valid UTF-8 text; the pages' forms send UTF-8: reload the page and try again"
	subject := f.browser(t)
	subject.signIn(f.subject)
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"ErrReason", url.Values{"domain": {"acme.lending"}, "key": {"late-1"}, "reason": {"Caf\xe9 au lait"}},
			`"reason": ` + sendUTF8},
		{"ErrKey", url.Values{"domain": {"acme.lending"}, "key": {"late-1\xff"}, "reason": {"paid"}},
			`"key": ` + sendUTF8},
		{"ErrDomainSecondValue", url.Values{"domain": {"acme.lending", "acme.lending\xed\xa0\x80"}, "key": {"late-1"}, "reason": {"paid"}},
			`"domain": ` + sendUTF8},
		{"ErrFieldName", url.Values{"domain": {"acme.lending"}, "key": {"late-1"}, "reason": {"paid"}, "r\xe9ason": {"paid"}},
			`form: the field name "r\xe9ason" is not valid UTF-8; the pages' forms send UTF-8: reload the page and try again`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.form.Encode(), "%") {
				t.Fatalf("the form %q sends no percent-encoded byte", tt.form.Encode())
			}
			status, page := subject.post("/portal/disputes", tt.form)
			if status != 400 {
				t.Fatalf("POST /portal/disputes = %d, want 400: %s", status, page)
			}
			mustContain(t, html.UnescapeString(page), tt.want)
		})
	}
	if _, page := subject.get("/portal"); strings.Contains(page, "dispute-open") {
		t.Fatal("a refused form filed a dispute")
	}
	t.Run("ErrSignIn", func(t *testing.T) {
		b := f.browser(t)
		b.get("/signin")
		status, page := b.post("/signin", url.Values{"token": {"prb_\xff"}})
		if status != 400 {
			t.Fatalf("POST /signin = %d, want 400: %s", status, page)
		}
		mustContain(t, html.UnescapeString(page), `"token": `+sendUTF8)
	})
	t.Run("ErrUploadField", func(t *testing.T) {
		reporter := f.browser(t)
		reporter.signIn(f.reporter)
		status, page := reporter.uploadForm("/console/acme.lending/events", map[string]string{"skip_invalid": "tru\xe9"},
			`{"key":"k9","type":"loan_repaid","subject":"`+alice+`","occurred_at":"2025-01-10","fields":{"amount":1}}`+"\n")
		if status != 400 {
			t.Fatalf("upload = %d, want 400: %s", status, page)
		}
		mustContain(t, html.UnescapeString(page), `"skip_invalid": `+sendUTF8)
	})
	t.Run("ErrFileNotUTF8", func(t *testing.T) {
		reporter := f.browser(t)
		reporter.signIn(f.reporter)
		status, page := reporter.upload("acme.lending", "events.csv", "key,type,subject,occurred_at,cures,amount\n"+
			"k9,loan_repaid,"+alice+",2025-01-10,,1\nk10,loan_repaid,"+alice+",2025-01-10,,1\xa0000\n", false)
		if status != 400 {
			t.Fatalf("upload = %d, want 400: %s", status, page)
		}
		mustContain(t, html.UnescapeString(page), "nothing from this file was stored",
			`"amount" (line 3, column 55) is not valid UTF-8: byte 0xA0 at byte 2 of the value; save the file as UTF-8`)
	})
	t.Run("OKText", func(t *testing.T) {
		status, page := subject.post("/portal/disputes", url.Values{"domain": {"acme.lending"}, "key": {"late-1"},
			"reason": {"Café payé à temps 😀, 已还款"}})
		if status != 200 {
			t.Fatalf("POST /portal/disputes = %d, want 200: %s", status, page)
		}
		mustContain(t, html.UnescapeString(page), "Your dispute is filed", "Café payé à temps 😀, 已还款")
	})
}

// uploadForm sends a multipart form as the console's upload form does, with
// the given fields besides the last page's CSRF token and one file,
// events.ndjson.
func (b *browser) uploadForm(path string, fields map[string]string, events string) (int, string) {
	b.tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields["csrf"] = b.csrf
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			b.tb.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("events", "events.ndjson")
	if err != nil {
		b.tb.Fatal(err)
	}
	fw.Write([]byte(events))
	if err := mw.Close(); err != nil {
		b.tb.Fatal(err)
	}
	req, err := http.NewRequest("POST", b.base+path, &body)
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.base)
	resp, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.read(resp)
}
