package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// MaxUploadBytes bounds one form, an events upload included.
const MaxUploadBytes = 64 << 20

// view is what every template receives: the page's own data and what the
// layout needs (the signed-in actor, the CSRF token, a message).
type view struct {
	Title    string
	Nav      string // the active section
	SignedIn bool
	Who      string
	CSRF     string
	Done     string // what the last action did, from a fixed list
	Error    string
	Status   int
	Data     any
	// Refresh, when set, reloads the page after that many seconds (a
	// verification under way).
	Refresh int
}

// done are the messages a redirect after a form may show: fixed texts, so
// no caller can make a page say what they like.
var done = map[string]string{
	"disputed":   "Your dispute is filed: the entry stops counting until a reviewer decides.",
	"revoked":    "The consent is revoked: the other domain can no longer see this score.",
	"granted":    "The consent is given: that domain's readers may see this score for the purpose you chose, until the date you set.",
	"opted-out":  "You left the domain: you are now unrated there, and decided as its neutral base.",
	"opted-in":   "You are back in the domain.",
	"resolved":   "The dispute is resolved; the subject sees the outcome and your reason.",
	"signed-out": "You are signed out.",
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"dateptr": func(t *time.Time) string {
		if t == nil {
			return "no end date"
		}
		return t.UTC().Format(time.DateOnly)
	},
	"points": func(f float64) string { return fmt.Sprintf("%+.1f", f) },
	"pct":    func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"deref": func(p any) string {
		switch v := p.(type) {
		case *int:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *string:
			if v != nil {
				return *v
			}
		}
		return "—"
	},
	"join": strings.Join,
	"hex":  func(b []byte) string { return hex.EncodeToString(b) },
	"b64":  func(b []byte) string { return base64.StdEncoding.EncodeToString(b) },
	"dataURI": func(svg []byte) template.URL {
		return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
	},
	"kinds": func(ks []probity.SubjectKind) string {
		s := make([]string, len(ks))
		for i, k := range ks {
			s[i] = string(k)
		}
		return strings.Join(s, ", ")
	},
	"words":    words,
	"sentence": sentence,
	"fields":   fieldWords,
	"action":   action,
	// resolveForm gives the dispute form (layout.html's "resolve") its
	// target, token, class and a suffix that keeps its ids unique.
	"resolveForm": func(action, csrf, class, id string) map[string]string {
		return map[string]string{"Action": action, "CSRF": csrf, "Class": class, "ID": id}
	},
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"days": days,
	"dur":  func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"dict": func(v, d, e any, id string) map[string]any {
		return map[string]any{"v": v, "d": d, "e": e, "id": id}
	},
}

// parseTemplates parses each page with the layout.
func parseTemplates() map[string]*template.Template {
	names := []string{"registry", "domain", "signin", "portal", "console", "review", "statement", "upload", "auditor", "error"}
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return out
}

// render writes a page with the layout, the caller's session and message.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, name string, v view) {
	p.ensurePreSession(w, r, &v)
	if v.CSRF == "" {
		v.CSRF = p.csrfToken(r)
	}
	if v.Done == "" {
		v.Done = done[r.URL.Query().Get("done")]
	}
	var buf bytes.Buffer
	if err := p.pages[name].Execute(&buf, v); err != nil {
		p.logger.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v.Status != 0 {
		w.WriteHeader(v.Status)
	}
	w.Write(buf.Bytes())
}

// ensurePreSession gives a browser without a session a pre-session cookie,
// so that its sign-in form carries a CSRF token bound to it.
func (p *Pages) ensurePreSession(w http.ResponseWriter, r *http.Request, v *view) {
	if p.csrfToken(r) != "" {
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	value := hex.EncodeToString(b)
	setCookie(w, r, preSessionCookie, value, 0)
	r.AddCookie(&http.Cookie{Name: preSessionCookie, Value: value})
	v.CSRF = p.csrfToken(r)
}

// fail shows an error page with the status of the error's code. Internal
// errors are logged with detail and shown as "internal error".
// A page whose visitor left is logged as such, not as an error; a page the
// storage cannot serve says when to retry, as the API does. Logs name the
// page's route pattern, never its path (which may carry an entry's key).
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(context.Cause(r.Context()), probity.ErrStopping) {
		err = probity.Errorf(probity.EUNAVAILABLE, "the server is stopping and abandoned this page before it was done: nothing of it was applied; try again in a moment")
	} else if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		p.logger.Info("client went away", "page", r.Pattern, "err", err)
		return
	}
	code := probity.ErrorCode(err)
	msg := forPerson(probity.ErrorMessage(err))
	switch code {
	case probity.EINTERNAL:
		p.logger.Error("internal error", "page", r.Pattern, "err", err)
	case probity.EUNAVAILABLE:
		p.logger.Warn("unavailable", "page", r.Pattern, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
	status := statusOf(code)
	_, a, signed := p.actor(w, r)
	p.render(w, r, "error", view{Title: http.StatusText(status), Error: msg, Status: status, SignedIn: signed, Who: who(a)})
}

// apiWords are the phrases of the services' messages written for API
// callers, and what a person on a page does instead.
var apiWords = strings.NewReplacer(
	"a bearer token: the subject's own token (Authorization: Bearer prs_...)", "you to sign in with your own subject token",
	"a bearer token (Authorization: Bearer ...) with", "signing in with a token that has",
	"send Authorization: Bearer <token>, a token being", "sign in with a token as it was issued:",
	"(fix them, or skip them with --skip-invalid / ?skip_invalid=true)", "(fix them, or tick \"Apply the good lines\" to store the others)",
)

// forPerson rewrites a service's message for a page: a person signs in
// and ticks boxes; they send no headers and pass no flags.
func forPerson(msg string) string { return apiWords.Replace(msg) }

// RetryAfter is the Retry-After, in seconds, of a page the storage could
// not serve (503), the API's (http.RetryAfter).
const RetryAfter = 5

// statusOf maps an error code to its HTTP status, as the API does.
func statusOf(code string) int {
	switch code {
	case probity.EINVALID:
		return http.StatusBadRequest
	case probity.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case probity.EFORBIDDEN:
		return http.StatusForbidden
	case probity.ENOTFOUND:
		return http.StatusNotFound
	case probity.ECONFLICT:
		return http.StatusConflict
	case probity.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case probity.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// who names the signed-in actor for the header.
func who(a probity.Actor) string {
	switch {
	case a.Subject != nil:
		return "subject " + maskIdentifier(a.Subject.String())
	case a.Principal != nil:
		return a.Principal.Name
	}
	return ""
}

// signedIn returns the view of a page for a signed-in caller.
func signedIn(title, nav string, a probity.Actor) view {
	return view{Title: title, Nav: nav, SignedIn: true, Who: who(a)}
}
