// Command vegetalib is the floor of what a vegeta-based load generator
// costs: the vegeta library used in-process (vegeta.NewAttacker and
// Attack, with the vegeta CLI's defaults) and its results drained with
// nothing recorded — no histograms, no encoding, no file. make bench runs
// it next to loadcheck, which is built on the same library, so the gap
// between the two is what loadcheck's own work per request costs.
//
//	vegetalib -url http://127.0.0.1:8080/ -rate 20000 -duration 5s -max-workers 50
//
// It prints one JSON line: the requests, the errors (a transport error or
// a status outside 2xx/3xx) and the requests sent more than 10 ms after
// their scheduled time, counted as loadcheck counts them.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// lateAfter is loadcheck's threshold for a request sent late.
const lateAfter = 10 * time.Millisecond

// counts is what the drain keeps of the results.
type counts struct {
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	Late     uint64 `json:"late"`
}

func main() {
	url := flag.String("url", "", "the URL to GET")
	rate := flag.Float64("rate", 0, "requests per second")
	dur := flag.Duration("duration", 5*time.Second, "how long to send")
	maxWorkers := flag.Uint64("max-workers", vegeta.DefaultMaxWorkers, "the attacker's worker cap (vegeta's -max-workers)")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file, to compare with loadcheck's (internal/load BenchmarkAttack)")
	flag.Parse()
	if *url == "" || *rate <= 0 || *dur <= 0 {
		fmt.Fprintln(os.Stderr, "vegetalib: -url, a -rate above 0 and a -duration above 0 are required")
		os.Exit(2)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "vegetalib: -cpuprofile: %v\n", err)
			os.Exit(2)
		}
		defer f.Close()
	}
	c := attack(*url, *rate, *dur, *maxWorkers, *timeout)
	pprof.StopCPUProfile()
	if err := json.NewEncoder(os.Stdout).Encode(c); err != nil {
		fmt.Fprintf(os.Stderr, "vegetalib: %v\n", err)
		os.Exit(1)
	}
}

// attack sends GET url at rate for dur and drains the results. Like the
// vegeta CLI with -max-body 0, response bodies are read and discarded.
func attack(url string, rate float64, dur time.Duration, maxWorkers uint64, timeout time.Duration) counts {
	atk := vegeta.NewAttacker(vegeta.MaxBody(0), vegeta.Timeout(timeout), vegeta.MaxWorkers(maxWorkers))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url})
	pace := vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}
	// vegeta's schedule starts when Attack is called: hit n is due n/rate
	// after it.
	began := time.Now()
	var c counts
	for res := range atk.Attack(tr, pace, dur, "vegetalib") {
		c.Requests++
		if res.Error != "" || res.Code < 200 || res.Code >= 400 {
			c.Errors++
		}
		due := began.Add(time.Duration(float64(res.Seq) / rate * float64(time.Second)))
		if res.Timestamp.Sub(due) > lateAfter {
			c.Late++
		}
	}
	return c
}
