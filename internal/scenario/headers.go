package scenario

import (
	"net/http"
	"strings"

	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// Headers of the websocket boards, the broadcaster and the SSE clients.
// They carry what a real client of the service sends: a token, a cookie.
// Unlike an HTTP endpoint's headers they take no placeholders (these
// clients have no feed); a value may hold ${NAME}, which is a secret like
// any other (Scenario.Secrets).

// headerOwners names the headers loadcheck sets itself, and why a file
// may not: each client kind has its own (see checkHeaders).
var headerOwners = map[string]string{
	"Host":              "the host comes from the target's base_url",
	"Content-Length":    "Go sets it from the body",
	"Transfer-Encoding": "Go sets it from the body",
	"Connection":        "the client manages its connections",
}

// wsHandshakeOwners are the headers of the websocket handshake.
var wsHandshakeOwners = map[string]string{
	"Upgrade":                  "the websocket handshake sets it",
	"Sec-Websocket-Key":        "the websocket handshake sets it",
	"Sec-Websocket-Version":    "the websocket handshake sets it",
	"Sec-Websocket-Extensions": "the websocket handshake sets it",
	"Sec-Websocket-Protocol":   "list the protocols in websocket.subprotocols instead",
}

// broadcastOwners are the headers of a broadcast POST.
var broadcastOwners = map[string]string{
	"Content-Type": "the broadcast body is JSON, sent as application/json",
}

// checkHeaders checks the headers at path: each name an HTTP token given
// once (names are case-insensitive), not one loadcheck sets (owners, then
// headerOwners), each value a single line without placeholders.
func checkHeaders(p *yamlfile.Problems, path string, h map[string]string, owners map[string]string) {
	seen := map[string]string{}
	for _, k := range sortedKeys(h) {
		at := yamlfile.Child(path, k)
		canon := http.CanonicalHeaderKey(k)
		if !isToken(k) {
			p.At(at, "%q is not a header name: want letters, digits and !#$%%&'*+-.^_`|~, e.g. Authorization", k)
			continue
		}
		if first, ok := seen[canon]; ok {
			p.At(at, "header %q is also given as %q: header names ignore case, give it once", k, first)
			continue
		}
		seen[canon] = k
		why, owned := owners[canon]
		if !owned {
			why, owned = headerOwners[canon]
		}
		if owned {
			p.At(at, "loadcheck sets %s itself: %s", canon, why)
		}
		v := h[k]
		switch {
		case strings.ContainsAny(v, "\r\n\x00"):
			p.At(at, "a header value is one line: remove the line break")
		case strings.Contains(v, "{{"):
			p.At(at, "placeholders are for HTTP endpoints with a feed; here a value is fixed — use ${NAME} for a secret from the environment")
		}
	}
}

// checkSubprotocols checks websocket.subprotocols: tokens, each once.
func checkSubprotocols(p *yamlfile.Problems, path string, list []string) {
	seen := map[string]bool{}
	for i, s := range list {
		at := yamlfile.Index(path, i)
		switch {
		case !isToken(s):
			p.At(at, "%q is not a subprotocol name: want letters, digits and !#$%%&'*+-.^_`|~, e.g. dispatch.v1", s)
		case seen[s]:
			p.At(at, "%q is offered twice: give each subprotocol once", s)
		}
		seen[s] = true
	}
}

// mergeHeaders returns base with over on top, name by name, ignoring the
// case of names (over's spelling wins); nil when both are empty.
func mergeHeaders(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	m := make(map[string]string, len(base)+len(over))
	for _, k := range sortedKeys(base) {
		m[k] = base[k]
	}
	for _, k := range sortedKeys(over) {
		for b := range m {
			if strings.EqualFold(b, k) {
				delete(m, b)
			}
		}
		m[k] = over[k]
	}
	return m
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2),
// the syntax of header names and websocket subprotocols.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// hasHeader reports whether h has the header name, in any case.
func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
