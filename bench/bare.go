package bench

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/probity-dev/probity"
)

// baselineBare is the baseline of the score over HTTP.
const baselineBare = "bare server"

func init() {
	Baselines[baselineBare] = "a bare Go net/http server on 127.0.0.1:0 in the bench's process that compares the bearer token with a fixed secret, " +
		"pseudonymises the subject (HMAC-SHA256 with the domain key, the subject taken as written), runs the bench's one SQL query on the same database " +
		"through a plain pool and answers compact JSON; no explanation, no log. Both servers are driven by the same load generator, " +
		"a child process (a Go HTTP client loop, one keep-alive connection per client, the subjects in turn); server CPU is the bench process's CPU time " +
		"(getrusage) while only that server is under load, divided by its requests (PostgreSQL's own CPU is not in it)"
}

// bareServer is the baseline of the score over HTTP: what a programmer
// would write to serve the same score from the same store without Probity.
type bareServer struct {
	secret []byte
	keys   map[string][]byte // each domain's pseudonym key
	stmt   *sql.Stmt
	srv    *http.Server
	url    string
}

// bareAnswer is the bare server's answer.
type bareAnswer struct {
	Domain  string `json:"domain"`
	Subject string `json:"subject"`
	Status  string `json:"status"`
	Score   *int64 `json:"score"`
}

// startBare serves the bare baseline of the site on a loopback port.
func startBare(ctx context.Context, s *site) (*bareServer, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	b := &bareServer{secret: []byte(hex.EncodeToString(secret)), keys: map[string][]byte{}}
	for _, id := range s.domains {
		b.keys[id] = s.keys.ring.DomainKey(id)
	}
	var err error
	if b.stmt, err = s.prepareBaseline(ctx); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.stmt.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/domains/{id}/scores", b.score)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	b.url = "http://" + ln.Addr().String()
	go b.srv.Serve(ln)
	return b, nil
}

// token is the bearer token the bare server accepts.
func (b *bareServer) token() string { return string(b.secret) }

func (b *bareServer) close(ctx context.Context) {
	b.srv.Shutdown(context.WithoutCancel(ctx))
	b.stmt.Close()
}

// score answers one score: token, pseudonym, query, JSON.
func (b *bareServer) score(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), b.secret) != 1 {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	domain := r.PathValue("id")
	key, ok := b.keys[domain]
	if !ok {
		http.Error(w, `{"error":"no such domain"}`, http.StatusNotFound)
		return
	}
	var req struct {
		Subject string `json:"subject"`
		Purpose string `json:"purpose"`
		AsOf    string `json:"as_of"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.Subject == "" || req.Purpose == "" {
		http.Error(w, `{"error":"want subject, purpose and as_of"}`, http.StatusBadRequest)
		return
	}
	asOf, err := time.Parse(time.RFC3339Nano, req.AsOf)
	if err != nil {
		http.Error(w, `{"error":"as_of: want RFC 3339"}`, http.StatusBadRequest)
		return
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(req.Subject))
	var status string
	var score int64
	if err := b.stmt.QueryRowContext(r.Context(), asOf.UnixNano(), domain, mac.Sum(nil), baselineBase).Scan(&status, &score); err != nil {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	ans := bareAnswer{Domain: domain, Subject: req.Subject, Status: status}
	if status == "rated" {
		ans.Score = &score
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
}

// scoreOver asks a server (Probity's or the bare one) for a target's score
// and returns its status and score, as the SQL baseline writes them.
func scoreOver(ctx context.Context, client *http.Client, base, token string, t target, asOf time.Time) (sqlScore, error) {
	body := scoreBody(t, asOf)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+scorePath(t), strings.NewReader(body))
	if err != nil {
		return sqlScore{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return sqlScore{}, err
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(io.LimitReader(resp.Body, 1<<24))
	if err != nil {
		return sqlScore{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return sqlScore{}, fmt.Errorf("POST %s%s: %s: %s", base, scorePath(t), resp.Status, strings.TrimSpace(string(buf[:min(len(buf), 512)])))
	}
	var ans struct {
		Status string `json:"status"`
		Score  *int64 `json:"score"`
	}
	if err := json.Unmarshal(buf, &ans); err != nil {
		return sqlScore{}, fmt.Errorf("POST %s%s: %w", base, scorePath(t), err)
	}
	q := sqlScore{status: probity.Status(ans.Status)}
	if ans.Score != nil {
		q.score = *ans.Score
	} else if ans.Status == "rated" {
		return q, errors.New("a rated answer without a score")
	}
	return q, nil
}

// scorePath and scoreBody are a score request of the API for a target.
func scorePath(t target) string { return "/v1/domains/" + t.domain + "/scores" }
func scoreBody(t target, asOf time.Time) string {
	return fmt.Sprintf(`{"subject":%q,"purpose":%q,"as_of":%q}`, t.subject, Purpose, asOf.Format(time.RFC3339Nano))
}
