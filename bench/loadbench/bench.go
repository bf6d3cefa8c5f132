// bench runs the parts and keeps what they measured.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type bench struct {
	config
	tmp string
	raw *os.File
	res results
}

// tools are the table's columns, in order.
var tools = []string{"loadcheck", "vegeta", "vegetalib", "wrk", "hey"}

func newBench(c config) (*bench, error) {
	for _, p := range []string{c.loadcheck, c.vegeta, c.vegetaLib, c.server, c.wrkScript} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%v (run `make bench`, which builds it)", err)
		}
	}
	for _, p := range []string{"taskset", "wrk", "hey", "/usr/bin/time"} {
		if _, err := exec.LookPath(p); err != nil {
			return nil, fmt.Errorf("%s: %v (run `make bench`, which installs it)", p, err)
		}
	}
	if runtime.NumCPU() < 2 {
		return nil, fmt.Errorf("%d CPU: the bench pins the target and the generator to one core each and needs 2", runtime.NumCPU())
	}
	tmp, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return nil, err
	}
	b := &bench{config: c, tmp: tmp}
	b.res.max = map[string]measure{}
	b.res.fixed = map[string]measure{}
	b.res.lat50 = map[string]measure{}
	b.res.freeze = map[string]measure{}
	return b, nil
}

func (b *bench) want(part string) bool {
	if b.only == "" {
		return part != "soak" || b.soak
	}
	for _, p := range strings.Split(b.only, ",") {
		if p == part {
			return true
		}
	}
	return false
}

func (b *bench) run(ctx context.Context) error {
	if err := os.MkdirAll(b.out, 0o755); err != nil {
		return err
	}
	day := time.Now().Format("2006-01-02")
	raw, err := os.Create(filepath.Join(b.out, day+".raw"))
	if err != nil {
		return err
	}
	defer raw.Close()
	b.raw = raw
	env := environment(b.config)
	load0 := loadavg()
	started := time.Now()

	if b.want("a") {
		if err := b.partA(ctx); err != nil {
			return fmt.Errorf("(a): %v", err)
		}
	}
	if b.want("b") {
		if err := b.partB(ctx); err != nil {
			return fmt.Errorf("(b): %v", err)
		}
	}
	if b.want("c") {
		if err := b.partC(ctx); err != nil {
			return fmt.Errorf("(c): %v", err)
		}
	}
	if b.want("d") {
		if err := b.partD(ctx); err != nil {
			return fmt.Errorf("(d): %v", err)
		}
	}
	if b.want("soak") {
		if err := b.partSoak(ctx); err != nil {
			return fmt.Errorf("soak: %v", err)
		}
	}
	md := b.markdown(day, env, load0, loadavg(), time.Since(started))
	fmt.Print(md)
	path := filepath.Join(b.out, day+".md")
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loadbench: wrote %s (raw figures in %s)\n", path, raw.Name())
	return nil
}

func (b *bench) log(m measure) {
	json.NewEncoder(b.raw).Encode(m)
	line := fmt.Sprintf("%-9s %-7s", m.Tool, m.Test)
	if m.Rate > 0 {
		line += fmt.Sprintf(" rate %6.0f/s", m.Rate)
	} else {
		line += fmt.Sprintf(" conns %4d   ", m.Conns)
	}
	line += fmt.Sprintf("  %8d req  %6.0f/s ok  err %.3f%%  p50 %s p99 %s  cpu %s (%.1f µs/req)  rss %.1f MB",
		m.Requests, m.throughput(), 100*m.errRate(), m.P50.Round(10*time.Microsecond), m.P99.Round(10*time.Microsecond),
		m.CPU.Round(time.Millisecond), float64(m.cpuPerReq())/1e3, float64(m.MaxRSS)/1e6)
	if m.Late > 0 {
		line += fmt.Sprintf("  late %d", m.Late)
	}
	fmt.Fprintln(os.Stderr, line)
}
