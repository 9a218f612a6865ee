// Package web serves Probity's pages: the public registry, the subject's
// portal, the institutions' console and the auditor's view. It is a second
// face of the same services the JSON API calls, with the same
// authorization: every page authenticates its caller with the token kept in
// a session cookie (through AccessService.Authenticate, as the API does with
// a bearer token) and calls the services as that actor; it decides no
// policy. Pages are rendered on the server from embedded templates, charts
// are SVG drawn on the server; the one script, served from the binary, only
// shows an upload's progress, and every page works without it.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/audit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Services are what the pages call: the services of the JSON API, the
// public transparency figures and the log's verification.
type Services interface {
	probity.DomainService
	probity.EventService
	probity.ScoreService
	probity.AuditService
	probity.AccessService
	probity.ReportService
	probity.OptOutService
	probity.DisputeService
	probity.OfficialService
	probity.ConsentService
	probity.TransparencyService
	probity.SessionService
	probity.StatementService
	// VerifyLog runs the full verification of the log; auditors and
	// operators only (MayVerify says whether the caller is one).
	VerifyLog(ctx context.Context) (*audit.Report, error)
	MayVerify(ctx context.Context) error
}

// Security headers of every page. The policy allows the project's own
// stylesheet, its one script (the upload progress) and requests back to
// this server, and images drawn inline as data: URIs; nothing inline,
// nothing from elsewhere, no frame, no form posted elsewhere.
const (
	ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	SessionCookie         = "probity_session"
	// preSessionCookie carries a random value before sign-in, so that the
	// sign-in form too has a CSRF token bound to the browser.
	preSessionCookie = "probity_presession"
)

// Pages is the web interface over one set of services.
type Pages struct {
	// SignIn, when set, lets subjects sign in through an OpenID provider.
	SignIn SubjectSignIn

	mux *http.ServeMux // the routes of Handler, for Pattern

	svc    Services
	key    []byte // signs CSRF tokens
	logger *slog.Logger
	pages  map[string]*template.Template

	verification verification // the one run in the background (verify.go)
}

// New returns the pages over svc. key signs the forms' CSRF tokens: servers
// sharing one installation should share it (a key derived from the master
// key), so a form rendered by one is accepted by another; nil draws a
// random key, good for this process only.
func New(svc Services, key []byte, logger *slog.Logger) *Pages {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &Pages{svc: svc, key: key, logger: logger, pages: parseTemplates()}
}

// Pattern returns the pattern of the page r is routed to ("GET /portal"),
// for an access log that names pages by route, never by path; "" before
// Handler was called.
func (p *Pages) Pattern(r *http.Request) string {
	if p.mux == nil {
		return ""
	}
	_, pattern := p.mux.Handler(r)
	return pattern
}

// Handler returns the pages' routes, each with the security headers. Mount
// it at "/" beside the API: it answers no /v1/ route.
func (p *Pages) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", p.handleRegistry)
	mux.HandleFunc("GET /registry/{domain}", p.handleRegistryDomain)
	mux.HandleFunc("GET /signin", p.handleSignInForm)
	mux.HandleFunc("POST /signin", p.handleSignIn)
	mux.HandleFunc("POST /signout", p.handleSignOut)
	mux.HandleFunc("GET /signin/oidc", p.handleOIDCStart)
	mux.HandleFunc("GET "+oidcCallback, p.handleOIDCCallback)
	p.portalRoutes(mux)
	p.consoleRoutes(mux)
	mux.HandleFunc("GET /audit", p.handleAuditor)
	mux.HandleFunc("POST /audit/verify", p.handleVerify)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, probity.Errorf(probity.ENOTFOUND, "no page at %s; start at the registry", r.URL.Path))
	})
	p.mux = mux
	return withHeaders(p.withSameOrigin(mux))
}

// withHeaders sets the security headers of every response.
func withHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// withSameOrigin refuses every POST that does not come from a page of this
// server: its Origin (or, without one, its Referer) must name this host,
// and its csrf field must be the token of the caller's session.
func (p *Pages) withSameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if !sameOrigin(r) {
			p.fail(w, r, probity.Errorf(probity.EFORBIDDEN, "this form was not sent from a page of this server (its Origin or Referer names another site, or none): refused to protect you from cross-site requests"))
			return
		}
		if err := parseForm(w, r); err != nil {
			p.fail(w, r, err)
			return
		}
		want := p.csrfToken(r)
		if got := r.FormValue("csrf"); want == "" || !hmac.Equal([]byte(got), []byte(want)) {
			p.fail(w, r, probity.Errorf(probity.EFORBIDDEN, "the form's security token (csrf) is missing or belongs to another session: reload the page and send it again"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// parseForm reads a form, a multipart one (an upload) included, up to
// MaxUploadBytes, and refuses one with a field name or value that is not
// valid UTF-8 (%E9 for é in Latin-1), naming the field: the pages' forms
// send UTF-8, and a service would otherwise store or echo bytes no page can
// show.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBytes)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(32 << 20)
	} else {
		err = r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return probity.Errorf(probity.ETOOLARGE, "the form exceeds %d MB; send larger files through the API (POST /v1/domains/{id}/events takes up to 256 MB)", MaxUploadBytes>>20)
	case err != nil:
		return probity.Errorf(probity.EINVALID, "form: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Form)) {
		if !utf8.ValidString(name) {
			return probity.Errorf(probity.EINVALID, "form: the field name %s is not valid UTF-8; the pages' forms send UTF-8: reload the page and try again", probity.Quote(name))
		}
		for _, v := range r.Form[name] {
			if !utf8.ValidString(v) {
				return probity.Errorf(probity.EINVALID, "%s: not valid UTF-8 text; the pages' forms send UTF-8: reload the page and try again", probity.Quote(name))
			}
		}
	}
	return nil
}

// scheme is the scheme the browser used to reach the server.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// sameOrigin reports whether a request's Origin, or without one its
// Referer, is this server.
func sameOrigin(r *http.Request) bool {
	self := scheme(r) + "://" + r.Host
	if o := r.Header.Get("Origin"); o != "" {
		return o == self
	}
	ref := r.Header.Get("Referer")
	return ref == self || len(ref) > len(self) && ref[:len(self)+1] == self+"/"
}

// csrfToken is the token the forms of the caller's session carry: the HMAC
// of its session cookie, or before sign-in of its pre-session cookie; ""
// without either.
func (p *Pages) csrfToken(r *http.Request) string {
	for _, name := range []string{SessionCookie, preSessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			m := hmac.New(sha256.New, p.key)
			m.Write([]byte(name + "\x00" + c.Value))
			return hex.EncodeToString(m.Sum(nil))
		}
	}
	return ""
}

// dropCookie removes a cookie from the request, keeping the others.
func dropCookie(r *http.Request, name string) {
	cookies := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range cookies {
		if c.Name != name {
			r.AddCookie(c)
		}
	}
}

// setCookie sets a cookie scripts cannot read, sent to this site only,
// over TLS only when the server speaks TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

// actor authenticates the session cookie, as the API authenticates a
// bearer token, and returns the request's context carrying the actor; ok
// is false without a session or with a token no longer accepted, whose
// cookie is then cleared (its refusal is logged once, not on every page).
func (p *Pages) actor(w http.ResponseWriter, r *http.Request) (context.Context, probity.Actor, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return r.Context(), probity.ActorFromContext(r.Context()), false
	}
	a, err := p.svc.SessionActor(r.Context(), c.Value)
	if err != nil {
		setCookie(w, r, SessionCookie, "", -1)
		dropCookie(r, SessionCookie) // the rest of this request, its forms' CSRF tokens included, goes on without it
		return r.Context(), probity.ActorFromContext(r.Context()), false
	}
	return probity.NewContextWithActor(r.Context(), a), a, true
}
