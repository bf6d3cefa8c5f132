package derive

import (
	"bytes"
	"strings"
	"time"
)

// Limits on what reading keeps, so that memory follows the number of
// routes and feed rows, never the number of requests.
const (
	// MaxLine is the longest line read; longer ones are skipped and
	// counted.
	MaxLine = 64 << 10
	// MaxRoutes is the most routes kept; requests of further routes are
	// counted together as other routes.
	MaxRoutes = 200
	// maxSecondsHours bounds the per-second counts (for the peaks) to 62
	// days of hours with traffic, 14 KiB each.
	maxSecondsHours = 62 * 24
	// showUnreadable is how many unreadable lines are shown.
	showUnreadable = 3
)

// Traffic is what the logs held, aggregated.
type Traffic struct {
	Files    []FileStats
	Requests uint64
	First    time.Time
	Last     time.Time
	Statuses [6]uint64 // by class: Statuses[2] counts 2xx
	// OtherRoutes counts requests of routes past MaxRoutes.
	OtherRoutes uint64

	routes  map[string]*route
	order   []*route // in order of first sighting
	seconds map[int64]*[3600]uint32
	// secondsDropped counts requests in hours past maxSecondsHours, left
	// out of the peaks.
	secondsDropped uint64
	feedCap        int // values tracked per route, Options.FeedRows × 2

	key  bytes.Buffer // scratch
	vals []string
}

// FileStats is what reading one file found.
type FileStats struct {
	Name     string
	Format   string
	Requests uint64
	// Skipped counts journal lines that are not access lines (the
	// service's own messages).
	Skipped uint64
	// Unreadable counts lines of no known form; Shown holds the first
	// few, as "file:line: text".
	Unreadable uint64
	Shown      []string
	// TooLong counts lines over MaxLine, skipped.
	TooLong uint64
}

// route is one route's figures.
type route struct {
	key     string // "GET /api/customers/{{.id}}/history"
	columns []string
	count   uint64
	service *serviceHist // nil until a line gives a service time
	values  *topK        // nil without placeholders
}

func newTraffic(feedRows int) *Traffic {
	return &Traffic{
		routes:  map[string]*route{},
		seconds: map[int64]*[3600]uint32{},
		feedCap: max(2*feedRows, 100),
	}
}

// add counts one request.
func (t *Traffic) add(r *request) {
	t.Requests++
	if t.First.IsZero() || r.at.Before(t.First) {
		t.First = r.at
	}
	if r.at.After(t.Last) {
		t.Last = r.at
	}
	t.Statuses[r.status/100]++
	t.countSecond(r.at)

	t.vals = split(r.method, r.target, &t.key, t.vals[:0], nil)
	rt, ok := t.routes[string(t.key.Bytes())]
	if !ok {
		if len(t.routes) >= MaxRoutes {
			t.OtherRoutes++
			return
		}
		rt = &route{key: t.key.String()}
		split(r.method, r.target, &t.key, nil, &rt.columns)
		if len(rt.columns) > 0 {
			rt.values = newTopK(t.feedCap)
		}
		t.routes[rt.key] = rt
		t.order = append(t.order, rt)
	}
	rt.count++
	if r.service >= 0 {
		if rt.service == nil {
			rt.service = &serviceHist{}
		}
		rt.service.add(r.service)
	}
	if rt.values != nil {
		rt.values.add([]byte(strings.Join(t.vals, "\x00")))
	}
}

func (t *Traffic) countSecond(at time.Time) {
	s := at.Unix()
	hour := s / 3600
	if s < 0 {
		hour-- // floor for times before 1970
	}
	h := t.seconds[hour]
	if h == nil {
		if len(t.seconds) >= maxSecondsHours {
			t.secondsDropped++
			return
		}
		h = &[3600]uint32{}
		t.seconds[hour] = h
	}
	h[s-hour*3600]++
}
