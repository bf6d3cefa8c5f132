package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/probe/probetest"
	"github.com/loadcheck/loadcheck/internal/report"
)

// authTarget serves the dispatch boards, their broadcasts, an SSE stream
// and an HTTP endpoint, each answering 401 without its own token (the
// boards also want their session cookie and the key in the query); / is
// open, for the readiness check.
func authTarget(want map[string]string) http.HandlerFunc {
	hub := &probetest.Hub{}
	stream := &probetest.Stream{Every: 100 * time.Millisecond}
	return func(w http.ResponseWriter, r *http.Request) {
		tok, guarded := want[r.URL.Path]
		if guarded && r.Header.Get("Authorization") != tok {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case probetest.WSPath:
			if c, err := r.Cookie("session"); err != nil || c.Value != want["session"] || r.URL.Query().Get("key") != want["key"] {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			hub.ServeHTTP(w, r)
		case probetest.BroadcastPath:
			hub.ServeHTTP(w, r)
		case "/api/stream":
			stream.ServeHTTP(w, r)
		default:
			w.Write([]byte("ok"))
		}
	}
}

// TestSecretsInNoReport (#21): the boards, the broadcaster, the SSE clients
// and the HTTP load reach a target that wants a token from each, taking the
// tokens, a session cookie and a query key from the environment; and no
// secret appears in the result file, in any rendering of it, or in what
// loadcheck printed — when every client is let in, and when the target
// refuses the broadcaster (its errors are in the report).
func TestSecretsInNoReport(t *testing.T) {
	env := map[string]string{
		"LOADCHECK_TEST_HTTP_TOKEN":  "http-9f2c71",
		"LOADCHECK_TEST_BOARD_TOKEN": "board-4b8e05",
		"LOADCHECK_TEST_ADMIN_TOKEN": "admin-d13a66",
		"LOADCHECK_TEST_SSE_TOKEN":   "sse-07c5e2",
		"LOADCHECK_TEST_SESSION":     "sess-5a90bf",
		"LOADCHECK_TEST_QUERY_KEY":   "qkey-e62d48",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	const scenario = `name: auth
target: target.yaml
duration: 2s
http:
  load: {rate: 5/s}
  endpoints: [{name: me, path: "/api/me?key=${LOADCHECK_TEST_QUERY_KEY}", headers: {Authorization: "Bearer ${LOADCHECK_TEST_HTTP_TOKEN}"}}]
websocket:
  boards: 3
  path: /ws/dispatch?key=${LOADCHECK_TEST_QUERY_KEY}
  grace: 500ms
  headers: {Authorization: "Bearer ${LOADCHECK_TEST_BOARD_TOKEN}", Cookie: "theme=dark; session=${LOADCHECK_TEST_SESSION}"}
  subprotocols: [dispatch.v1]
  broadcast: {path: /api/dispatch/broadcast, rate: 5/s, headers: {Authorization: "Bearer ${LOADCHECK_TEST_ADMIN_TOKEN}"}}
sse: {clients: 2, path: /api/stream, headers: {Authorization: "Bearer ${LOADCHECK_TEST_SSE_TOKEN}"}}
gates: [ws.loss == 0%, ws.connected == 3, sse.connected == 2, http.errors == 0%]
`
	tests := []struct {
		name      string
		adminWant string // the broadcaster's token the target accepts
		code      int
	}{
		{"every client let in", "Bearer admin-d13a66", ExitPass},
		{"broadcaster refused", "Bearer another", ExitFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := server(t, authTarget(map[string]string{
				"/api/me":               "Bearer http-9f2c71",
				probetest.WSPath:        "Bearer board-4b8e05",
				probetest.BroadcastPath: tc.adminWant,
				"/api/stream":           "Bearer sse-07c5e2",
				"session":               "sess-5a90bf",
				"key":                   "qkey-e62d48",
			}))
			dir := scenarioFiles(t, url, strings.TrimPrefix(scenario, "name: auth\ntarget: target.yaml\n"))
			out := filepath.Join(dir, "out")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r := loadcheck(t, ctx, "run", filepath.Join(dir, "scenario.yaml"), "--out", out, "-q")
			if r.code != tc.code {
				t.Fatalf("run exited %d, want %d:\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			file := resultFile(t, out)
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			texts := map[string]string{"result file": string(b), "run's output": r.stdout + r.stderr}
			for _, f := range report.Formats() {
				rr := loadcheck(t, ctx, "report", file, "--format", f)
				if rr.code != 0 {
					t.Fatalf("report --format %s exited %d: %s", f, rr.code, rr.stderr)
				}
				texts[f] = rr.stdout + rr.stderr
			}
			if tc.code == ExitFail && !strings.Contains(texts["result file"], "401 Unauthorized") {
				t.Errorf("the result does not hold the broadcaster's 401s")
			}
			for where, text := range texts {
				for name, secret := range env {
					if strings.Contains(text, secret) {
						t.Errorf("%s shows %s's value", where, name)
					}
				}
			}
		})
	}
}
