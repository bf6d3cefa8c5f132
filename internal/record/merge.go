package record

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Merge combines the summaries of shards of one run, which measured
// disjoint shares of one schedule, into the summary one recorder would
// have made: histograms are merged exactly (the percentiles are those of
// every request), counters summed, and rates taken over the window from
// the earliest start to the latest end. Per-second timelines are aligned
// by wall time, to the whole second; a row's count is exact, its
// percentiles are the highest of the shards' for that second (a row keeps
// no histogram). InflightMax is the sum of the shards' peaks: an upper
// bound, as the peaks need not coincide.
func Merge(parts []Summary) (Summary, error) {
	if len(parts) == 0 {
		return Summary{}, fmt.Errorf("merge: no summaries")
	}
	var s Summary
	var end time.Time
	for _, p := range parts {
		if p.Start.IsZero() {
			continue
		}
		if s.Start.IsZero() || p.Start.Before(s.Start) {
			s.Start = p.Start
		}
		if e := p.Start.Add(p.Elapsed); e.After(end) {
			end = e
		}
		s.InflightMax += p.InflightMax
	}
	if !s.Start.IsZero() {
		s.Elapsed = end.Sub(s.Start)
	}
	shift := make([]int, len(parts))
	for i, p := range parts {
		if !p.Start.IsZero() {
			shift[i] = int(p.Start.Sub(s.Start).Round(time.Second) / time.Second)
		}
	}
	var err error
	s.Total, err = mergeEndpoint(parts, shift, s.Elapsed, func(p Summary) (EndpointSummary, bool) { return p.Total, true })
	if err != nil {
		return Summary{}, err
	}
	for _, e := range parts[0].Endpoints {
		m, err := mergeEndpoint(parts, shift, s.Elapsed, func(p Summary) (EndpointSummary, bool) { return p.Endpoint(e.Name) })
		if err != nil {
			return Summary{}, err
		}
		s.Endpoints = append(s.Endpoints, m)
	}
	return s, nil
}

// mergeEndpoint merges one endpoint, picked from each part by pick, over
// the merged window el.
func mergeEndpoint(parts []Summary, shift []int, el time.Duration, pick func(Summary) (EndpointSummary, bool)) (EndpointSummary, error) {
	var m EndpointSummary
	resp, service, errResp := NewHistogram(), NewHistogram(), NewHistogram()
	kinds := map[string]*ErrorCount{}
	rows := map[int]*Second{}
	busy := 0.0    // the time requests spent in flight, in seconds
	inPhase := 0.0 // successes completed within the measured phase
	for i, p := range parts {
		e, ok := pick(p)
		if !ok {
			continue
		}
		m.Name = e.Name
		m.Requests += e.Requests
		m.Errors += e.Errors
		m.Late += e.Late
		m.BytesIn += e.BytesIn
		m.BytesOut += e.BytesOut
		m.OutOfRange += e.OutOfRange
		m.AfterPhase += e.AfterPhase
		busy += e.InflightMean * p.Elapsed.Seconds()
		inPhase += math.Round(e.Achieved * p.Elapsed.Seconds())
		if err := mergeHists(e, resp, service, errResp); err != nil {
			return EndpointSummary{}, err
		}
		for c, n := range e.Codes {
			if m.Codes == nil {
				m.Codes = map[string]uint64{}
			}
			m.Codes[c] += n
		}
		for _, k := range e.ErrorKinds {
			if kc := kinds[k.Kind]; kc != nil {
				kc.Count += k.Count
			} else {
				kc := k
				kinds[k.Kind] = &kc
			}
		}
		for _, r := range e.Timeline {
			addRow(rows, r, shift[i])
		}
	}
	if m.Codes == nil {
		m.Codes = map[string]uint64{}
	}
	if el > 0 {
		m.Rate = float64(m.Requests) / el.Seconds()
		m.InflightMean = busy / el.Seconds()
		m.Achieved = inPhase / el.Seconds()
	}
	m.Latency, m.Service, m.ErrorLatency = resp.Percentiles(), service.Percentiles(), errResp.Percentiles()
	m.LatencyHist, _ = resp.Encode()
	m.ServiceHist, _ = service.Encode()
	if errResp.Count() > 0 {
		m.ErrorHist, _ = errResp.Encode()
	}
	for _, k := range kinds {
		m.ErrorKinds = append(m.ErrorKinds, *k)
	}
	sortKinds(m.ErrorKinds)
	m.Timeline = timeline(rows)
	return m, nil
}

// mergeHists adds e's encoded histograms: latency and service times must
// be there for any request, the failures' only when some failed.
func mergeHists(e EndpointSummary, resp, service, errResp *Histogram) error {
	for _, h := range []struct {
		into     *Histogram
		enc      string
		optional bool
	}{{resp, e.LatencyHist, false}, {service, e.ServiceHist, false}, {errResp, e.ErrorHist, true}} {
		if h.enc == "" {
			if e.Requests > 0 && !h.optional {
				return fmt.Errorf("merge: endpoint %s: a summary without its histograms cannot be merged exactly", e.Name)
			}
			continue
		}
		d, err := DecodeHistogram(h.enc)
		if err != nil {
			return fmt.Errorf("merge: endpoint %s: %v", e.Name, err)
		}
		h.into.Merge(d)
	}
	return nil
}

// sortKinds orders error kinds most frequent first, then by name.
func sortKinds(ks []ErrorCount) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Count != ks[j].Count {
			return ks[i].Count > ks[j].Count
		}
		return ks[i].Kind < ks[j].Kind
	})
}

// addRow adds a shard's timeline row, shifted to the merged clock.
func addRow(rows map[int]*Second, r Second, shift int) {
	t := r.T + shift
	m := rows[t]
	if m == nil {
		m = &Second{T: t}
		rows[t] = m
	}
	m.Requests += r.Requests
	m.Errors += r.Errors
	m.P50, m.P95, m.P99 = max(m.P50, r.P50), max(m.P95, r.P95), max(m.P99, r.P99)
}

// timeline returns the rows in order, with empty rows for seconds no shard
// had.
func timeline(rows map[int]*Second) []Second {
	if len(rows) == 0 {
		return nil
	}
	lo, hi := 0, 0
	first := true
	for t := range rows {
		if first || t < lo {
			lo = t
		}
		if first || t > hi {
			hi = t
		}
		first = false
	}
	out := make([]Second, 0, hi-lo+1)
	for t := lo; t <= hi; t++ {
		if r := rows[t]; r != nil {
			out = append(out, *r)
		} else {
			out = append(out, Second{T: t})
		}
	}
	return out
}
