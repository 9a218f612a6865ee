package http

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/probity-dev/probity"
)

// Rate limits by default: each principal (or, before authentication, each
// remote address) may make DefaultBurst requests at once and DefaultRate a
// second after that.
const (
	DefaultRate  = 50
	DefaultBurst = 100
)

// RefusalShare is the share of the rate limit an address has for tokens
// refused: at the defaults, a burst of 10 and then 5 a second; past it the
// address is answered 429. A refused token costs at most a lookup by its
// id; the service writes only the first refusal of each kind from a source
// in a minute as a leaf of its own and counts the rest into one leaf
// (bureau.RefusalWindow). A valid token from the same
// address is never held back by its neighbours' refusals (an address may be
// a whole office behind one proxy).
const RefusalShare = 0.1

// withAuth authenticates the bearer token, if any, and attaches the actor.
// A request without a token goes on as anonymous: public routes serve it,
// and the services refuse it everywhere else, saying what is missing.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor := probity.Actor{ID: "anonymous@" + remoteHost(r)}
		ctx := probity.NewContextWithActor(r.Context(), actor)
		h := r.Header.Get("Authorization")
		if h == "" {
			// anonymous callers share their address's bucket
			if wait, ok := s.limiter.allow("addr:"+remoteHost(r), 1); !ok {
				tooMany(w, r, wait)
				return
			}
		} else {
			ctx = probity.NewContextWithPresentation(ctx, presentation(r, h))
			a, err := s.authenticate(ctx, h)
			if err != nil {
				if wait, ok := s.limiter.allow("refused:"+remoteHost(r), RefusalShare); !ok {
					tooMany(w, r, wait)
					return
				}
				if wait, ok := s.limiter.allow("addr:"+remoteHost(r), 1); !ok {
					tooMany(w, r, wait)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="probity", error="invalid_token"`)
				Error(w, r, err)
				return
			}
			if wait, ok := s.limiter.allow("principal:"+a.Principal.ID, 1); !ok {
				tooMany(w, r, wait)
				return
			}
			ctx, actor = probity.NewContextWithActor(ctx, a), a
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.actor = actor.ID
			if actor.Subject != nil {
				// a subject's id would tie their requests together in
				// every domain: the access log names only the kind of caller
				rec.actor = "subject"
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticate returns the actor an Authorization header stands for. The
// header must be "Bearer <token>" as RFC 6750 has it: the scheme in any case,
// then one or more spaces. Any other header (a bare token, another scheme) is
// refused like a bad token, and the refusal recorded like one: the service
// is asked about the empty token, which it refuses and logs without a
// lookup, and the caller is told what to send.
func (s *Server) authenticate(ctx context.Context, header string) (probity.Actor, error) {
	token, err := bearerToken(header)
	if err == nil {
		return s.Access.Authenticate(ctx, token)
	}
	if _, denied := s.Access.Authenticate(ctx, ""); denied != nil && probity.ErrorCode(denied) != probity.EUNAUTHORIZED {
		return probity.Actor{}, denied // the refusal could not be recorded
	}
	return probity.Actor{}, err
}

// bearerToken returns the token of an Authorization header of the Bearer
// scheme (RFC 6750 section 2.1; RFC 7235: the scheme is case-insensitive and
// 1*SP separates it from the credentials). Its errors never quote the
// header: it may hold a secret.
func bearerToken(header string) (string, error) {
	const send = "send Authorization: Bearer <token>"
	scheme, token, ok := strings.Cut(header, " ")
	switch {
	case !ok && (strings.EqualFold(header, "Bearer") || strings.EqualFold(header, "DPoP")):
		return "", probity.Errorf(probity.EUNAUTHORIZED, "Authorization: %s has no token; %s", header, send)
	case !ok:
		return "", probity.Errorf(probity.EUNAUTHORIZED, "Authorization has a token without its scheme; %s", send)
	case strings.EqualFold(scheme, "DPoP"):
		// RFC 9449: a key-bound token of an identity provider, with its
		// proof in the DPoP header (checked with the token)
	case !strings.EqualFold(scheme, "Bearer"):
		return "", probity.Errorf(probity.EUNAUTHORIZED, "Authorization: only the Bearer scheme is accepted; %s", send)
	}
	if token = strings.TrimLeft(token, " "); token == "" {
		return "", probity.Errorf(probity.EUNAUTHORIZED, "Authorization: Bearer has no token; %s", send)
	}
	return token, nil
}

// tooMany answers 429, a problem with the code rate_limited, with the
// seconds until a request will be allowed.
func tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	body := problem(r, "rate_limited", fmt.Sprintf("too many requests; retry in %s (the limit is per principal)", wait.Round(time.Millisecond)), nil)
	body.Status, body.Title = http.StatusTooManyRequests, http.StatusText(http.StatusTooManyRequests)
	writeProblem(w, http.StatusTooManyRequests, body)
}

// limiter is a token bucket per key.
type limiter struct {
	rate  float64
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket, whose size and rate are scaled by
// factor; when the bucket is empty it reports false and how long until a
// token is back.
func (l *limiter) allow(key string, factor float64) (time.Duration, bool) {
	if l == nil || l.rate <= 0 {
		return 0, true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100000 {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst * factor, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst*factor, b.tokens+now.Sub(b.last).Seconds()*l.rate*factor)
	b.last = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / (l.rate * factor) * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// sweep forgets buckets that have refilled.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// presentation says how a request presented its token, for the checks of
// sender-constrained tokens: the method and URL a DPoP proof must name (the
// scheme as this server was reached, never as a header claims it), the
// proof, and the client certificate of a mutual TLS connection.
func presentation(r *http.Request, header string) probity.Presentation {
	scheme, _, _ := strings.Cut(header, " ")
	p := probity.Presentation{Method: r.Method, Scheme: scheme, DPoP: r.Header.Get("DPoP")}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
		if len(r.TLS.PeerCertificates) > 0 {
			sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
			p.CertSHA256 = sum[:]
		}
	}
	p.URL = proto + "://" + r.Host + r.URL.Path
	return p
}
