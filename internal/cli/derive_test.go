package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// hourLog is a generated hour of uvicorn's access log as journalctl -o
// short-iso prints it, and the truth behind it.
type hourLog struct {
	requests int
	byRoute  map[string]int // endpoint name derive should give → requests
	terms    map[string]int // search term → requests
	peak     string         // the peak minute, as derive prints it
}

// The five routes of the generated log, by the endpoint name derive gives
// them, with their shares of the requests.
var hourRoutes = []struct {
	name  string
	share float64
}{
	{"zeus-search", 0.40}, {"customers-history", 0.25}, {"home", 0.15}, {"health", 0.12}, {"post-dispatch-broadcast", 0.08},
}

// writeHourLog writes one hour from 14:00 UTC: 8 to 10 requests a
// second, 30 a second in the minute 14:32; search terms drawn from a zipf
// of 40 terms, customer ids in the paths, and journal lines that are not
// requests.
func writeHourLog(t *testing.T, path string) hourLog {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(21, 1))
	zipf := rand.NewZipf(rng, 1.1, 1, 39)
	truth := hourLog{byRoute: map[string]int{}, terms: map[string]int{}, peak: "2026-12-01 14:32 UTC"}
	start := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	fmt.Fprintf(w, "%s titan uvicorn[812]: INFO:     Application startup complete.\n", start.Format("2006-01-02T15:04:05-0700"))
	for s := range 3600 {
		n := 8 + s%3
		if s/60 == 32 {
			n = 30
		}
		stamp := start.Add(time.Duration(s) * time.Second).Format("2006-01-02T15:04:05-0700")
		for range n {
			u, route := rng.Float64(), ""
			for _, r := range hourRoutes {
				if u < r.share {
					route = r.name
					break
				}
				u -= r.share
			}
			if route == "" {
				route = hourRoutes[len(hourRoutes)-1].name
			}
			var req string
			switch route {
			case "zeus-search":
				term := fmt.Sprintf("term %02d", zipf.Uint64())
				truth.terms[term]++
				req = "GET /api/zeus/search?q=" + strings.ReplaceAll(term, " ", "+")
			case "customers-history":
				req = fmt.Sprintf("GET /api/customers/%d/history", 1000+rng.IntN(500))
			case "home":
				req = "GET /"
			case "health":
				req = "GET /api/health"
			default:
				req = "POST /api/dispatch/broadcast"
			}
			truth.byRoute[route]++
			truth.requests++
			fmt.Fprintf(w, "%s titan uvicorn[812]: INFO:     127.0.0.1:%d - \"%s HTTP/1.1\" 200 OK\n", stamp, 40000+rng.IntN(20000), req)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return truth
}

// readFeed reads a derived feed: value → weight.
func readFeed(t *testing.T, path string) map[string]int {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[len(r)-1])
		if err != nil {
			t.Fatalf("%s: weight %q: %v", path, r[len(r)-1], err)
		}
		out[r[0]] = n
	}
	return out
}

// derive's figures on a generated hour are the truth: shares within a
// percentage point, production.rate within 2 %, every search term with
// its count, the peak minute; the scenario validates, and 20 s of it
// against the built-in target send the mix within 3 % per endpoint.
func TestDeriveGeneratedHour(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 s run")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "titan.log")
	truth := writeHourLog(t, log)
	out := filepath.Join(dir, "scenarios", "from-prod.yaml")
	os.MkdirAll(filepath.Dir(out), 0o755)
	o := loadcheck(t, context.Background(), "derive", log, "--out", out)
	t.Logf("derive printed:\n%s", o.stdout)
	if o.code != ExitPass {
		t.Fatalf("derive: exit %d\n%s", o.code, o.stderr)
	}
	if want := "peak minute  " + truth.peak + ": 1,800 requests"; !strings.Contains(o.stdout, want) {
		t.Errorf("derive's summary does not state the peak minute %q", want)
	}
	sc, err := scenario.Load(out)
	if err != nil {
		t.Fatalf("the derived scenario does not load: %v", err)
	}
	totalWeight := 0
	for _, e := range sc.HTTP.Endpoints {
		totalWeight += e.Weight
	}
	if len(sc.HTTP.Endpoints) != len(hourRoutes) {
		t.Errorf("%d endpoints, want the log's %d routes", len(sc.HTTP.Endpoints), len(hourRoutes))
	}
	for _, e := range sc.HTTP.Endpoints {
		got, want := float64(e.Weight)/float64(totalWeight), float64(truth.byRoute[e.Name])/float64(truth.requests)
		t.Logf("%-24s share %.2f %% (truth %.2f %%)", e.Name, 100*got, 100*want)
		if math.Abs(got-want) > 0.01 {
			t.Errorf("%s: share %.2f %%, truth %.2f %%: want within 1 percentage point", e.Name, 100*got, 100*want)
		}
	}
	rate, want := sc.Production.PerSecond(), float64(truth.requests)/3600
	t.Logf("production.rate %.3f/s (truth %.3f/s)", rate, want)
	if math.Abs(rate-want)/want > 0.02 {
		t.Errorf("production.rate %.3f/s, truth %.3f/s: want within 2 %%", rate, want)
	}
	feed := readFeed(t, filepath.Join(dir, "scenarios", "from-prod.data", "zeus-search.csv"))
	if diff := cmp.Diff(truth.terms, feed); diff != "" {
		t.Errorf("search feed: term → count (-truth +derived):\n%s", diff)
	}
	if v := loadcheck(t, context.Background(), "validate", out); v.code != ExitPass {
		t.Errorf("validate of the derived scenario: exit %d\n%s", v.code, v.stderr)
	}
	runDerivedMix(t, dir, out, truth)
}

// runDerivedMix runs the derived scenario for 20 s at 50/s against the
// built-in target and checks each endpoint's share of what was sent.
func runDerivedMix(t *testing.T, dir, scenarioFile string, truth hourLog) {
	t.Helper()
	target := filepath.Join(dir, "sim.yaml")
	os.WriteFile(target, []byte(simtest.Target("sim")), 0o644)
	results := filepath.Join(dir, "results")
	o := loadcheck(t, context.Background(), "run", scenarioFile, "--target", target, "--rate", "50/s", "--duration", "20s", "--quiet", "--out", results)
	// The built-in target has no customer history and the POST has no
	// body, so those answer 404 and 400 and the errors gate fails: the
	// test is about what was sent.
	if o.code != ExitPass && !(o.code == ExitFail && strings.Contains(o.stdout, "FAIL: 1 of 1 gate failed: http.errors")) {
		t.Fatalf("run of the derived scenario: exit %d\n%s\n%s", o.code, o.stdout, o.stderr)
	}
	res := onlyResult(t, results)
	total := res.HTTP.Total.Requests
	if total < 950 {
		t.Errorf("%d requests in 20 s at 50/s, want about 1,000", total)
	}
	for _, e := range res.HTTP.Endpoints {
		want := float64(total) * float64(truth.byRoute[e.Name]) / float64(truth.requests)
		t.Logf("%-24s sent %d (truth's share of %d: %.1f)", e.Name, e.Requests, total, want)
		if math.Abs(float64(e.Requests)-want)/want > 0.03 {
			t.Errorf("%s: sent %d of %d, want %.1f ± 3 %%", e.Name, e.Requests, total, want)
		}
	}
}

// Deriving 200 MB of log holds its memory flat: the loadcheck binary (this
// test binary standing in for it), run as a child, peaks under 100 MB of
// RSS. The log has a million distinct customer ids, which a counter
// holding every value would need far more than that for.
func TestDeriveBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	if raceEnabled {
		// The race detector's shadow memory multiplies the child's RSS;
		// the race-free pass of make test measures it.
		t.Skip("RSS under the race detector is not loadcheck's")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	size := writeBigLog(t, log, 200<<20)
	out := filepath.Join(dir, "big.yaml")
	cmd := exec.Command(os.Args[0], "derive", log, "--out", out)
	cmd.Env = append(os.Environ(), "LOADCHECK_TEST_CLI=1")
	began := time.Now()
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("derive of %d MB: %v\n%s", size>>20, err, stdout)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("derived %d MB in %v, peak RSS %.1f MB\n%s", size>>20, time.Since(began).Round(time.Millisecond), float64(rss)/1e6, stdout)
	if rss > 100e6 {
		t.Errorf("peak RSS %.1f MB deriving %d MB of log, want under 100 MB", float64(rss)/1e6, size>>20)
	}
}

// writeBigLog writes nginx combined lines with $request_time until the
// file holds size bytes, and returns its size.
func writeBigLog(t *testing.T, path string, size int) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var line []byte
	written := 0
	for i := 0; written < size; i++ {
		line = line[:0]
		line = append(line, "203.0.113.7 - - ["...)
		line = start.Add(time.Duration(i/40)*time.Second).AppendFormat(line, "02/Jan/2006:15:04:05 -0700")
		line = append(line, `] "GET `...)
		switch i % 4 {
		case 0, 1:
			line = append(line, "/api/customers/"...)
			line = strconv.AppendInt(line, int64(i*7919%1_000_003), 10)
			line = append(line, "/history"...)
		case 2:
			line = append(line, "/api/zeus/search?q=term+"...)
			line = strconv.AppendInt(line, int64(i%40), 10)
		default:
			line = append(line, '/')
		}
		line = append(line, ` HTTP/1.1" 200 612 "-" "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0" 0.`...)
		line = strconv.AppendInt(line, int64(100+i%900), 10)
		line = append(line, '\n')
		n, _ := w.Write(line)
		written += n
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return written
}

// Bad logs exit 2 with the file and the line; golden files hold the
// messages (refresh with -update).
func TestDeriveBadInput(t *testing.T) {
	okLine := `127.0.0.1 - - [01/Dec/2026:14:03:21 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"` + "\n"
	tests := []struct {
		name string
		log  string
		args []string
	}{
		{name: "derive-empty", log: ""},
		{name: "derive-binary", log: "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\n\x00\x00\x00"},
		{name: "derive-unknown-format", log: "Dec  1 14:03:21 titan sshd[1201]: Accepted publickey for deploy\nDec  1 14:03:22 titan CRON[1202]: (root) CMD (true)\n"},
		{name: "derive-10mb-line", log: strings.Repeat("x", 10<<20) + "\n"},
		{name: "derive-no-out", log: okLine, args: []string{}},
		{name: "derive-growth-zero", log: okLine, args: []string{"--out", "s.yaml", "--growth", "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := simtest.Files(t, map[string]string{"access.log": tc.log})
			args := tc.args
			if args == nil {
				args = []string{"--out", filepath.Join(dir, "s.yaml")}
			}
			o := loadcheck(t, context.Background(), append([]string{"derive", filepath.Join(dir, "access.log")}, args...)...)
			if o.code != ExitBadInput {
				t.Errorf("exit %d, want 2; stderr:\n%s", o.code, o.stderr)
			}
			got := strings.ReplaceAll(o.stderr, dir+string(filepath.Separator), "")
			golden.Check(t, tc.name, []byte(got))
		})
	}
}

// derive - reads standard input, here piped into the loadcheck binary
// (this test binary standing in for it).
func TestDeriveStdin(t *testing.T) {
	log, err := os.Open("../derive/testdata/logs/gunicorn.log")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	out := filepath.Join(t.TempDir(), "from-prod.yaml")
	cmd := exec.Command(os.Args[0], "derive", "-", "--out", out)
	cmd.Env = append(os.Environ(), "LOADCHECK_TEST_CLI=1")
	cmd.Stdin = log
	stdout, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("derive -: %v\n%s", err, stdout)
	}
	if !strings.Contains(string(stdout), "read standard input: nginx/gunicorn combined, 3 requests") {
		t.Errorf("derive - printed:\n%s\nwant it to read 3 requests from standard input", stdout)
	}
	sc, err := scenario.Load(out)
	if err != nil || len(sc.HTTP.Endpoints) != 2 {
		t.Errorf("the scenario derived from standard input: %v, want 2 endpoints", err)
	}
}
