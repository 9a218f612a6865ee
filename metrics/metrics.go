// Package metrics exposes a serving installation's figures to Prometheus
// (github.com/prometheus/client_golang): requests by route pattern and
// status with their latency, events ingested, leaves appended per log,
// refusals by what was asked, each log's checkpoint age and unsigned
// leaves, the witnesses' lag, and the database pools' use. It observes the
// services through probity.Observer and reads the rest when scraped; no
// label ever carries a subject, a path or a token.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/bureau"
)

// Metrics is the installation's registry and the series it writes.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
	leaves   *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

var _ probity.Observer = (*Metrics)(nil)

// Source is what the metrics read when scraped: the logs' states, the
// witnesses' report (nil without witnesses) and the pools' use.
type Source interface {
	LogStates(ctx context.Context) ([]bureau.LogState, error)
	WitnessReport(ctx context.Context) (*bureau.WitnessReport, error)
}

// Pools reports the database pools' use (sqlstore.DB).
type Pools interface {
	PoolStats() (write, read sql.DBStats)
}

// New returns the metrics, reading src and pools when scraped (either may
// be nil), with the Go runtime's and the process's own series.
func New(src Source, pools Pools) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probity_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status."}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "probity_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route pattern.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probity_events_ingested_total",
			Help: "Events stored by ingests, by domain."}, []string{"domain"}),
		leaves: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probity_log_leaves_appended_total",
			Help: "Leaves committed to each audit log."}, []string{"log"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probity_refusals_total",
			Help: "Refused requests, by what was asked (authenticate, reading scores, ...)."}, []string{"reason"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.events, m.leaves, m.refusals,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src != nil {
		m.reg.MustRegister(&logCollector{src: src})
	}
	if pools != nil {
		m.reg.MustRegister(&poolCollector{pools: pools})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest counts an answered request.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, statusText(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// EventsIngested counts the events an ingest stored.
func (m *Metrics) EventsIngested(domain string, n int) {
	m.events.WithLabelValues(domain).Add(float64(n))
}

// LeavesAppended counts the leaves a transaction committed to a log.
func (m *Metrics) LeavesAppended(log string, n int) { m.leaves.WithLabelValues(log).Add(float64(n)) }

// Refused counts a refusal.
func (m *Metrics) Refused(op string) { m.refusals.WithLabelValues(op).Inc() }

func statusText(status int) string {
	const digits = "0123456789"
	if status < 100 || status > 999 {
		return "other"
	}
	return string([]byte{digits[status/100], digits[status/10%10], digits[status%10]})
}

// logCollector reads each log's checkpoint when scraped.
type logCollector struct{ src Source }

var (
	descCheckpointAge = prometheus.NewDesc("probity_log_checkpoint_age_seconds",
		"Seconds since each log's latest checkpoint was signed.", []string{"log"}, nil)
	descUnsigned = prometheus.NewDesc("probity_log_unsigned_leaves",
		"Leaves of each log beyond its latest checkpoint.", []string{"log"}, nil)
	descLogSize = prometheus.NewDesc("probity_log_leaves",
		"Leaves in each log.", []string{"log"}, nil)
	descWitnessLag = prometheus.NewDesc("probity_witness_lag_leaves",
		"Leaves of the installation log's latest checkpoint that the witnesses' quorum has not cosigned yet.", nil, nil)
	descScrapeError = prometheus.NewDesc("probity_metrics_read_errors",
		"1 when the logs' or witnesses' state could not be read for this scrape.", nil, nil)
)

func (c *logCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCheckpointAge
	ch <- descUnsigned
	ch <- descLogSize
	ch <- descWitnessLag
	ch <- descScrapeError
}

func (c *logCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed := 0.0
	states, err := c.src.LogStates(ctx)
	if err != nil {
		failed = 1
	}
	now := time.Now()
	for _, st := range states {
		ch <- prometheus.MustNewConstMetric(descLogSize, prometheus.GaugeValue, float64(st.Size), st.Name)
		ch <- prometheus.MustNewConstMetric(descUnsigned, prometheus.GaugeValue, float64(st.Size-min(st.Size, st.CheckpointSize)), st.Name)
		if !st.CheckpointAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(descCheckpointAge, prometheus.GaugeValue, now.Sub(st.CheckpointAt).Seconds(), st.Name)
		}
	}
	if r, err := c.src.WitnessReport(ctx); err != nil {
		failed = 1
	} else if r != nil {
		ch <- prometheus.MustNewConstMetric(descWitnessLag, prometheus.GaugeValue, float64(r.Behind))
	}
	ch <- prometheus.MustNewConstMetric(descScrapeError, prometheus.GaugeValue, failed)
}

// poolCollector reads the database pools' use when scraped.
type poolCollector struct{ pools Pools }

var (
	descPoolOpen  = prometheus.NewDesc("probity_db_connections_open", "Open database connections, by pool.", []string{"pool"}, nil)
	descPoolInUse = prometheus.NewDesc("probity_db_connections_in_use", "Database connections in use, by pool.", []string{"pool"}, nil)
	descPoolWaits = prometheus.NewDesc("probity_db_connection_waits_total", "Waits for a free database connection, by pool.", []string{"pool"}, nil)
)

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPoolOpen
	ch <- descPoolInUse
	ch <- descPoolWaits
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	w, r := c.pools.PoolStats()
	for _, p := range []struct {
		name string
		s    sql.DBStats
	}{{"write", w}, {"read", r}} {
		ch <- prometheus.MustNewConstMetric(descPoolOpen, prometheus.GaugeValue, float64(p.s.OpenConnections), p.name)
		ch <- prometheus.MustNewConstMetric(descPoolInUse, prometheus.GaugeValue, float64(p.s.InUse), p.name)
		ch <- prometheus.MustNewConstMetric(descPoolWaits, prometheus.CounterValue, float64(p.s.WaitCount), p.name)
	}
}
