package cli

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/claims"
	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/result"
)

// TestClaimStallEndToEnd is make claims in short: the stall claim's runs
// (titan on PostgreSQL through asyncpg, and through psycopg2 called from
// the async handler) a few seconds each, then loadcheck claims. The row
// must carry the figures of the result JSON the runs wrote and the verdict
// its rule gives them, the claims without runs must read "not measured",
// and the HTML page must render the same in Chromium.
func TestClaimStallEndToEnd(t *testing.T) {
	pg, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	needDebian(t, exec.Command("/usr/bin/python3", "-c", "import fastapi, uvicorn, uvloop, httptools, asyncpg, psycopg2, httpx"),
		exec.Command("test", "-n", strings.Join(pg, "")))
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs", "stall")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := loadcheck(t, ctx, "compare", "../../scenarios/claims/stall.yaml", "--duration", "5s",
		"--target", privateTarget(t, "../../targets/titan-1w.yaml"),
		"--target", privateTarget(t, "../../scenarios/claims/targets/titan-1w-psycopg2.yaml"),
		"--out", runs, "--quiet", "--format", "md")
	if o.code > ExitFail {
		t.Fatalf("compare: exit %d\n%s", o.code, o.stderr)
	}
	o = loadcheck(t, ctx, "claims", dir)
	if o.code != ExitPass {
		t.Fatalf("claims: exit %d\n%s", o.code, o.stderr)
	}
	md, err := os.ReadFile(filepath.Join(dir, "claims.md"))
	if err != nil {
		t.Fatal(err)
	}
	if o.stdout != string(md) {
		t.Errorf("stdout is not claims.md")
	}

	// The truth: health p95 of each run, read from its result JSON.
	p95 := map[string]float64{}
	files, _ := filepath.Glob(filepath.Join(runs, "2*.json"))
	for _, f := range files {
		d, err := result.ReadDocument(f)
		if err != nil {
			t.Fatal(err)
		}
		r := d.(*result.Result)
		v, ok := r.Metric("http.health.p95")
		if !ok {
			t.Fatalf("%s measured no http.health.p95", f)
		}
		p95[filepath.Base(r.Target.File)] = v.V
	}
	async, blocking := p95["titan-1w.yaml"], p95["titan-1w-psycopg2.yaml"]
	if len(files) != 2 || async == 0 || blocking == 0 {
		t.Fatalf("runs wrote %d results, health p95 %v", len(files), p95)
	}
	t.Logf("health p95: asyncpg %.1f ms, psycopg2 %.1f ms", async*1000, blocking*1000)

	row := lineWith(t, string(md), "| a blocking DB call stalls")
	for _, want := range []string{"psycopg2 " + fmtSeconds(blocking), "asyncpg " + fmtSeconds(async)} {
		if !strings.Contains(row, want) {
			t.Errorf("stall row lacks the runs' %q:\n%s", want, row)
		}
	}
	verdict := "**does not hold: psycopg2's health p95 is less than 5× asyncpg's** |"
	if blocking >= 5*async {
		verdict = "**holds** |"
	}
	if !strings.HasSuffix(row, verdict) {
		t.Errorf("stall row ends %q, want %q (p95 %.3f s vs %.3f s)", row[max(0, len(row)-80):], verdict, blocking, async)
	}
	if n, want := strings.Count(string(md), "**not measured: missing"), len(claims.All)-1; n != want {
		t.Errorf("claims.md: %d claims not measured, want %d (all but the stall)", n, want)
	}

	dom, log := chromiumDOM(t, filepath.Join(dir, "claims.html"))
	if m := regexp.MustCompile(`(?m)^.*(CONSOLE|Uncaught|Refused to|net::ERR_).*$`).FindAllString(log, -1); len(m) > 0 {
		t.Errorf("the browser logged problems:\n%s", strings.Join(m, "\n"))
	}
	for _, want := range []string{"<table", `class="holds"`, html.EscapeString("psycopg2 " + fmtSeconds(blocking)), "not measured: missing"} {
		if want == `class="holds"` && blocking < 5*async {
			want = `class="does-not-hold"`
		}
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
}

// privateTarget copies a shipped titan target file into a temporary
// folder under the same name, its PostgreSQL on a free port instead of the
// file's own and its start dir absolute: a make claims under way, which
// holds the file's port, does not make the test fail.
func privateTarget(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`--postgres, "(\d+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no --postgres port", src)
	}
	port := strconv.Itoa(dbtest.FreePort(t))
	b = bytes.ReplaceAll(b, m[1], []byte(port))
	b = regexp.MustCompile(`(?m)^  dir: (.*)$`).ReplaceAllFunc(b, func(line []byte) []byte {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(src), strings.TrimSpace(string(line[len("  dir: "):]))))
		if err != nil {
			t.Fatal(err)
		}
		return []byte("  dir: " + abs)
	})
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// fmtSeconds is how a claim prints a latency: seconds with 2 decimals
// from 1 s, else milliseconds with 1, without trailing zeros.
func fmtSeconds(s float64) string {
	trim := func(f string) string {
		if strings.Contains(f, ".") {
			f = strings.TrimRight(strings.TrimRight(f, "0"), ".")
		}
		return f
	}
	if s >= 1 {
		return trim(fmt.Sprintf("%.2f", s)) + " s"
	}
	return trim(fmt.Sprintf("%.1f", s*1000)) + " ms"
}

func lineWith(t *testing.T, text, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line starts %q in:\n%s", prefix, text)
	return ""
}

// chromiumDOM opens page in headless Chromium and returns the DOM after
// rendering and the browser's log. Without Chromium the test is skipped,
// and fails in CI, where make deps installs Debian's chromium.
func chromiumDOM(t *testing.T, page string) (dom, log string) {
	t.Helper()
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	needDebian(t, exec.Command("test", "-n", bin))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"), "--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+page)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}
