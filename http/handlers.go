package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/eventfile"
)

// witnessHealth is a service whose installation checkpoints witnesses
// cosign (the bureau): /healthz adds its detail, and says "degraded" while
// the latest checkpoint lacks the witnesses' quorum.
type witnessHealth interface {
	WitnessHealth(ctx context.Context) (degraded bool, detail map[string]any, err error)
}

// handleHealth answers 200 while the store answers, with status "ok", or
// "degraded" when the witnesses' quorum has not cosigned the latest
// installation checkpoint (the witnesses' detail says which refused and
// why); 503 when the store does not answer.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Domains.Domains(r.Context()); err != nil {
		Error(w, r, probity.Errorf(probity.EUNAVAILABLE, "store unavailable"))
		return
	}
	body := map[string]any{"status": "ok"}
	if s.Version != "" {
		body["version"] = s.Version
	}
	if wh, ok := s.Audit.(witnessHealth); ok {
		degraded, detail, err := wh.WitnessHealth(r.Context())
		if err != nil {
			Error(w, r, probity.Errorf(probity.EUNAVAILABLE, "store unavailable"))
			return
		}
		maps.Copy(body, detail)
		if degraded {
			body["status"] = "degraded"
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// readiness is a service that says whether this server should be sent
// traffic (the bureau).
type readiness interface {
	Readiness(ctx context.Context) (bool, map[string]string)
}

// handleReady answers 200 when every readiness check passes, 503 with
// Retry-After otherwise, with each check's result: for a load balancer or
// an orchestrator, beside /healthz (which says the process is alive).
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	rd, ok := s.Audit.(readiness)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
		return
	}
	ready, checks := rd.Readiness(r.Context())
	if !ready {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "checks": checks})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": checks})
}

// metricsReader is a service that says who may read the metrics.
type metricsReader interface {
	MayReadMetrics(ctx context.Context) error
}

// handleMetrics serves the Prometheus metrics to the operator and the
// auditors: they name the domains and how busy each is.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	mr, ok := s.Audit.(metricsReader)
	if s.Metrics == nil || !ok {
		Error(w, r, probity.Errorf(probity.ENOTFOUND, "this server keeps no metrics"))
		return
	}
	if err := mr.MayReadMetrics(r.Context()); err != nil {
		Error(w, r, err)
		return
	}
	s.Metrics.Handler().ServeHTTP(w, r)
}

func (s *Server) handleDomains(w http.ResponseWriter, r *http.Request) {
	domains, err := s.Domains.Domains(r.Context())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, "domains", domains, func(d probity.DomainSummary) string { return d.ID })
}

func (s *Server) handleDomain(w http.ResponseWriter, r *http.Request) {
	d, err := s.Domains.Domain(r.Context(), r.PathValue("id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleApplySpec(w http.ResponseWriter, r *http.Request) {
	source, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSpecBytes))
	if err != nil {
		Error(w, r, err)
		return
	}
	res, err := s.Domains.ApplySpec(r.Context(), r.PathValue("id"), source)
	if err != nil {
		Error(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Changed && res.Version == 1 {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
}

// handleEvents takes NDJSON, a JSON array or CSV (sniffed from the body) and
// answers with the ingest summary; ?skip_invalid=true applies the good lines.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	skip := false
	if v := r.URL.Query().Get("skip_invalid"); v != "" {
		var err error
		if skip, err = strconv.ParseBool(v); err != nil {
			Error(w, r, probity.Errorf(probity.EINVALID, "skip_invalid: %q is not a boolean; use true or false", v))
			return
		}
	}
	if r.ContentLength > s.MaxEventBytes {
		Error(w, r, &http.MaxBytesError{Limit: s.MaxEventBytes})
		return
	}
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, s.MaxEventBytes)}
	var reader probity.EventReader
	reader, err := eventfile.NewReader(body)
	if err != nil && body.exceeded == nil {
		// a bad header is the first line's problem, reported once the
		// caller is authorized to report at all
		reader, err = failingReader{err}, nil
	}
	if err == nil {
		var sum *probity.IngestSummary
		if sum, err = s.Events.Ingest(r.Context(), r.PathValue("id"), reader, probity.IngestOptions{SkipInvalid: skip}); err == nil {
			writeJSON(w, http.StatusOK, sum)
			return
		} else if body.exceeded == nil {
			writeError(w, r, err, sum)
			return
		}
	}
	if body.exceeded != nil {
		err = body.exceeded
	} else {
		err = probity.Errorf(probity.EINVALID, "events: %v", err)
	}
	Error(w, r, err)
}

// limitedBody remembers that a request body ran over its limit, whatever
// the decoders above it make of the error.
type limitedBody struct {
	r        io.Reader
	exceeded error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		b.exceeded = err
	}
	return n, err
}

// encodedScores is a score service that also answers with the score or
// decision already encoded as JSON: the very bytes whose digest its log
// committed, so that the answer is encoded once, not once for the log and
// again for the reply.
type encodedScores interface {
	ScoreJSON(ctx context.Context, req probity.ScoreRequest) ([]byte, error)
	DecideJSON(ctx context.Context, req probity.DecisionRequest) ([]byte, error)
}

func (s *Server) handleScore(w http.ResponseWriter, r *http.Request) {
	var req probity.ScoreRequest
	if err := decodeJSON(w, r, &req, `"subject", "purpose" and optional "as_of" and "page"`); err != nil {
		Error(w, r, err)
		return
	}
	req.Domain = r.PathValue("id")
	if enc, ok := s.Scores.(encodedScores); ok {
		body, err := enc.ScoreJSON(r.Context(), req)
		if err != nil {
			Error(w, r, err)
			return
		}
		writeEncoded(w, http.StatusOK, body)
		return
	}
	score, err := s.Scores.Score(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, score)
}

func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) {
	var req probity.DecisionRequest
	if err := decodeJSON(w, r, &req, `"subject", "benefit" and optional "purpose"`); err != nil {
		Error(w, r, err)
		return
	}
	req.Domain = r.PathValue("id")
	if enc, ok := s.Scores.(encodedScores); ok {
		body, err := enc.DecideJSON(r.Context(), req)
		if err != nil {
			Error(w, r, err)
			return
		}
		writeEncoded(w, http.StatusOK, body)
		return
	}
	d, err := s.Scores.Decide(r.Context(), req)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// writeEncoded answers with body, JSON already encoded, and a newline.
func writeEncoded(w http.ResponseWriter, status int, body []byte) {
	writeEncodedAs(w, status, "application/json", body)
}

// writeEncodedAs answers with body, of contentType, and a newline.
func writeEncodedAs(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	if _, err := w.Write(append(body, '\n')); err != nil {
		slog.Default().Debug("write response", "err", err)
	}
}

// failingReader is an input that could not be opened.
type failingReader struct{ err error }

func (f failingReader) Next() (probity.EventInput, error) { return probity.EventInput{}, f.err }

// handleReport shows a subject, authenticated by their subject token,
// everything every domain holds about them, one page (?page=N, from 1) of
// each long list at a time.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	page, err := pageParam(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	report, err := s.Reports.ReportPage(r.Context(), "", probity.ReportOptions{Page: page})
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}

// handleOptOut opts the subject of a subject token out of a domain.
func (s *Server) handleOptOut(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Domain string `json:"domain"`
	}
	if err := decodeJSON(w, r, &req, `"domain"`); err != nil {
		Error(w, r, err)
		return
	}
	state, err := s.OptOuts.SetOptOut(r.Context(), req.Domain, "", true)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, state)
}

// handleOptIn takes the subject of a subject token back into a domain.
func (s *Server) handleOptIn(w http.ResponseWriter, r *http.Request) {
	state, err := s.OptOuts.SetOptOut(r.Context(), r.PathValue("domain"), "", false)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, state)
}

// handleExport serves the subject's complete record as a JSON download:
// every domain's entries as reported, scores, disputes and inquiries. It
// pages by each domain's events_per_subject, so a record within the
// domain's limit is one download; a longer one (stored before the limit,
// or with more inquiries than that) says "pages" and continues at ?page=2.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	page, err := pageParam(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	report, err := s.Reports.ReportPage(r.Context(), "", probity.ReportOptions{Page: page, Export: true})
	if err != nil {
		Error(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="probity-record.json"`)
	writeJSON(w, http.StatusOK, report)
}

// pageParam reads the optional ?page=N of a paged read: 0 when absent.
func pageParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("page")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, probity.Errorf(probity.EINVALID, "page: %s is not a page; pages are numbered from 1", probity.Quote(v))
	}
	return n, nil
}

// handleNotices serves what concerns the subject ahead.
func (s *Server) handleNotices(w http.ResponseWriter, r *http.Request) {
	notices, err := s.Reports.Notices(r.Context(), "")
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, "notices", notices, func(n probity.Notice) string {
		return n.Kind + "\x00" + n.Domain + "\x00" + n.Key + "\x00" + n.At.Format(time.RFC3339Nano)
	})
}

// handleRetract withdraws an entry reported in error: POST
// /v1/domains/{id}/retractions {"key","reason"} (keys may hold a slash, so
// they travel in the body).
func (s *Server) handleRetract(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Key    string `json:"key"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req, `"key" (the entry's key) and "reason"`); err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Events.Retract(r.Context(), r.PathValue("id"), req.Key, req.Reason); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": r.PathValue("id"), "key": req.Key, "retracted": true})
}

// handleErase erases everything a consent-based domain holds about the
// subject of a subject token.
func (s *Server) handleErase(w http.ResponseWriter, r *http.Request) {
	n, err := s.OptOuts.Erase(r.Context(), r.PathValue("domain"), "")
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": r.PathValue("domain"), "erased_entries": n})
}

// handleCorrect rectifies an entry: POST /v1/domains/{id}/corrections
// {"key": the old entry's key, "reason", "event": the correcting entry}.
func (s *Server) handleCorrect(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Key    string          `json:"key"`
		Reason string          `json:"reason"`
		Event  json.RawMessage `json:"event"`
	}
	if err := decodeJSON(w, r, &req, `"key" (the entry corrected), "reason" and "event" (the correction, an event object)`); err != nil {
		Error(w, r, err)
		return
	}
	input, err := eventfile.NewNDJSONReader(bytes.NewReader(req.Event)).Next()
	if err != nil {
		Error(w, r, probity.Errorf(probity.EINVALID, "event: want an event object"))
		return
	}
	if input.Err != nil {
		Error(w, r, probity.Errorf(probity.EINVALID, "event: %v", input.Err))
		return
	}
	e, err := s.Events.Correct(r.Context(), r.PathValue("id"), req.Key, input, req.Reason)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"corrected": req.Key, "correction": e.Key})
}
