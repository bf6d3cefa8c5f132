package scenario_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLoadClientHeaders: the boards, the broadcaster and the SSE clients
// carry headers with ${NAME} secrets, substituted and kept for redaction
// as an HTTP endpoint's are; the broadcaster sends the websocket section's
// headers with its own over them, name by name whatever the case.
func TestLoadClientHeaders(t *testing.T) {
	t.Setenv("LOADCHECK_TEST_BOARD_TOKEN", "board-s3cret")
	t.Setenv("LOADCHECK_TEST_ADMIN_TOKEN", "admin-s3cret")
	t.Setenv("LOADCHECK_TEST_SSE_TOKEN", "sse-s3cret")
	s := mustLoad(t, t.TempDir(), `
duration: 1m
websocket:
  boards: 2
  path: /ws
  headers: {Authorization: "Bearer ${LOADCHECK_TEST_BOARD_TOKEN}", Cookie: "session=${LOADCHECK_TEST_BOARD_TOKEN}; theme=dark"}
  subprotocols: [dispatch.v2, dispatch.v1]
  broadcast:
    path: /b
    rate: 1/s
    headers: {authorization: "Bearer ${LOADCHECK_TEST_ADMIN_TOKEN}", X-Source: loadcheck}
sse:
  clients: 1
  path: /s
  headers: {Authorization: "Bearer ${LOADCHECK_TEST_SSE_TOKEN}"}
`)
	ws := s.WebSocket
	if diff := cmp.Diff(map[string]string{
		"Authorization": "Bearer board-s3cret",
		"Cookie":        "session=board-s3cret; theme=dark",
	}, ws.Headers); diff != "" {
		t.Errorf("websocket.headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dispatch.v2", "dispatch.v1"}, ws.Subprotocols); diff != "" {
		t.Errorf("websocket.subprotocols (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{
		"authorization": "Bearer admin-s3cret", // the broadcast's own, not the boards'
		"Cookie":        "session=board-s3cret; theme=dark",
		"X-Source":      "loadcheck",
	}, ws.Broadcast.Headers); diff != "" {
		t.Errorf("broadcast headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"Authorization": "Bearer sse-s3cret"}, s.SSE.Headers); diff != "" {
		t.Errorf("sse.headers (-want +got):\n%s", diff)
	}
	for _, v := range []string{"board-s3cret", "admin-s3cret", "sse-s3cret"} {
		found := false
		for _, sec := range s.Secrets {
			found = found || sec == v
		}
		if !found {
			t.Errorf("Secrets = %q, want %q among them: reports redact it", s.Secrets, v)
		}
	}
}

// TestLoadClientHeaderErrors: a header loadcheck must set itself, a name
// that is not a token, a name given twice, a placeholder, a bad
// subprotocol: each an error at its field, saying what to do.
func TestLoadClientHeaderErrors(t *testing.T) {
	t.Parallel()
	const ws = "duration: 1m\nwebsocket:\n  boards: 1\n  path: /ws\n  broadcast: {path: /b, rate: 1/s}\n"
	checkLoadErrors(t, []loadErrorCase{
		{"handshake header", ws + "  headers: {Sec-WebSocket-Protocol: v1}\n",
			"websocket.headers.Sec-WebSocket-Protocol: loadcheck sets Sec-Websocket-Protocol itself: list the protocols in websocket.subprotocols instead"},
		{"host", ws + "  headers: {Host: example.com}\n",
			"websocket.headers.Host: loadcheck sets Host itself: the host comes from the target's base_url"},
		{"not a token", ws + "  headers: {\"X Token\": a}\n", `"X Token" is not a header name`},
		{"twice", ws + "  headers: {X-Token: a, x-token: b}\n", `header "x-token" is also given as "X-Token"`},
		{"placeholder", ws + "  headers: {X-Term: \"{{.term}}\"}\n", "use ${NAME} for a secret from the environment"},
		{"line break", ws + "  headers: {X-Token: \"a\\r\\nX-Evil: b\"}\n", "a header value is one line"},
		{"broadcast content type", "duration: 1m\nwebsocket:\n  boards: 1\n  path: /ws\n  broadcast: {path: /b, rate: 1/s, headers: {Content-Type: text/plain}}\n",
			"websocket.broadcast.headers.Content-Type: loadcheck sets Content-Type itself"},
		{"shared content type", ws + "  headers: {content-type: text/plain}\n",
			"websocket.headers.content-type: the broadcaster sends these headers too"},
		{"subprotocol twice", ws + "  subprotocols: [v1, v1]\n", `websocket.subprotocols[1]: "v1" is offered twice`},
		{"subprotocol not a token", ws + "  subprotocols: [\"a b\"]\n", `websocket.subprotocols[0]: "a b" is not a subprotocol name`},
		{"sse", "duration: 1m\nsse: {clients: 1, path: /s, headers: {Content-Length: \"3\"}}\n",
			"sse.headers.Content-Length: loadcheck sets Content-Length itself"},
	})
}

// TestDefaultStaggerBounded: without a stagger the boards start within
// 5 s however many there are (10 ms apart up to 500 boards); a stagger
// written in the file is kept.
func TestDefaultStaggerBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		boards  int
		stagger string
		want    time.Duration
	}{
		{6, "", 10 * time.Millisecond},
		{500, "", 10 * time.Millisecond},
		{1000, "", 5 * time.Millisecond},
		{10000, "", 500 * time.Microsecond},
		{10000, "stagger: 10ms, ", 10 * time.Millisecond},
	} {
		s := mustLoad(t, t.TempDir(), "duration: 1m\nwebsocket: {"+tc.stagger+"boards: "+strconv.Itoa(tc.boards)+", path: /ws, broadcast: {path: /b, rate: 1/s}}\n")
		if got := s.WebSocket.Stagger; got != tc.want {
			t.Errorf("%d boards, %q: Stagger = %v, want %v", tc.boards, tc.stagger, got, tc.want)
		}
	}
}
