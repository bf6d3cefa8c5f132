package downstream_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"testing"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

func redisDownstream(addr string) scenario.Downstream {
	return scenario.Downstream{Name: "cache", Kind: scenario.DownstreamRedis, Where: "target.yaml:9:5",
		Redis: &scenario.RedisSpec{Addr: addr}, Addr: addr}
}

// sendCommands sends n inline commands cmd over one connection, as a
// client of the server, and reads each reply.
func sendCommands(t *testing.T, addr, cmd string, n int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range n {
		if _, err := fmt.Fprintf(c, cmd+"\r\n", i); err != nil {
			t.Fatal(err)
		}
		if line, err := r.ReadString('\n'); err != nil || line[0] == '-' {
			t.Fatalf("%s: %q, %v", cmd, line, err)
		} else if line[0] == '$' && line != "$-1\r\n" {
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var cmdstat = regexp.MustCompile(`(?m)^cmdstat_([^:]+):calls=(\d+)`)

// truthCommands is the calls INFO commandstats lists, read by redis-cli,
// without the INFO commands of the readers.
func truthCommands(t *testing.T, r *dbtest.Redis) (total float64, by map[string]float64) {
	t.Helper()
	by = map[string]float64{}
	for _, m := range cmdstat.FindAllStringSubmatch(r.Cli(t, "INFO", "commandstats"), -1) {
		n, _ := strconv.ParseFloat(m[2], 64)
		if m[1] != "info" {
			total += n
			by[m[1]] = n
		}
	}
	return total, by
}

func TestRedis(t *testing.T) {
	r := dbtest.StartRedis(t)
	c, err := downstream.Open(context.Background(), redisDownstream(r.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	truth0, by0 := truthCommands(t, r)
	r0 := mustRead(t, c)
	sendCommands(t, r.Addr, "SET key%d v", 40)
	sendCommands(t, r.Addr, "GET key%d", 25)
	sendCommands(t, r.Addr, "INCR counter%d", 9)
	r1 := mustRead(t, c)
	truth1, by1 := truthCommands(t, r)
	got, truth := r1.Total-r0.Total, truth1-truth0
	t.Logf("redis: sent 74 commands, INFO by redis-cli %.0f, counter %.0f", truth, got)
	if got != 74 || truth != 74 {
		t.Errorf("counted %.0f commands, redis-cli %.0f, want 74", got, truth)
	}
	for cmd, want := range map[string]float64{"set": 40, "get": 25, "incr": 9} {
		if n := r1.By[cmd] - r0.By[cmd]; n != want || by1[cmd]-by0[cmd] != want {
			t.Errorf("%s: counted %.0f, redis-cli %.0f, want %.0f", cmd, n, by1[cmd]-by0[cmd], want)
		}
	}
	if r2 := mustRead(t, c); r2.Total != r1.Total {
		t.Errorf("a reading with no command in between moved the counter from %.0f to %.0f", r1.Total, r2.Total)
	}

	t.Run("not running", func(t *testing.T) {
		_, err := downstream.Open(context.Background(), redisDownstream("127.0.0.1:1"))
		if err == nil {
			t.Fatal("Open of an address nothing listens on = nil error")
		}
		t.Log(err)
	})
}
