package http

import (
	"math"
	"net/http"
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

// withAuth authenticates the bearer token, if any, and attaches the actor.
// A request without a token goes on as anonymous: public routes serve it,
// and the services refuse it everywhere else, saying what is missing.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.limiter.allow("addr:"+remoteHost(r), 4) {
			tooMany(w, r, s.limiter)
			return
		}
		actor := probity.Actor{ID: "anonymous@" + remoteHost(r)}
		ctx := probity.NewContextWithActor(r.Context(), actor)
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="probity"`)
				Error(w, r, probity.Errorf(probity.EUNAUTHORIZED, "Authorization: want \"Bearer <token>\""))
				return
			}
			a, err := s.Access.Authenticate(ctx, strings.TrimSpace(token))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="probity", error="invalid_token"`)
				Error(w, r, err)
				return
			}
			if !s.limiter.allow("principal:"+a.Principal.ID, 1) {
				tooMany(w, r, s.limiter)
				return
			}
			ctx, actor = probity.NewContextWithActor(r.Context(), a), a
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.actor = actor.ID
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func tooMany(w http.ResponseWriter, r *http.Request, l *limiter) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusTooManyRequests, map[string]map[string]string{"error": {"code": "rate_limited",
		"message": "too many requests; wait a second and retry (the limit is per principal)"}})
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
// factor; it reports false when the bucket is empty.
func (l *limiter) allow(key string, factor float64) bool {
	if l == nil || l.rate <= 0 {
		return true
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
		return false
	}
	b.tokens--
	return true
}

// sweep forgets buckets that have refilled.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
