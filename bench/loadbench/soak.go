// The soak: loadcheck's RSS over minutes at a fixed rate.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/loadcheck/loadcheck/internal/proc"
)

func (b *bench) partSoak(ctx context.Context) error {
	fmt.Fprintf(os.Stderr, "soak: loadcheck at 2,000 req/s for %s, RSS every 10 s\n", b.soakDur)
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	started := time.Now()
	m, err := b.loadcheckWith(ctx, "soak", srv.addr, 2000, b.soakDur, func(pid int) {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for range t.C {
			rss, err := procRSS(pid)
			if err != nil {
				return // the run ended
			}
			b.res.soak = append(b.res.soak, soakSample{At: time.Since(started).Round(time.Second), RSS: rss})
			fmt.Fprintf(os.Stderr, "  %4.0fs  rss %.1f MB\n", time.Since(started).Seconds(), float64(rss)/1e6)
		}
	})
	if err != nil {
		return err
	}
	b.log(m)
	b.res.soakRun = &m
	json.NewEncoder(b.raw).Encode(b.res.soak)
	return nil
}

// procRSS is the resident memory of pid, read with loadcheck's /proc
// reader.
func procRSS(pid int) (int64, error) {
	procs, err := proc.Default()
	if err != nil {
		return 0, err
	}
	st, err := procs.Stat(pid)
	if err != nil {
		return 0, err
	}
	return int64(st.ResidentMemory()), nil
}
