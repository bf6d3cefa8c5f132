package derive

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/metric"
)

// MinShare is the share of the requests under which a route goes into
// the scenario only with Options.All.
const MinShare = 0.005

// Options are derive's choices.
type Options struct {
	// Out is the scenario file to write; its feeds go into the folder
	// beside it named after it: from-prod.yaml → from-prod.data/.
	Out string
	// All keeps routes under MinShare of the requests.
	All bool
	// Growth is the multiple of the peak minute's rate the prelaunch ramp
	// ends at (default 10).
	Growth float64
	// FeedRows is the most rows a feed keeps, the most frequent first.
	FeedRows int
	// Weights writes each feed row's count in a weight column, so rows
	// are drawn as often as they were seen; without, every row alike.
	Weights bool
}

// Derived is the scenario derived from a Traffic, ready to be written.
type Derived struct {
	Scenario  []byte
	Feeds     []Feed
	Endpoints []Endpoint
	// Left counts the routes (and their requests) under MinShare left out.
	LeftRoutes   int
	LeftRequests uint64
	MeanPerSec   float64
	PeakMinute   Peak
	PeakSecond   Peak
}

// Feed is one endpoint's feed file.
type Feed struct {
	Path string // where the scenario expects it
	Data []byte
	Rows int
	// Distinct is how many distinct rows were seen (at least; Exact says
	// whether the count is exact), Covered the share of the route's
	// requests the rows written carried.
	Distinct int
	Exact    bool
	Covered  float64
}

// Endpoint is one route as an endpoint of the scenario.
type Endpoint struct {
	Name     string
	Route    string // "GET /api/customers/{{.id}}/history"
	Requests uint64
	Share    float64 // of all requests
	Weight   int
	// Service holds p50, p95 and max of the route's service times when the
	// log has them.
	Service *[3]time.Duration
}

// Peak is the busiest minute or second of the logs.
type Peak struct {
	At       time.Time
	Requests uint64
}

// Plan turns the traffic into a scenario and its feeds.
func Plan(t *Traffic, o Options) (*Derived, error) {
	if o.Growth <= 0 {
		o.Growth = 10
	}
	d := &Derived{}
	d.PeakMinute, d.PeakSecond = t.peaks()
	span := t.Last.Sub(t.First).Seconds()
	d.MeanPerSec = float64(t.Requests) / max(span, 1)
	routes := slices.Clone(t.order)
	slices.SortStableFunc(routes, func(a, b *route) int {
		if a.count != b.count {
			if a.count > b.count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	stem := strings.TrimSuffix(filepath.Base(o.Out), filepath.Ext(o.Out))
	names := map[string]bool{}
	for _, rt := range routes {
		share := float64(rt.count) / float64(t.Requests)
		if share < MinShare && !o.All {
			d.LeftRoutes++
			d.LeftRequests += rt.count
			continue
		}
		e := Endpoint{Name: uniqueName(endpointName(rt.key), names), Route: rt.key, Requests: rt.count, Share: share,
			Weight: max(int(math.Round(share*10000)), 1)}
		if rt.service != nil && rt.service.n > 0 {
			e.Service = &[3]time.Duration{rt.service.quantile(0.5), rt.service.quantile(0.95), rt.service.max}
		}
		d.Endpoints = append(d.Endpoints, e)
		if rt.values != nil {
			d.Feeds = append(d.Feeds, feedOf(rt, stem+".data/"+e.Name+".csv", o))
		}
	}
	if len(d.Endpoints) == 0 {
		return nil, fmt.Errorf("no route carries %.1f %% of the requests (%d routes): pass --all to keep them all", MinShare*100, len(routes))
	}
	peakPerSec := float64(d.PeakMinute.Requests) / 60
	if top := peakPerSec * o.Growth; top > 1_000_000 {
		return nil, fmt.Errorf("--growth %g: %g × the peak of %.1f/s is above 1,000,000/s", o.Growth, o.Growth, peakPerSec)
	}
	d.Scenario = d.scenarioText(t, o, stem, peakPerSec)
	return d, nil
}

func uniqueName(base string, used map[string]bool) string {
	if metric.EndpointOf(metric.OfEndpoint(base, "max")) != base {
		base += "-route" // a name such as p95 would read as a metric
	}
	n := base
	for i := 2; used[n]; i++ {
		n = base + "-" + strconv.Itoa(i)
	}
	used[n] = true
	return n
}

// feedOf is the feed file of a route with placeholders: its most frequent
// rows, with their counts as weights.
func feedOf(rt *route, path string, o Options) Feed {
	top := rt.values.top(o.FeedRows)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := slices.Clone(rt.columns)
	if o.Weights {
		header = append(header, "weight")
	}
	w.Write(header)
	var covered uint64
	for _, e := range top {
		row := strings.Split(e.value, "\x00")
		if o.Weights {
			row = append(row, strconv.FormatUint(e.count, 10))
		}
		w.Write(row)
		covered += e.count
	}
	w.Flush()
	return Feed{Path: path, Data: b.Bytes(), Rows: len(top), Distinct: len(rt.values.heap), Exact: rt.values.exact(),
		Covered: float64(covered) / float64(rt.values.total)}
}

// peaks returns the busiest clock minute and second.
func (t *Traffic) peaks() (minute, second Peak) {
	for hour, secs := range t.seconds {
		for m := range 60 {
			var n uint64
			for s := m * 60; s < m*60+60; s++ {
				c := uint64(secs[s])
				n += c
				at := time.Unix(hour*3600+int64(s), 0).UTC()
				if c > second.Requests || c == second.Requests && c > 0 && at.Before(second.At) {
					second = Peak{At: at, Requests: c}
				}
			}
			at := time.Unix(hour*3600+int64(m*60), 0).UTC()
			if n > minute.Requests || n == minute.Requests && n > 0 && at.Before(minute.At) {
				minute = Peak{At: at, Requests: n}
			}
		}
	}
	return minute, second
}

// fileRate writes a rate per second as a scenario file takes it, in the
// unit that keeps it readable: 20/s, 0.5/s, 40/min, 3/h.
func fileRate(perSec float64) string {
	round := func(x float64) string {
		// Three significant digits, never an exponent.
		p := math.Pow(10, 2-math.Floor(math.Log10(x)))
		return strconv.FormatFloat(math.Round(x*p)/p, 'f', -1, 64)
	}
	switch {
	case perSec >= 1:
		return round(perSec) + "/s"
	case perSec*60 >= 1:
		return round(perSec*60) + "/min"
	default:
		return round(max(perSec*3600, 0.01)) + "/h"
	}
}
