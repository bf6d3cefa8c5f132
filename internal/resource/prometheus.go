package resource

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The process metrics of the Prometheus client libraries.
const (
	promCPU   = "process_cpu_seconds_total"
	promRSS   = "process_resident_memory_bytes"
	promStart = "process_start_time_seconds"
)

// promSource scrapes a Prometheus text exposition. Each label set of
// process_cpu_seconds_total is one process; its RSS is the
// process_resident_memory_bytes series with the same labels.
type promSource struct {
	url     string
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

// newPromSource scrapes rawURL; each scrape may take up to every, within
// 1–10 s.
// An https page's certificate is checked with tlsConf (nil: against the
// system's roots).
func newPromSource(rawURL string, every time.Duration, tlsConf *tls.Config) (source, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("resources.prometheus: %v", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf
	}
	s := &promSource{
		url:     rawURL,
		client:  &http.Client{Transport: tr},
		timeout: min(max(every, time.Second), 10*time.Second),
		now:     time.Now,
	}
	return s, "prometheus " + u.Redacted(), nil
}

func (s *promSource) close() { s.client.CloseIdleConnections() }

func (s *promSource) read(ctx context.Context) (reading, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return reading{}, failure(KindScrape, "%v", err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := s.client.Do(req)
	if err != nil {
		return reading{}, failure(KindScrape, "%v", err)
	}
	// The target computes its figures before it answers: the time the
	// answer came is when they held.
	at := s.now()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return reading{}, failure(KindScrape, "%s: %s", s.url, resp.Status)
	}
	r, err := parseExposition(io.LimitReader(resp.Body, 32<<20), at)
	if err != nil {
		return reading{}, failure(KindScrape, "%s: %v", s.url, err)
	}
	return r, nil
}

// parseExposition reads the process metrics from a text exposition taken
// at at.
func parseExposition(in io.Reader, at time.Time) (reading, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(in)
	if err != nil {
		return reading{}, err
	}
	cpu := mfs[promCPU]
	if cpu == nil {
		return reading{}, fmt.Errorf("no %s in the exposition", promCPU)
	}
	rss := seriesByLabels(mfs[promRSS])
	start := seriesByLabels(mfs[promStart])
	// One scrape may reach one of several workers and list only its own
	// series: a series missing from it keeps its last counter.
	r := reading{at: at, keepMissing: true}
	var noRSS []string
	for _, m := range cpu.GetMetric() {
		labels := labelString(m.GetLabel())
		sec := value(m)
		if math.IsNaN(sec) || sec < 0 {
			continue
		}
		p := procReading{
			key: labels,
			at:  at,
			cpu: time.Duration(math.Round(sec * float64(time.Second))),
		}
		if st, ok := start[labels]; ok {
			// A restarted process is a new one, as a new pid would be.
			p.key += "@" + strconv.FormatFloat(st, 'f', -1, 64)
		}
		p.name = "process"
		if labels != "" {
			p.name = "process" + labels
		}
		for _, l := range m.GetLabel() {
			if l.GetName() == "pid" {
				p.pid, _ = strconv.Atoi(l.GetValue())
			}
		}
		if b, ok := rss[labels]; ok && b >= 0 && !math.IsInf(b, 0) {
			p.rss = uint64(b)
		} else {
			noRSS = append(noRSS, labels)
		}
		r.procs = append(r.procs, p)
	}
	if len(noRSS) > 0 {
		// One failure per scrape, however many series lack their RSS.
		r.errs = append(r.errs, failure(KindScrape, "no %s for %s in the exposition", promRSS, strings.Join(noRSS, ", ")))
	}
	slices.SortFunc(r.procs, func(a, b procReading) int { return strings.Compare(a.key, b.key) })
	return r, nil
}

func seriesByLabels(mf *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		out[labelString(m.GetLabel())] = value(m)
	}
	return out
}

// value is a sample's value whatever the family's declared type.
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return math.NaN()
}

// labelString writes labels as {a="x",b="y"}, sorted; "" for none.
func labelString(ls []*dto.LabelPair) string {
	if len(ls) == 0 {
		return ""
	}
	pairs := make([]string, len(ls))
	for i, l := range ls {
		pairs[i] = l.GetName() + "=" + strconv.Quote(l.GetValue())
	}
	slices.Sort(pairs)
	return "{" + strings.Join(pairs, ",") + "}"
}
