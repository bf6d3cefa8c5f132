package downstream

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// ownCommands are the commands the redis reader itself sends at each
// reading; INFO commandstats counts them, the reading leaves them out.
var ownCommands = map[string]bool{"info": true}

// redisCounter counts the commands a Redis server processes, by command,
// from INFO commandstats, over one connection of its own.
type redisCounter struct {
	mu     sync.Mutex
	client *redis.Client
}

// quietLogger drops go-redis's own log lines: every failure is returned
// to the caller, which reports it once.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

var setLogger sync.Once

func openRedis(s scenario.RedisSpec) *redisCounter {
	setLogger.Do(func() { redis.SetLogger(quietLogger{}) })
	c := redis.NewClient(&redis.Options{
		Addr:            s.Addr,
		DialTimeout:     readTimeout,
		ReadTimeout:     readTimeout,
		WriteTimeout:    readTimeout,
		PoolSize:        1,
		MaxRetries:      -1,
		DialerRetries:   1,
		DisableIdentity: true,
	})
	return &redisCounter{client: c}
}

func (r *redisCounter) Read(ctx context.Context) (Reading, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		return Reading{}, errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	info, err := r.client.Info(ctx, "commandstats").Result()
	if err != nil {
		return Reading{}, fmt.Errorf("INFO commandstats from %s: %v — start Redis, or fix the address", r.client.Options().Addr, err)
	}
	rd, err := parseCommandStats(info)
	rd.At = time.Now()
	return rd, err
}

// parseCommandStats reads lines such as
//
//	cmdstat_get:calls=21,usec=175,usec_per_call=8.33,rejected_calls=0,failed_calls=0
func parseCommandStats(info string) (Reading, error) {
	rd := Reading{By: map[string]float64{}, Source: SourceCommands}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, fields, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		cmd, isStat := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isStat || ownCommands[cmd] {
			continue
		}
		for _, kv := range strings.Split(fields, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return Reading{}, fmt.Errorf("INFO commandstats: %q: %v", sc.Text(), err)
				}
				rd.Total += n
				rd.By[truncKey(cmd)] += n
			}
		}
	}
	return rd, sc.Err()
}

func (r *redisCounter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		return nil
	}
	err := r.client.Close()
	r.client = nil
	return err
}
