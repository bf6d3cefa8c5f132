package resource

import (
	"cmp"
	"slices"
	"time"
)

// cpuPercent converts CPU time used over a wall-clock interval into percent
// of one core. It is the one place where CPU time becomes a percentage;
// sources deliver CPU time as a time.Duration (procfs ticks through
// ProcStat.CPUTime, cgroup usage_usec, Prometheus seconds).
func cpuPercent(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * float64(cpu) / float64(wall)
}

// interval is one sampling interval of one process: the wall time it spans
// and the CPU time the process used in it. A process absent for an
// interval (not started yet, exited) has cpu 0 over the interval's wall
// time, so that every process's intervals line up with the readings.
type interval struct {
	wall, cpu time.Duration
}

// windowMean returns the mean CPU, in percent of one core, over the latest
// intervals of iv that together span window. An interval counts in when at
// least half of it fits, so 30 intervals of 1s, or of 0.999s, make a 30s
// window. full reports whether iv spans the window; when it does not, mean
// is over all of iv.
func windowMean(iv []interval, window time.Duration) (mean float64, full bool) {
	var cpu, wall time.Duration
	for i := len(iv) - 1; i >= 0; i-- {
		if wall+iv[i].wall/2 > window {
			return cpuPercent(cpu, wall), true
		}
		cpu += iv[i].cpu
		wall += iv[i].wall
	}
	full = len(iv) > 0 && wall+iv[0].wall/2 > window
	return cpuPercent(cpu, wall), full
}

// rolling keeps the highest full-window mean of one series, and the mean
// of the whole series until a full window exists.
type rolling struct {
	best float64 // highest full-window mean
	full bool    // best is set
	mean float64 // mean of the whole series while !full
}

// add updates r after iv gained one interval at its end.
func (r *rolling) add(iv []interval, window time.Duration) {
	m, full := windowMean(iv, window)
	switch {
	case full && (!r.full || m > r.best):
		r.best, r.full = m, true
	case !full:
		r.mean = m
	}
}

func (r *rolling) value() float64 {
	if r.full {
		return r.best
	}
	return r.mean
}

// procReading is one process (or Prometheus series) in one reading.
type procReading struct {
	// key identifies the process across readings: pid and start time, so
	// that a reused pid is a new process.
	key  string
	pid  int
	name string
	role string
	// at is when the process was read, on the monotonic clock.
	at time.Time
	// started is when the process started, on the same clock; zero when
	// unknown. A process that started after the previous reading is
	// credited with all of its CPU time in its first interval.
	started time.Time
	cpu     time.Duration // cumulative CPU time
	rss     uint64        // bytes
	// exited is set when the reading is the process's last (a zombie):
	// cpu is final.
	exited bool
	// failed is set when the process is known to be alive but could not
	// be read; the other fields except key are unset.
	failed bool
}

// groupReading is what a source measures of the whole group itself (a
// cgroup), used for the totals instead of the sum over processes.
type groupReading struct {
	cpu    time.Duration // cumulative
	mem    uint64        // bytes
	hasMem bool          // false: the sum of the processes' RSS stands in
}

// reading is one sample of a source.
type reading struct {
	at    time.Time // when the reading began, on the monotonic clock
	procs []procReading
	group *groupReading
	errs  []error // failures that did not spoil the whole reading
	// keepMissing says that a process missing from this reading may still
	// run: a Prometheus scrape answered by one of several workers lists
	// only that worker's series. Its baseline is kept for staleAfter.
	keepMissing bool
}

// track is tally's state for one process.
type track struct {
	row         Process
	last        procReading // the baseline of the next interval
	based       bool        // last holds a baseline
	gone        bool
	ivs         []interval
	live        time.Duration // wall time while present, for CPUMean
	used        time.Duration // CPU time while present
	rss         uint64        // in the latest reading, 0 when absent
	sustain     rolling
	intervalPct float64 // CPU % in the latest interval
}

// tally turns readings into live figures and the Summary. It is not safe
// for concurrent use; Sampler guards it.
type tally struct {
	window time.Duration

	n      int // readings added
	t0     time.Time
	prevAt time.Time
	walls  []time.Duration // of each interval between readings

	tracks []*track // in order of appearance
	byKey  map[string]*track
	group  *track // whole-group totals, for group sources

	cpuSum        time.Duration // CPU time of all processes (or the group)
	wallSum       time.Duration
	rssTotalPeak  uint64
	rssMaxProcess uint64
	timeline      []Sample
	errs          map[string]*SampleError
	failedSamples int // readings that failed or were partial

	// staleAfter is how long a track missing from readings that keep
	// missing tracks (reading.keepMissing) stays alive.
	staleAfter time.Duration
}

// restart starts every figure afresh from the latest reading, which
// stays the baseline of the next interval: the figures then cover only
// what follows. The timeline is kept whole.
func (t *tally) restart() {
	t.walls = nil
	t.cpuSum, t.wallSum = 0, 0
	t.rssTotalPeak, t.rssMaxProcess = 0, 0
	if n := len(t.timeline); n > 0 {
		t.rssTotalPeak = t.timeline[n-1].RSS
	}
	for _, tr := range append(t.tracks, t.group) {
		if tr == nil {
			continue
		}
		tr.ivs, tr.live, tr.used, tr.sustain = nil, 0, 0, rolling{}
		tr.row.RSSPeak = tr.rss
		t.rssMaxProcess = max(t.rssMaxProcess, tr.rss)
	}
}

func newTally(window time.Duration) *tally {
	return &tally{window: window, byKey: map[string]*track{}, errs: map[string]*SampleError{}, staleAfter: 30 * time.Second}
}

// fail records failures without a reading.
func (t *tally) fail(errs ...error) {
	for _, err := range errs {
		kind := errKind(err)
		e := t.errs[kind]
		if e == nil {
			e = &SampleError{Kind: kind, Example: err.Error()}
			t.errs[kind] = e
		}
		e.Count++
	}
}

// add takes one reading.
func (t *tally) add(r reading) {
	t.fail(r.errs...)
	first := t.n == 0
	var gwall time.Duration
	if first {
		t.t0 = r.at
	} else {
		gwall = r.at.Sub(t.prevAt)
		t.walls = append(t.walls, gwall)
	}

	var cpu time.Duration
	var rss uint64
	seen := make(map[*track]bool, len(r.procs))
	for _, p := range r.procs {
		c, m := t.addProc(p, r.at, first, gwall, seen)
		cpu += c
		rss += m
	}
	rss += t.addMissing(r, seen, first, gwall)
	if r.group != nil {
		cpu, rss = t.addGroup(*r.group, r.at, first, rss)
	}

	t.rssTotalPeak = max(t.rssTotalPeak, rss)
	if !first {
		t.record(r.at, cpu, rss, gwall)
	}
	t.prevAt = r.at
	t.n++
}

// addProc counts the reading of one process, taken in the reading at at.
// It returns the CPU time the process used since the previous reading and
// its RSS, for the totals; a process already counted in this reading
// (seen) adds nothing.
func (t *tally) addProc(p procReading, at time.Time, first bool, gwall time.Duration, seen map[*track]bool) (time.Duration, uint64) {
	tr := t.byKey[p.key]
	if tr == nil {
		if p.failed {
			return 0, 0
		}
		tr = t.newTrack(p, at)
	}
	if tr.gone || seen[tr] {
		return 0, 0
	}
	seen[tr] = true
	if p.role != "" && (tr.row.Role == "" || p.role == "master") {
		tr.row.Role = p.role
	}
	if p.failed {
		// Keep the baseline: the next interval spans this one too.
		if !first {
			tr.push(interval{}, t.window)
		}
		return 0, tr.rss
	}
	if p.name != "" {
		tr.row.Name = p.name
	}
	iv := t.since(tr, p, first, gwall)
	tr.last, tr.based = p, true
	if !first {
		tr.push(iv, t.window)
		tr.live += iv.wall
		tr.used += iv.cpu
	}
	tr.rss = p.rss
	tr.row.RSSPeak = max(tr.row.RSSPeak, p.rss)
	t.rssMaxProcess = max(t.rssMaxProcess, p.rss)
	if p.exited {
		tr.exit(at.Sub(t.t0))
	}
	return iv.cpu, p.rss
}

// since is the interval of process p since its track's baseline: none at
// the first reading; all its CPU time since it started when it started
// after the previous reading; idle over gwall when it was running before
// but is seen for the first time.
func (t *tally) since(tr *track, p procReading, first bool, gwall time.Duration) interval {
	switch {
	case first:
		return interval{}
	case tr.based:
		iv := interval{wall: p.at.Sub(tr.last.at), cpu: p.cpu - tr.last.cpu}
		if iv.cpu < 0 { // counter reset: a restart under the same identity
			iv.cpu = p.cpu
		}
		return iv
	case !p.started.IsZero() && p.started.After(t.prevAt):
		return interval{wall: p.at.Sub(t.prevAt), cpu: p.cpu}
	default:
		return interval{wall: gwall}
	}
}

// addMissing counts the tracks missing from reading r: each has exited,
// unless r keeps missing tracks and it was seen lately. It returns the RSS
// of those kept, for the total.
func (t *tally) addMissing(r reading, seen map[*track]bool, first bool, gwall time.Duration) uint64 {
	var rss uint64
	for _, tr := range t.tracks {
		if seen[tr] {
			continue
		}
		if r.keepMissing && !tr.gone && r.at.Sub(tr.last.at) <= t.staleAfter {
			// Missing from this scrape only: keep the baseline, so the next
			// interval spans this one and its CPU is not lost.
			if !first {
				tr.push(interval{}, t.window)
			}
			rss += tr.rss
			continue
		}
		if !tr.gone {
			tr.exit(r.at.Sub(t.t0))
		}
		if !first {
			tr.push(interval{wall: gwall}, t.window)
		}
	}
	return rss
}

// addGroup counts a group's own reading, taken at at, and returns the
// totals it gives: its CPU time since the previous reading, and its memory
// when it has any (else rss, the processes' sum, stands in).
func (t *tally) addGroup(gr groupReading, at time.Time, first bool, rss uint64) (time.Duration, uint64) {
	g := t.group
	if g == nil {
		g = &track{}
		t.group = g
	}
	var iv interval
	if g.based {
		iv = interval{wall: at.Sub(g.last.at), cpu: gr.cpu - g.last.cpu}
		if iv.cpu < 0 {
			iv.cpu = gr.cpu
		}
	}
	g.last, g.based = procReading{at: at, cpu: gr.cpu}, true
	if !first {
		g.push(iv, t.window)
	}
	if gr.hasMem {
		rss = gr.mem
	}
	return iv.cpu, rss
}

// record adds the totals of the interval ending at at to the run's sums
// and the timeline.
func (t *tally) record(at time.Time, cpu time.Duration, rss uint64, gwall time.Duration) {
	t.cpuSum += cpu
	t.wallSum += gwall
	s := Sample{
		T:             at.Sub(t.t0),
		CPU:           cpuPercent(cpu, gwall),
		RSS:           rss,
		PerProcess:    make([]float64, len(t.tracks)),
		PerProcessRSS: make([]uint64, len(t.tracks)),
	}
	for i, tr := range t.tracks {
		s.PerProcess[i] = tr.intervalPct
		s.PerProcessRSS[i] = tr.rss
	}
	t.timeline = append(t.timeline, s)
}

// newTrack starts tracking p, first seen in the reading at at. Its earlier
// intervals are padded as absent.
func (t *tally) newTrack(p procReading, at time.Time) *track {
	tr := &track{row: Process{PID: p.pid, Name: p.name, Role: p.role, Seen: at.Sub(t.t0)}}
	if t.n == 0 {
		tr.row.Seen = 0
	}
	for _, w := range t.walls[:max(len(t.walls)-1, 0)] {
		tr.push(interval{wall: w}, t.window)
	}
	t.tracks = append(t.tracks, tr)
	t.byKey[p.key] = tr
	return tr
}

func (tr *track) push(iv interval, window time.Duration) {
	tr.ivs = append(tr.ivs, iv)
	tr.sustain.add(tr.ivs, window)
	tr.intervalPct = cpuPercent(iv.cpu, iv.wall)
}

func (tr *track) exit(after time.Duration) {
	tr.gone = true
	tr.rss = 0
	tr.row.Exited = &after
}

// sustained is the highest rolling mean of the busiest process, or of the
// group when no process could be listed. A database the target starts for
// itself (role "postgres": titan's private cluster) is not the service
// whose one-core limit the gate is about, so its processes count only when
// nothing else was seen; they stay in the per-process rows and the totals.
func (t *tally) sustained() float64 {
	var s, db float64
	for _, tr := range t.tracks {
		if tr.row.Role == "postgres" {
			db = max(db, tr.sustain.value())
			continue
		}
		s = max(s, tr.sustain.value())
	}
	if s == 0 {
		s = db
	}
	if len(t.tracks) == 0 && t.group != nil {
		s = t.group.sustain.value()
	}
	return s
}

// summary returns the figures so far; the slices are copies.
func (t *tally) summary() Summary {
	s := Summary{
		Start:         t.t0,
		CPUSustained:  t.sustained(),
		CPUTotal:      cpuPercent(t.cpuSum, t.wallSum),
		Span:          t.wallSum,
		FailedSamples: t.failedSamples,
		RSSTotal:      t.rssTotalPeak,
		RSSMaxProcess: t.rssMaxProcess,
		Samples:       t.n,
		Processes:     make([]Process, len(t.tracks)),
		Timeline:      append([]Sample{}, t.timeline...),
	}
	for i, tr := range t.tracks {
		p := tr.row
		p.CPUMean = cpuPercent(tr.used, tr.live)
		p.CPUSustained = tr.sustain.value()
		if p.Exited != nil {
			e := *p.Exited
			p.Exited = &e
		}
		s.Processes[i] = p
	}
	for _, e := range t.errs {
		s.Errors = append(s.Errors, *e)
	}
	slices.SortFunc(s.Errors, func(a, b SampleError) int { return cmp.Compare(a.Kind, b.Kind) })
	return s
}
