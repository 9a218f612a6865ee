// Package http serves Probity's JSON API over the services of the root
// package. It decodes, attaches the calling actor, calls one service method
// and encodes; it decides no policy.
package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// Body size limits. A larger body is refused with 413 before it is read.
const (
	MaxSpecBytes    = 1 << 20   // a domain spec
	MaxRequestBytes = 64 << 10  // a score or decision request
	MaxEventBytes   = 256 << 20 // one events upload
)

// Server is the HTTP server of Probity.
type Server struct {
	Domains   probity.DomainService
	Events    probity.EventService
	Scores    probity.ScoreService
	Audit     probity.AuditService
	Access    probity.AccessService
	Reports   probity.ReportService
	OptOuts   probity.OptOutService
	Disputes  probity.DisputeService
	Officials probity.OfficialService
	Consents  probity.ConsentService
	Orders    probity.OrderService
	// Statements issue and revoke statements of standing.
	Statements probity.StatementService
	Logger     *slog.Logger
	// MaxEventBytes bounds one events upload (default MaxEventBytes).
	MaxEventBytes int64
	// TLSCert and TLSKey, when set, make the server speak HTTPS.
	TLSCert, TLSKey string
	// TLSClientCA, when set with them, names a PEM file of the certificate
	// authorities whose client certificates the server asks for and
	// verifies (mutual TLS): a token an identity provider bound to a client
	// certificate (RFC 8705) is accepted only over a connection made with
	// it. A connection without a certificate is still served.
	TLSClientCA string
	// Metrics, when set, counts every request and serves GET /metrics to
	// the operator and the auditors (metrics.Metrics).
	Metrics interface {
		ObserveRequest(route string, status int, d time.Duration)
		Handler() http.Handler
	}
	// Tracer, when set, traces every request (OpenTelemetry): one server
	// span, named by its route pattern, a child of the caller's W3C
	// traceparent. Nil: no tracing, the default.
	Tracer trace.Tracer
	// TrustedProxies are the addresses of the reverse proxies in front of
	// the server (--trusted-proxy): from them, and only from them, the
	// X-Forwarded-For address is taken as the client's (for the rate
	// limiter and the log) and X-Forwarded-Proto: https as a TLS request
	// (for the pages' same-origin check, Secure cookies and the URLs the
	// server writes).
	TrustedProxies []netip.Prefix
	// PagePattern, when set, names the pattern of the page a request
	// outside /v1/ was routed to, for the access log (web.Pages.Pattern).
	PagePattern func(*http.Request) string
	// Version is what /healthz says the server is (probity version).
	Version string
	// Rate and Burst limit each principal's requests (0: no limit).
	Rate  float64
	Burst int
	// Pages, when set, serves every path outside /v1/ and /healthz: the
	// web interface, on the same address as the API.
	Pages http.Handler

	limiter *limiter

	ln  net.Listener
	srv *http.Server
	// base is every request's parent context, canceled with ErrStopping
	// when a stopping server's grace period ends.
	base context.Context
	stop context.CancelCauseFunc
}

// Services are what the server serves.
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
	probity.OrderService
	probity.StatementService
}

// NewServer returns a server over the given services.
func NewServer(services Services, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{Domains: services, Events: services, Scores: services, Audit: services, Access: services, Reports: services, OptOuts: services, Disputes: services, Officials: services, Consents: services, Orders: services, Statements: services, Logger: logger,
		MaxEventBytes: MaxEventBytes, Rate: DefaultRate, Burst: DefaultBurst}
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.apiRoutes(&routeTable{mux: mux})
	notFound := func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			body := problem(r, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", ")), nil)
			body.Status, body.Title = http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed)
			writeProblem(w, http.StatusMethodNotAllowed, body)
			return
		}
		Error(w, r, probity.Errorf(probity.ENOTFOUND, "no route %s %s; see GET /v1/domains", r.Method, r.URL.Path))
	}
	if s.Pages != nil {
		mux.HandleFunc("/v1/", notFound)
		mux.Handle("/", s.Pages)
	} else {
		mux.HandleFunc("/", notFound)
	}
	return s.withProxies(s.withAccessLog(mux, s.withAuth(mux)))
}

// apiRoutes registers every route of the API on mux; Routes lists them.
func (s *Server) apiRoutes(mux *routeTable) {
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	mux.HandleFunc("GET /v1/openapi.json", s.handleOpenAPI)
	mux.HandleFunc("GET /v1/domains", s.handleDomains)
	mux.HandleFunc("GET /v1/domains/{id}", s.handleDomain)
	mux.HandleFunc("PUT /v1/domains/{id}", s.handleApplySpec)
	mux.HandleFunc("POST /v1/domains/{id}/events", s.handleEvents)
	mux.HandleFunc("POST /v1/domains/{id}/retractions", s.idempotent(s.handleRetract))
	mux.HandleFunc("POST /v1/domains/{id}/corrections", s.idempotent(s.handleCorrect))
	mux.HandleFunc("POST /v1/domains/{id}/scores", s.handleScore)
	mux.HandleFunc("POST /v1/domains/{id}/decisions", s.handleDecision)
	s.auditRoutes(mux)
	s.tileRoutes(mux)
	s.principalRoutes(mux)
	mux.HandleFunc("GET /v1/me/report", s.handleReport)
	mux.HandleFunc("GET /v1/me/export", s.handleExport)
	mux.HandleFunc("GET /v1/me/notices", s.handleNotices)
	mux.HandleFunc("POST /v1/me/opt-outs", s.idempotent(s.handleOptOut))
	mux.HandleFunc("DELETE /v1/me/opt-outs/{domain}", s.handleOptIn)
	mux.HandleFunc("DELETE /v1/me/records/{domain}", s.handleErase)
	mux.HandleFunc("POST /v1/me/disputes", s.idempotent(s.handleFileDispute))
	mux.HandleFunc("POST /v1/me/consents", s.idempotent(s.handleGrantConsent))
	mux.HandleFunc("DELETE /v1/me/consents/{domain}/{consent}", s.handleRevokeConsent)
	mux.HandleFunc("POST /v1/domains/{id}/consented-scores", s.handleConsentedScore)
	mux.HandleFunc("GET /v1/domains/{id}/disputes", s.handleDisputes)
	mux.HandleFunc("POST /v1/domains/{id}/officials", s.idempotent(s.handleRecordTerm))
	mux.HandleFunc("POST /v1/domains/{id}/orders", s.idempotent(s.handleIssueOrder))
	mux.HandleFunc("POST /v1/domains/{id}/orders/{order}/fulfilled", s.handleFulfillOrder)
	mux.HandleFunc("POST /v1/restrictions/check", s.handleCheckRestriction)
	mux.HandleFunc("GET /v1/domains/{id}/officials", s.handleTerms)
	mux.HandleFunc("GET /v1/domains/{id}/disputes/figures", s.handleDisputeFigures)
	mux.HandleFunc("GET /v1/domains/{id}/figures", s.handleFigures)
	mux.HandleFunc("GET /v1/domains/{id}/disputes/{dispute}/entry", s.handleDisputedEntry)
	mux.HandleFunc("POST /v1/domains/{id}/disputes/{dispute}/resolve", s.handleResolveDispute)
	s.statementRoutes(mux)
}

// allowed returns the methods the API serves on r's path, when r's method
// is not one of them: the mux's catch-all would otherwise answer 404 for a
// path that exists.
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
			out = append(out, m)
		}
	}
	if slices.Contains(out, http.MethodGet) {
		out = append(out, http.MethodHead)
	}
	return out
}

// ErrStopping is the cause of the requests' contexts when a stopping
// server's grace period ends (probity.ErrStopping): the API and the pages
// answer them 503 with Retry-After.
var ErrStopping = probity.ErrStopping

// Open listens on addr and serves, over TLS when TLSCert and TLSKey are set.
func (s *Server) Open(addr string) error {
	if s.limiter == nil {
		s.limiter = newLimiter(s.Rate, s.Burst)
	}
	s.base, s.stop = context.WithCancelCause(context.Background())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{
		BaseContext:       func(net.Listener) context.Context { return s.base },
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	if s.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--tls-cert/--tls-key: %v", err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if s.TLSClientCA != "" {
			pem, err := os.ReadFile(s.TLSClientCA)
			if err != nil {
				ln.Close()
				return fmt.Errorf("--tls-client-ca: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				ln.Close()
				return fmt.Errorf("--tls-client-ca %s: no PEM certificate in it", s.TLSClientCA)
			}
			s.srv.TLSConfig.ClientAuth, s.srv.TLSConfig.ClientCAs = tls.VerifyClientCertIfGiven, pool
		}
		go s.srv.ServeTLS(ln, "", "")
		return nil
	}
	go s.srv.Serve(ln)
	return nil
}

// Loopback reports whether the server listens on a loopback address only.
func (s *Server) Loopback() bool {
	a, ok := s.ln.Addr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	if s.TLSCert != "" {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops the server, letting requests in flight finish for up to ctx.
//
// Requests still running when ctx ends have their contexts canceled with
// ErrStopping: each abandons its work (nothing half-applied: every write is
// one transaction), is answered 503 with Retry-After, and Close returns
// once they are, or after answerWait more.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	s.stop(ErrStopping)
	answer, cancel := context.WithTimeout(context.Background(), answerWait)
	defer cancel()
	if err := s.srv.Shutdown(answer); err != nil {
		s.srv.Close()
		return fmt.Errorf("requests still running %s after the grace period, closed unanswered: %w", answerWait, err)
	}
	return nil
}

// answerWait is how long Close waits, after the grace period, for the
// abandoned requests to be answered.
const answerWait = 5 * time.Second

// codes maps each error code to its HTTP status.
var codes = map[string]int{
	probity.ECONFLICT:     http.StatusConflict,
	probity.EFORBIDDEN:    http.StatusForbidden,
	probity.EINTERNAL:     http.StatusInternalServerError,
	probity.EINVALID:      http.StatusBadRequest,
	probity.ENOTFOUND:     http.StatusNotFound,
	probity.EUNAUTHORIZED: http.StatusUnauthorized,
	probity.EUNAVAILABLE:  http.StatusServiceUnavailable,
	probity.ETOOLARGE:     http.StatusRequestEntityTooLarge,
}

// RetryAfter is the Retry-After, in seconds, of every 503 that does not
// set its own: the storage or a witness may be back by then, and a client
// that retries at once only adds to the load.
const RetryAfter = 5

// ErrorStatus returns the HTTP status of an error code.
func ErrorStatus(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON form of every error: {"error":{"code","message"}}.
//
// It is also an RFC 9457 problem (application/problem+json): type, title,
// status and detail, with the code, the request's id and, for a refused
// input, every fault in errors, each with its field path where the message
// names one. The error object stays, for the clients that read it.
type errorBody struct {
	Type      string                 `json:"type"`
	Title     string                 `json:"title"`
	Status    int                    `json:"status"`
	Detail    string                 `json:"detail"`
	Code      string                 `json:"code"`
	RequestID string                 `json:"request_id,omitempty"`
	Errors    []fieldError           `json:"errors,omitempty"`
	Summary   *probity.IngestSummary `json:"summary,omitempty"`
	Error     struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// fieldError is one fault of a refused input: the path of the field it is
// about, when the message starts with one ("grants[0]: ..."), and the
// message.
type fieldError struct {
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"` // of a spec or an uploaded file
	Message string `json:"message"`
}

// atLine is a field path followed by the line it is on, as the spec's
// errors say it: "events[1].points (line 30)".
var atLine = regexp.MustCompile(`^(\S+) \(line (\d+)\)$`)

// fieldErrors splits a validation message (one fault a line) into its
// faults, each with its field path when the line starts with one.
func fieldErrors(msg string) []fieldError {
	var out []fieldError
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fe := fieldError{Message: line}
		if path, rest, ok := strings.Cut(line, ": "); ok {
			if m := atLine.FindStringSubmatch(path); m != nil {
				path = m[1]
				fe.Line, _ = strconv.Atoi(m[2])
			}
			if path != "" && !strings.ContainsAny(path, " \t\"'") {
				fe.Field, fe.Message = path, rest
			} else {
				fe.Line = 0
			}
		}
		out = append(out, fe)
	}
	return out
}

// problem makes the body of an error answer.
func problem(r *http.Request, code, msg string, summary *probity.IngestSummary) errorBody {
	status := ErrorStatus(code)
	b := errorBody{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: msg, Code: code,
		RequestID: RequestID(r.Context()), Summary: summary}
	if code == probity.EINVALID {
		b.Errors = fieldErrors(msg)
	}
	b.Error.Code, b.Error.Message, b.Error.RequestID = code, msg, b.RequestID
	return b
}

// writeProblem answers an error as application/problem+json.
func writeProblem(w http.ResponseWriter, status int, body errorBody) {
	buf, err := json.Marshal(body)
	if err != nil {
		writeJSON(w, status, body)
		return
	}
	writeEncodedAs(w, status, "application/problem+json", buf)
}

// Error writes err as JSON with its status. Internal errors are logged with
// detail and shown as "internal error".
func Error(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, err, nil)
}

func writeError(w http.ResponseWriter, r *http.Request, err error, summary *probity.IngestSummary) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = probity.Errorf(probity.ETOOLARGE, "request body exceeds %d bytes", maxErr.Limit)
	}
	if stopping(r) {
		err = abandoned
	} else if clientGone(w, r, err) {
		return
	}
	code, msg := probity.ErrorCode(err), probity.ErrorMessage(err)
	if code == probity.EUNAUTHORIZED && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="probity"`)
	}
	switch code {
	case probity.EINTERNAL:
		slog.Default().Error("internal error", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
	case probity.EUNAVAILABLE:
		// the caller is told what (storage full, database unreachable); the
		// log keeps the engine's error too
		slog.Default().Warn("unavailable", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
		}
	}
	writeProblem(w, ErrorStatus(code), problem(r, code, msg, summary))
}

// writeJSON answers with v encoded compactly (json.Marshal's bytes, then a
// newline): indenting doubled the size of a score's answer and a good part
// of its CPU, and every client parses JSON anyway.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Default().Error("internal error", "err", fmt.Errorf("encode response: %w", err))
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	writeEncoded(w, status, body)
}

// decodeJSON decodes a small JSON request body strictly: unknown fields,
// a key given twice in one object and a key in the wrong case (encoding/json
// would keep the last and match any case) and trailing data are errors
// naming what is allowed, and so is text that is
// not valid UTF-8 (a byte of another encoding, or half a surrogate pair in a
// \u escape), which encoding/json would silently store as U+FFFD: that
// error names the key and the byte where it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowed string) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		return err
	} else if err != nil {
		return probity.Errorf(probity.EINVALID, "request body: %v; want a JSON object with %s", err, allowed)
	}
	if e := eventfile.CheckJSONUTF8(string(body)); e != nil {
		switch {
		case e.InKey:
			return probity.Errorf(probity.EINVALID, "request body: a key is %v", e)
		case e.Key != "":
			return probity.Errorf(probity.EINVALID, "request body: %s is %v", probity.Quote(e.Key), e)
		}
		return probity.Errorf(probity.EINVALID, "request body is %v", e)
	}
	if err := checkKeys(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return probity.Errorf(probity.EINVALID, "request body: %v; want a JSON object with %s", err, allowed)
	}
	if dec.More() {
		return probity.Errorf(probity.EINVALID, "request body: trailing data after the JSON object")
	}
	return nil
}

// errMalformed stops checkKeys at a body that is not JSON: the decoder then
// says what is wrong with it.
var errMalformed = errors.New("malformed JSON")

// checkKeys walks a JSON body's tokens, following the Go type t it will be
// decoded into, and refuses what encoding/json takes silently: a key twice in
// one object, at any depth, and a key that matches a field of a struct only
// when case is ignored. Keys that match no field are left to the decoder.
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := checkValue(dec, t, 0); err != nil && err != errMalformed {
		return err
	}
	return nil
}

// checkValue checks the next value of dec, to be decoded into t (nil: a
// value of any shape, whose keys are checked only for duplicates).
func checkValue(dec *json.Decoder, t reflect.Type, depth int) error {
	tok, err := dec.Token()
	if err != nil || depth > 10000 {
		return errMalformed // the decoder refuses it, naming why
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = decodedType(t)
	seen := map[string]bool{}
	for dec.More() {
		next := t
		if delim == '{' {
			tok, err := dec.Token()
			key, ok := tok.(string)
			if err != nil || !ok {
				return errMalformed
			}
			if seen[key] {
				return probity.Errorf(probity.EINVALID, "request body: key %s appears twice", probity.Quote(key))
			}
			seen[key] = true
			if next, err = fieldType(t, key); err != nil {
				return err
			}
		} else if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			next = t.Elem()
		}
		if err := checkValue(dec, next, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errMalformed
	}
	return nil
}

// decodedType is t without pointers, or nil when encoding/json gives its
// values to their own UnmarshalJSON (a time, a json.RawMessage) or to an
// interface: then any key may be there.
func decodedType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	return t
}

// fieldType returns the type of the value at key in an object decoded into
// t: a map's element, a struct's field, or nil when the key names no field.
// A key that names a field only when case is ignored is refused.
func fieldType(t reflect.Type, key string) (reflect.Type, error) {
	switch {
	case t == nil:
		return nil, nil
	case t.Kind() == reflect.Map:
		return t.Elem(), nil
	case t.Kind() != reflect.Struct:
		return nil, nil
	}
	var folded string
	for name, ft := range jsonFields(t) {
		if name == key {
			return ft, nil
		}
		if strings.EqualFold(name, key) {
			folded = name
		}
	}
	if folded != "" {
		return nil, probity.Errorf(probity.EINVALID, "request body: unknown key %s; keys are lower case: %s", probity.Quote(key), probity.Quote(folded))
	}
	return nil, nil
}

// jsonFields returns the keys of a struct as encoding/json names them, with
// their types, the fields of embedded structs included.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || (f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct) {
			continue // embedded: VisibleFields lists its fields too
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := out[name]; !ok {
			out[name] = f.Type
		}
	}
	return out
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withProxies takes the client's address and scheme from a trusted reverse
// proxy's X-Forwarded-For and X-Forwarded-Proto; from anyone else those
// headers are ignored, so that a client cannot pass for another address.
func (s *Server) withProxies(next http.Handler) http.Handler {
	if len(s.TrustedProxies) == 0 {
		return next
	}
	trusted := func(a netip.Addr) bool {
		for _, p := range s.TrustedProxies {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddr(remoteHost(r))
		if err != nil || !trusted(peer) {
			next.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		// the client is the last address before the proxies, read from the
		// right: whatever the client wrote itself comes before it
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			r.RemoteAddr = netip.AddrPortFrom(a, 0).String()
			if !trusted(a) {
				break
			}
		}
		if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") && r.TLS == nil {
			r.TLS = &tls.ConnectionState{} // TLS ended at the proxy: no client certificate reaches us
		}
		next.ServeHTTP(w, r)
	})
}

// ParseProxy parses a --trusted-proxy value: an address or a CIDR prefix.
func ParseProxy(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a CIDR prefix (e.g. 10.0.0.5 or 10.0.0.0/8)", v)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
