//go:build linux

package resource

import (
	"crypto/tls"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// TestPrometheus scrapes a server whose two process_cpu_seconds_total
// series advance by 0.25 s/s and 0.10 s/s, with fixed RSS, and whose third
// scrape fails.
func TestPrometheus(t *testing.T) {
	t.Parallel()
	start := time.Now()
	var scrapes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scrapes.Add(1) == 3 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		el := time.Since(start).Seconds()
		fmt.Fprintf(w, `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total{worker="a"} %g
process_cpu_seconds_total{worker="b"} %g
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes{worker="a"} 1.048576e+08
process_resident_memory_bytes{worker="b"} 5.24288e+07
# TYPE http_requests_total counter
http_requests_total{code="200"} 12
`, 3+0.25*el, 0.10*el)
	}))
	defer srv.Close()

	sum := scrapeFor2s(t, srv.URL+"/metrics")

	var rows []string
	for _, p := range sum.Processes {
		rows = append(rows, fmt.Sprintf("%s rss=%d", p.Name, p.RSSPeak))
	}
	if diff := cmp.Diff([]string{`process{worker="a"} rss=104857600`, `process{worker="b"} rss=52428800`}, rows); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.2f %%, want %.0f ± %.0f", name, got, want, tol)
		}
	}
	near("a CPUMean", sum.Processes[0].CPUMean, 25, 3)
	near("b CPUMean", sum.Processes[1].CPUMean, 10, 3)
	near("CPUTotal", sum.CPUTotal, 35, 4)
	near("CPUSustained", sum.CPUSustained, 25, 5)
	if sum.RSSTotal != 150<<20 || sum.RSSMaxProcess != 100<<20 {
		t.Errorf("RSSTotal, RSSMaxProcess = %d, %d, want 150 MiB, 100 MiB", sum.RSSTotal, sum.RSSMaxProcess)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Kind != KindScrape || sum.Errors[0].Count != 1 ||
		!strings.Contains(sum.Errors[0].Example, "500 Internal Server Error") {
		t.Errorf("errors = %+v, want one %q with the status", sum.Errors, KindScrape)
	}
	if sum.FailedSamples != 1 {
		t.Errorf("%d failed samples, want the one failed scrape", sum.FailedSamples)
	}
	if sum.Samples < 5 {
		t.Errorf("%d samples, want ≥ 5", sum.Samples)
	}
}

// TestPrometheusAlternatingWorkers scrapes a server behind which two
// workers answer in turn, each listing only its own series, without a pid
// label: a series missing from a scrape keeps its counter and comes back,
// so the CPU is the sum of both workers' rates, not 0.
func TestPrometheusAlternatingWorkers(t *testing.T) {
	t.Parallel()
	start := time.Now()
	var scrapes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		el := time.Since(start).Seconds()
		worker, cpu := "a", 5+0.25*el
		if scrapes.Add(1)%2 == 0 {
			worker, cpu = "b", 0.10*el
		}
		fmt.Fprintf(w, "process_cpu_seconds_total{worker=%q} %g\nprocess_resident_memory_bytes{worker=%q} 1e+07\n", worker, cpu, worker)
	}))
	defer srv.Close()
	sum := scrapeFor2s(t, srv.URL+"/metrics")
	if len(sum.Processes) != 2 || sum.Processes[0].Exited != nil || sum.Processes[1].Exited != nil {
		t.Fatalf("processes = %+v, want both workers, neither exited", sum.Processes)
	}
	if math.Abs(sum.CPUTotal-35) > 5 {
		t.Errorf("CPUTotal = %.1f %%, want 35 ± 5 (25 + 10)", sum.CPUTotal)
	}
	for i, want := range []float64{25, 10} {
		if got := sum.Processes[i].CPUMean; math.Abs(got-want) > 4 {
			t.Errorf("%s CPUMean = %.1f %%, want %.0f ± 4", sum.Processes[i].Name, got, want)
		}
	}
	if sum.CPUSustained < 20 {
		t.Errorf("CPUSustained = %.1f %%, want ≈ 25 (worker a)", sum.CPUSustained)
	}
	if sum.RSSTotal != 2e7 {
		t.Errorf("RSSTotal = %d, want both workers' 10 MB", sum.RSSTotal)
	}
}

// TestPrometheusTLS checks that an https exporter's certificate is checked
// with the target's TLS settings: trusted with its CA, refused without.
func TestPrometheusTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "process_cpu_seconds_total 1\nprocess_resident_memory_bytes 1048576\n")
	}))
	defer srv.Close()
	trusting := srv.Client().Transport.(*http.Transport).TLSClientConfig
	for _, tc := range []struct {
		name    string
		tls     *tls.Config
		wantRSS uint64
	}{
		{"with the exporter's CA", trusting, 1 << 20},
		{"with the system's roots", nil, 0},
	} {
		s, err := New(scenario.ResourceSource{Kind: scenario.SourcePrometheus, Arg: srv.URL + "/metrics", PrometheusTLS: tc.tls}, 0, scenario.Resources{Every: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		sum := runFor(t, s, 250*time.Millisecond)
		if sum.RSSTotal != tc.wantRSS {
			t.Errorf("%s: RSSTotal = %d, want %d (errors %+v)", tc.name, sum.RSSTotal, tc.wantRSS, sum.Errors)
		}
		if tc.wantRSS == 0 && (len(sum.Errors) == 0 || !strings.Contains(sum.Errors[0].Example, "certificate")) {
			t.Errorf("%s: errors %+v, want a certificate error", tc.name, sum.Errors)
		}
	}
}

func TestPrometheusUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	s, err := New(scenario.ResourceSource{Kind: scenario.SourcePrometheus, Arg: url}, 0, scenario.Resources{Every: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sum := runFor(t, s, 350*time.Millisecond)
	if len(sum.Errors) != 1 || sum.Errors[0].Kind != KindScrape || sum.Errors[0].Count < 3 || len(sum.Processes) != 0 {
		t.Errorf("errors = %+v, processes %v; want ≥ 3 %q, no processes", sum.Errors, sum.Processes, KindScrape)
	}
}

func TestParseExposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		text     string
		wantKeys []string
		wantErrs int
		wantErr  string
	}{
		{
			name:     "no labels, untyped",
			text:     "process_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 100\n",
			wantKeys: []string{""},
		},
		{
			name: "start time makes the identity",
			text: `process_cpu_seconds_total{pid="7"} 1.5
process_start_time_seconds{pid="7"} 1.7e9
process_resident_memory_bytes{pid="7"} 100
`,
			wantKeys: []string{`{pid="7"}@1700000000`},
		},
		{
			name:     "missing RSS is counted",
			text:     "process_cpu_seconds_total{job=\"x\"} 1\n",
			wantKeys: []string{`{job="x"}`},
			wantErrs: 1,
		},
		{
			name:    "no CPU series",
			text:    "process_resident_memory_bytes 100\n",
			wantErr: "no process_cpu_seconds_total in the exposition",
		},
		{
			name:    "not an exposition",
			text:    "<html>hello</html>\n",
			wantErr: "text format parsing error",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := parseExposition(strings.NewReader(tc.text), t0)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("parseExposition = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, p := range r.procs {
				keys = append(keys, p.key)
			}
			if diff := cmp.Diff(tc.wantKeys, keys); diff != "" || len(r.errs) != tc.wantErrs {
				t.Errorf("keys (-want +got):\n%s errs %v, want %d", diff, r.errs, tc.wantErrs)
			}
		})
	}
	r, _ := parseExposition(strings.NewReader("process_cpu_seconds_total{pid=\"7\"} 1.5\nprocess_resident_memory_bytes{pid=\"7\"} 100\n"), t0)
	if p := r.procs[0]; p.pid != 7 || p.cpu != 1500*time.Millisecond || p.rss != 100 || p.name != `process{pid="7"}` {
		t.Errorf("series = %+v", p)
	}
}

// scrapeFor2s samples the Prometheus endpoint at url every 200 ms for
// 2.2 s, with a sustained window of 1 s, and returns the summary.
func scrapeFor2s(t *testing.T, url string) Summary {
	t.Helper()
	s, err := New(scenario.ResourceSource{Kind: scenario.SourcePrometheus, Arg: url}, 0,
		scenario.Resources{Every: 200 * time.Millisecond, SustainedWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return runFor(t, s, 2200*time.Millisecond)
}
