package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// fakeTerminal stands in for a terminal of the given width.
type fakeTerminal struct {
	bytes.Buffer
	width int
}

func (f *fakeTerminal) TerminalWidth() int { return f.width }

// savedResults writes one small result per target file into a temporary
// folder and returns their paths.
func savedResults(t *testing.T, files ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, f := range files {
		ep := record.EndpointSummary{Name: "search", Requests: 100, Rate: 10,
			Latency: record.Percentiles{P50: record.DurationMs(40+10*i) * record.DurationMs(time.Millisecond), P95: record.DurationMs(90+20*i) * record.DurationMs(time.Millisecond)}}
		r := &result.Result{
			Schema: result.Schema, RunID: "20261123T10000" + string(rune('0'+i)) + "Z-0000000" + string(rune('0'+i)),
			Scenario: result.ScenarioInfo{Name: "smoke"},
			Target:   result.TargetInfo{Name: "uvicorn with a long descriptive name, config " + string(rune('A'+i)), File: f},
			Status:   result.Complete,
			HTTP:     record.Summary{Endpoints: []record.EndpointSummary{ep}, Total: ep},
		}
		p, err := r.Save(dir)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestReportFollowsTerminalWidth lays five results side by side on a wide
// terminal, by the target files' stems, and as a block per target on a
// terminal too narrow for that.
func TestReportFollowsTerminalWidth(t *testing.T) {
	paths := savedResults(t, "targets/t-1w.yaml", "targets/t-2w.yaml", "targets/t-4w.yaml", "targets/t-redis.yaml", "targets/t-split.yaml")
	for _, tc := range []struct {
		width      int
		want, lack string
	}{
		{160, "│ t-1w │", "value (vs t-1w)"},
		{40, "(vs t-1w)", "│ t-1w │"},
	} {
		out := &fakeTerminal{width: tc.width}
		var errb bytes.Buffer
		code := Main(context.Background(), append([]string{"report"}, paths...), out, &errb)
		if code != ExitPass {
			t.Fatalf("report: exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) || strings.Contains(out.String(), tc.lack) {
			t.Errorf("report on a %d-column terminal: want %q and not %q:\n%s", tc.width, tc.want, tc.lack, out.String())
		}
	}
}

// TestProgressOnlyOnATerminal runs the same short scenario with stderr a
// terminal and not: the stages of the run show on the terminal only.
func TestProgressOnlyOnATerminal(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"t.yaml": simtest.Target("sim, 1 worker", "--search-cpu", "1ms"),
		"s.yaml": "name: progress\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 5/s}\n  endpoints: [{name: home, path: /}]\n",
	})
	for _, tc := range []struct {
		stderr   io.Writer
		progress bool
	}{
		{&fakeTerminal{width: 100}, true},
		{&bytes.Buffer{}, false},
	} {
		var out bytes.Buffer
		code := Main(context.Background(), []string{"run", filepath.Join(dir, "s.yaml"), "--out", t.TempDir()}, &out, tc.stderr)
		if code != ExitPass {
			t.Fatalf("run: exit %d: %s", code, tc.stderr)
		}
		got := fmt.Sprint(tc.stderr)
		if has := strings.Contains(got, "starting t … ready in "); has != tc.progress {
			t.Errorf("stderr a terminal: %v; shows the target starting: %v, want %v:\n%q", tc.progress, has, tc.progress, got)
		}
	}
}

// TestVersionAndV checks loadcheck version and --version, and that -v has
// one meaning: --verbose, on every command that takes it.
func TestVersionAndV(t *testing.T) {
	want := "loadcheck " + Version + " (go"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		o := loadcheck(t, context.Background(), args...)
		if o.code != ExitPass || !strings.HasPrefix(o.stdout, want) {
			t.Errorf("%v: exit %d, %q; want %q…", args, o.code, o.stdout, want)
		}
	}
	o := loadcheck(t, context.Background(), "version", "--format", "json")
	var v versionInfo
	if err := json.Unmarshal([]byte(o.stdout), &v); err != nil || v.Version != Version || v.Go == "" {
		t.Errorf("version --format json: %q, %v", o.stdout, err)
	}
	if o := loadcheck(t, context.Background(), "-v"); o.code != ExitBadInput {
		t.Errorf("loadcheck -v: exit %d, want 2: -v is not the version", o.code)
	}
	root := newRoot(io.Discard, io.Discard)
	for _, c := range root.Commands() {
		if f := c.Flags().ShorthandLookup("v"); f != nil && f.Name != "verbose" {
			t.Errorf("%s -v is --%s, want --verbose", c.Name(), f.Name)
		}
	}
}

// TestFormatWhereTheREADMESays checks that every command the README says
// takes --format takes it, with the formats it names.
func TestFormatWhereTheREADMESays(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	root := newRoot(io.Discard, io.Discard)
	for _, tc := range []struct {
		cmds    []string
		formats []string
		claim   string
	}{
		{[]string{"run", "compare", "saturate", "nightly", "report"}, report.Formats(),
			"`run`, `compare`, `saturate`, `nightly` and `report` take `--format " + strings.Join(report.Formats(), "|") + "`"},
		{[]string{"validate", "version"}, []string{"table", "json"}, "`validate` and `version` take `--format table|json`"},
	} {
		if !strings.Contains(text, tc.claim) {
			t.Errorf("README no longer says %q: update this test with it", tc.claim)
		}
		for _, name := range tc.cmds {
			c, _, err := root.Find([]string{name})
			if err != nil || c.Name() != name {
				t.Fatalf("no command %s: %v", name, err)
			}
			f := c.Flags().Lookup("format")
			if f == nil {
				t.Errorf("%s takes no --format", name)
				continue
			}
			for _, format := range tc.formats {
				if !strings.Contains(f.Usage, format) {
					t.Errorf("%s --format does not name %s: %q", name, format, f.Usage)
				}
			}
		}
	}
	dir := simtest.Files(t, map[string]string{"t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"})
	o := loadcheck(t, context.Background(), "validate", filepath.Join(dir, "t.yaml"), "--format", "json")
	var got []validation
	if err := json.Unmarshal([]byte(o.stdout), &got); err != nil || len(got) != 1 || !got[0].OK {
		t.Errorf("validate --format json: exit %d, %q, %v", o.code, o.stdout, err)
	}
}

// TestDemoFits100Columns runs make demo's scenario (shortened: its stages
// scaled to 6 s) with its report on a terminal 100 columns wide: every
// line of it, tables and prose, fits, and its first lines state the load.
func TestDemoFits100Columns(t *testing.T) {
	out := &fakeTerminal{width: 100}
	var errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "../../scenarios/prelaunch.yaml", "--duration", "6s", "--quiet", "--out", t.TempDir()}, out, &errb)
	if code != ExitPass && code != ExitFail {
		t.Fatalf("run: exit %d: %s", code, errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	for i, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("line %d is %d columns wide, want at most 100: %s", i+1, n, l)
		}
	}
	if head := strings.Join(lines[:min(4, len(lines))], "\n"); !strings.Contains(head, "load: to 5/s over 1.333s, to 20/s over 2.667s, hold 2s — peak 20/s") ||
		!strings.Contains(out.String(), "stages written for 1m30s scaled to the 6s phase") {
		t.Errorf("the report's first lines do not state the load applied:\n%s", head)
	}
}

// TestHTMLNotOnATerminal: --format html to a terminal is refused before
// anything runs, saying to redirect it; to a file it is the page.
func TestHTMLNotOnATerminal(t *testing.T) {
	paths := savedResults(t, "targets/t-1w.yaml")
	term := &fakeTerminal{width: 100}
	var errb bytes.Buffer
	if code := Main(context.Background(), []string{"report", paths[0], "--format", "html"}, term, &errb); code != ExitBadInput ||
		!strings.Contains(errb.String(), "redirect it to a file, e.g. > report.html") || term.Len() != 0 {
		t.Errorf("html to a terminal: exit %d, %d bytes written, stderr %q; want 2, nothing, and how to redirect", code, term.Len(), errb.String())
	}
	var file bytes.Buffer
	if code := Main(context.Background(), []string{"report", paths[0], "--format", "html"}, &file, &errb); code != ExitPass || !strings.Contains(file.String(), "<svg") && !strings.Contains(file.String(), "<html") {
		t.Errorf("html to a file: exit %d, %d bytes", code, file.Len())
	}
}
