package scenario_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// The budget of one load of a fuzzed file: any file up to fuzzMaxBytes
// must be read, parsed and checked within fuzzMaxCPU of CPU time and
// fuzzMaxAlloc of allocation, or the fuzz target fails. CPU time rather
// than wall time, so that a busy machine does not fail it; allocation
// counted in total (runtime.MemStats.TotalAlloc), which bounds the peak.
const (
	fuzzMaxBytes = 64 << 10
	fuzzMaxCPU   = time.Second
	fuzzMaxAlloc = 100 << 20
)

// FuzzLoad feeds arbitrary bytes to Load and LoadTarget: whatever the
// file holds, they must return a scenario or an error, never panic, and
// stay within the budget above. The seed corpus is in
// testdata/fuzz/FuzzLoad; the hostile seeds added here are small cousins
// of files that once took seconds and gigabytes.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("duration: 1m\nhttp:\n  load: {rate: 5/s}\n  endpoints: [{name: a, path: /}]\n"))
	// Small, so that mutating them stays fast; limits_test.go loads the
	// full-size ones.
	f.Add([]byte("name: " + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "\n"))
	f.Add([]byte(strings.Repeat("- ", 2000) + "x\n"))
	f.Add([]byte("name: x\ngates: [" + strings.Repeat("[[]], ", 1000) + "]\n"))
	f.Add([]byte("a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\ngates: [*c, *c, *c, *c, *c, *c, *c, *c]\n"))
	f.Add([]byte("\ufeffname: bom\nduration: 1m\nhttp:\n\tload: {rate: 5/s}\n"))
	f.Add([]byte("base_url: http://127.0.0.1:{port}\nstart: {command: [x, \"{downstream.e.url}\"]}\ndownstreams:\n" +
		"  - {name: p, postgres: {dsn: \"postgresql://u@127.0.0.1/d\", statements: \"COUNT|SUM\"}}\n" +
		"  - {name: e, stub: {latency: 2s..5s, status: 200, body: x}}\n  - {name: r, redis: {addr: localhost}, allow_remote: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxBytes {
			return
		}
		path := filepath.Join(t.TempDir(), "f.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cpu0, alloc0 := usage()
		s, err := scenario.Load(path)
		tg, terr := scenario.LoadTarget(path)
		cpu1, alloc1 := usage()
		if cpu := cpu1 - cpu0; cpu > fuzzMaxCPU {
			t.Errorf("loading %d bytes took %v of CPU, want at most %v", len(data), cpu, fuzzMaxCPU)
		}
		if alloc := alloc1 - alloc0; alloc > fuzzMaxAlloc {
			t.Errorf("loading %d bytes allocated %d MiB, want at most %d MiB", len(data), alloc>>20, fuzzMaxAlloc>>20)
		}
		if (s == nil) == (err == nil) {
			t.Errorf("Load = %v, %v: want exactly one of a scenario and an error", s, err)
		}
		if s != nil {
			s.Where("http.endpoints[0].path")
			s.WithDuration(s.Duration / 2)
		}
		if (tg == nil) == (terr == nil) {
			t.Errorf("LoadTarget = %v, %v: want exactly one of a target and an error", tg, terr)
		}
	})
}

// usage returns the CPU time this process has used and the bytes it has
// allocated so far.
func usage() (time.Duration, uint64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ms.TotalAlloc
}
