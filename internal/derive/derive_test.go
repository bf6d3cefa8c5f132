package derive

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// derived reads one log and renders all a user sees: the summary, the
// scenario file and the feeds.
func derived(t *testing.T, name string, data []byte, o Options) string {
	t.Helper()
	tr, err := Read(context.Background(), []Input{{Name: name, R: bytes.NewReader(data)}}, o.FeedRows)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	d, err := Plan(tr, o)
	if err != nil {
		t.Fatalf("Plan(%s): %v", name, err)
	}
	var b bytes.Buffer
	if err := Summary(&b, tr, d); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n--- from-prod.yaml\n")
	b.Write(d.Scenario)
	for _, f := range d.Feeds {
		b.WriteString("\n--- " + f.Path + "\n")
		b.Write(f.Data)
	}
	return b.String()
}

// Each format reads into the summary, scenario and feeds of its golden
// file (refresh with -update); the same log gzip'd reads the same.
func TestFormatsGolden(t *testing.T) {
	logs, _ := filepath.Glob("testdata/logs/*.log")
	if len(logs) < 6 {
		t.Fatalf("%d logs in testdata/logs, want one of each format", len(logs))
	}
	o := Options{Out: "scenarios/from-prod.yaml", All: true, Growth: 10, FeedRows: 1000, Weights: true}
	for _, log := range logs {
		name := strings.TrimSuffix(filepath.Base(log), ".log")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			got := derived(t, log, data, o)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("derive %s (-want +got):\n%s", log, diff)
			}
			var gz bytes.Buffer
			w := gzip.NewWriter(&gz)
			w.Write(data)
			w.Close()
			if zipped := derived(t, log, gz.Bytes(), o); strings.ReplaceAll(zipped, " (gzip)", "") != got {
				t.Errorf("derive %s gzip'd differs from the plain file:\n%s", log, zipped)
			}
		})
	}
}
