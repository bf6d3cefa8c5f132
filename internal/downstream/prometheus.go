package downstream

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// maxExpositionBytes bounds a metrics page.
const maxExpositionBytes = 32 << 20

// promCounter reads one counter of a metrics page, summed over the series
// whose labels match.
type promCounter struct {
	spec   scenario.PrometheusSpec
	client *http.Client
}

func newPrometheus(s scenario.PrometheusSpec) *promCounter {
	return &promCounter{spec: s, client: &http.Client{Timeout: readTimeout}}
}

func (c *promCounter) Read(ctx context.Context) (Reading, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.spec.URL, nil)
	if err != nil {
		return Reading{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := c.client.Do(req)
	if err != nil {
		return Reading{}, fmt.Errorf("scrape %s: %v — start the exporter, or fix the url", c.spec.URL, err)
	}
	at := time.Now()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return Reading{}, fmt.Errorf("scrape %s: %s", c.spec.URL, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxExpositionBytes))
	if err != nil {
		return Reading{}, fmt.Errorf("scrape %s: %v", c.spec.URL, err)
	}
	rd, err := sumCounter(mfs, c.spec)
	rd.At, rd.Source = at, SourcePrometheus
	return rd, err
}

// sumCounter sums the series of the spec's counter whose labels match;
// By splits the sum by series.
func sumCounter(mfs map[string]*dto.MetricFamily, s scenario.PrometheusSpec) (Reading, error) {
	mf := mfs[s.Counter]
	if mf == nil {
		mf = mfs[strings.TrimSuffix(s.Counter, "_total")]
	}
	if mf == nil {
		return Reading{}, fmt.Errorf("%s has no metric %s — name a counter the page lists", s.URL, s.Counter)
	}
	rd := Reading{By: map[string]float64{}}
	matched := 0
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		var key []string
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
			key = append(key, l.GetName()+"="+l.GetValue())
		}
		if !matches(labels, s.Labels) {
			continue
		}
		v := seriesValue(m)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		matched++
		rd.Total += v
		rd.By[truncKey(strings.Join(key, ","))] += v
	}
	if matched == 0 {
		return Reading{}, fmt.Errorf("%s: no series of %s has the labels %v — fix the labels to match one", s.URL, s.Counter, s.Labels)
	}
	return rd, nil
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func seriesValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return math.NaN()
}

func (c *promCounter) Close() error {
	c.client.CloseIdleConnections()
	return nil
}
