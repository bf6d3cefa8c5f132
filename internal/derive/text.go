package derive

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

const (
	timeLayout = "2006-01-02 15:04:05 UTC"
	// The prelaunch ramp: to today's peak, then to Growth × it, then a hold.
	rampToPeak   = 30 * time.Second
	rampToGrowth = 2 * time.Minute
	holdAtGrowth = time.Minute
)

// scenarioText writes the scenario file.
func (d *Derived) scenarioText(t *Traffic, o Options, stem string, peakPerSec float64) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Derived by loadcheck derive from %s.\n", fileNames(t))
	p("# %s – %s: %s requests, mean %s.\n", t.First.Format(timeLayout), t.Last.Format(timeLayout), thousands(t.Requests), fileRate(d.MeanPerSec))
	p("# Peak minute %s: %s (%s); peak second %s: %s.\n",
		d.PeakMinute.At.Format("2006-01-02 15:04 UTC"), plural(d.PeakMinute.Requests, "request"), fileRate(peakPerSec),
		d.PeakSecond.At.Format(timeLayout), plural(d.PeakSecond.Requests, "request"))
	if d.LeftRoutes > 0 {
		p("# %s under %.1f %% of the requests (%s in all) left out; derive --all keeps them.\n",
			plural(uint64(d.LeftRoutes), "route"), MinShare*100, plural(d.LeftRequests, "request"))
	}
	p("# target: ../targets/your-service.yaml   # or pass --target\n")
	p("name: %s\n", stem)
	p("duration: %s\n", fileDuration(rampToPeak+rampToGrowth+holdAtGrowth))
	p("http:\n  timeout: 30s\n  load:\n    stages:\n")
	p("      - {to: %s, over: %s}   # the logs' peak minute\n", fileRate(peakPerSec), fileDuration(rampToPeak))
	p("      - {to: %s, over: %s}   # %g × the peak\n", fileRate(peakPerSec*o.Growth), fileDuration(rampToGrowth), o.Growth)
	p("      - {hold: %s}\n", fileDuration(holdAtGrowth))
	p("  endpoints:\n")
	feeds := map[string]Feed{}
	for _, f := range d.Feeds {
		feeds[f.Path] = f
	}
	for _, e := range d.Endpoints {
		method, path, _ := strings.Cut(e.Route, " ")
		p("    # %.1f %% of the requests (%s)\n", e.Share*100, thousands(e.Requests))
		if method != "GET" && method != "HEAD" && method != "DELETE" && method != "OPTIONS" {
			p("    # A log holds no request bodies: write the body this endpoint needs, and its Content-Type header.\n")
		}
		p("    - name: %s\n", e.Name)
		if method != "GET" {
			p("      method: %s\n", method)
		}
		p("      path: %s\n", strconv.Quote(path))
		p("      weight: %d\n", e.Weight)
		if f, ok := feeds[stem+".data/"+e.Name+".csv"]; ok {
			p("      feed: {file: %s, order: random}   # %s", strconv.Quote(f.Path), plural(uint64(f.Rows), "row"))
			if f.Rows < f.Distinct || !f.Exact {
				p(", %.1f %% of the requests' values", f.Covered*100)
			}
			p("\n")
		}
	}
	p("production: {rate: %s}   # the mean over the logs\n", fileRate(d.MeanPerSec))
	p("gates:\n  - http.errors < 1%%\n")
	return b.Bytes()
}

func fileNames(t *Traffic) string {
	var names []string
	for _, f := range t.Files {
		names = append(names, f.Name)
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more files", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// Summary prints what the logs held and what was derived from them.
func Summary(w io.Writer, t *Traffic, d *Derived) error {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	for _, f := range t.Files {
		p("read %s: %s, %s requests", f.Name, f.Format, thousands(f.Requests))
		if f.Skipped > 0 {
			p(", %s", plural(f.Skipped, "other line"))
		}
		if f.TooLong > 0 {
			p(", %s lines over %d KiB skipped", thousands(f.TooLong), MaxLine>>10)
		}
		if f.Unreadable > 0 {
			p(", %s:", plural(f.Unreadable, "unreadable line"))
			for _, s := range f.Shown {
				p("\n  %s", s)
			}
		}
		p("\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	pt := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	pt("time range\t%s – %s (%s)\n", t.First.Format(timeLayout), t.Last.Format(timeLayout), t.Last.Sub(t.First).Round(time.Second))
	pt("requests\t%s, mean %s\n", thousands(t.Requests), fileRate(d.MeanPerSec))
	pt("peak minute\t%s: %s (%s)\n", d.PeakMinute.At.Format("2006-01-02 15:04 UTC"), plural(d.PeakMinute.Requests, "request"), fileRate(float64(d.PeakMinute.Requests)/60))
	pt("peak second\t%s: %s\n", d.PeakSecond.At.Format(timeLayout), plural(d.PeakSecond.Requests, "request"))
	if t.secondsDropped > 0 {
		pt("\t(peaks over the first %d hours with traffic; %s later requests left out of them)\n", maxSecondsHours, thousands(t.secondsDropped))
	}
	var mix []string
	for class, n := range t.Statuses {
		if n > 0 {
			mix = append(mix, fmt.Sprintf("%dxx %.1f %%", class, 100*float64(n)/float64(t.Requests)))
		}
	}
	pt("status\t%s\n", strings.Join(mix, ", "))
	if t.OtherRoutes > 0 {
		pt("other routes\t%s requests past the first %d routes, left out\n", thousands(t.OtherRoutes), MaxRoutes)
	}
	tw.Flush()
	d.routeTable(&b)
	if d.LeftRoutes > 0 {
		p("%s under %.1f %% (%s) left out: --all keeps them\n", plural(uint64(d.LeftRoutes), "route"), MinShare*100, plural(d.LeftRequests, "request"))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// routeTable lists the endpoints: share, requests, service times when
// the log has them, and the feed.
func (d *Derived) routeTable(b *bytes.Buffer) {
	timed := false
	for _, e := range d.Endpoints {
		timed = timed || e.Service != nil
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "share\trequests\t"
	if timed {
		head += "p50\tp95\tmax\t"
	}
	fmt.Fprintf(tw, "\n%sendpoint\t  route\n", head)
	for _, e := range d.Endpoints {
		fmt.Fprintf(tw, "%.1f %%\t%s\t", e.Share*100, thousands(e.Requests))
		if timed {
			if e.Service != nil {
				fmt.Fprintf(tw, "%s\t%s\t%s\t", ms(e.Service[0]), ms(e.Service[1]), ms(e.Service[2]))
			} else {
				fmt.Fprint(tw, "–\t–\t–\t")
			}
		}
		fmt.Fprintf(tw, "%s\t  %s\n", e.Name, e.Route)
	}
	tw.Flush()
}

func ms(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// thousands writes n with thin separators: 72,000.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural writes n and the noun, with an s unless n is 1: "3 requests".
func plural(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// fileDuration writes a whole number of minutes as 2m, else as Go does.
func fileDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
