package load

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// fragPrefix marks the endpoint index in a target URL's fragment. HTTP
// clients never send the fragment, so it costs the target nothing, and it
// comes back in vegeta's Result.URL, which is how a result finds its
// endpoint without any shared state.
const fragPrefix = "#lc"

// ranOutMark follows the endpoint index in the fragment of a target whose
// feed has run out (order: once). clients does not send such a target:
// vegeta asks the targeter for a target at every arrival and stops the
// whole attack when it fails, so an endpoint that must stop sending
// answers with this one, which never leaves the machine.
const ranOutMark = "!"

// errRanOut is the error of a target that was not sent because its
// endpoint's feed had run out.
var errRanOut = errors.New("the endpoint's feed has run out")

// template is a string with {{.column}} placeholders, split once.
type template struct {
	lits []string // len(cols)+1 literal pieces
	cols []int    // feed column of each placeholder
	esc  []func(string) string
}

func compile(s string, fd *feed.Feed, inURL bool) (template, error) {
	var t template
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.lits = append(t.lits, rest)
			return t, nil
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return t, fmt.Errorf("%q: unclosed {{", s)
		}
		name := strings.TrimPrefix(strings.TrimSpace(rest[i+2:i+j]), ".")
		col := -1
		if fd != nil {
			for k, c := range fd.Columns {
				if c == name {
					col = k
				}
			}
		}
		if col < 0 {
			return t, fmt.Errorf("%q: placeholder {{.%s}} names no feed column", s, name)
		}
		esc := func(v string) string { return v }
		if inURL {
			esc = url.PathEscape
			if strings.Contains(s[:len(s)-len(rest)+i], "?") {
				esc = url.QueryEscape
			}
		}
		t.lits = append(t.lits, rest[:i])
		t.cols = append(t.cols, col)
		t.esc = append(t.esc, esc)
		rest = rest[i+j+2:]
	}
}

func (t template) static() bool { return len(t.cols) == 0 }

func (t template) render(row []string) string {
	if t.static() {
		return t.lits[0]
	}
	var b strings.Builder
	for i, c := range t.cols {
		b.WriteString(t.lits[i])
		b.WriteString(t.esc[i](row[c]))
	}
	b.WriteString(t.lits[len(t.lits)-1])
	return b.String()
}

// endpoint is an endpoint ready to produce targets.
type endpoint struct {
	method  string
	url     template // base URL + path + fragment
	headers map[string]template
	body    template
	feed    *feed.Feed
	next    atomic.Uint64 // the endpoint's next draw of its feed
	// fixed is the whole target when nothing varies per request.
	fixed *vegeta.Target
	// ranOut is the target that stands for an arrival after the feed ran out.
	ranOut vegeta.Target
}

func newEndpoint(base string, i int, e scenario.Endpoint) (*endpoint, error) {
	ep := &endpoint{method: e.Method, feed: e.Feed, headers: map[string]template{}}
	if ep.method == "" {
		ep.method = http.MethodGet
	}
	var err error
	raw := strings.TrimSuffix(base, "/") + e.Path + fragPrefix + strconv.Itoa(i)
	if ep.url, err = compile(raw, e.Feed, true); err != nil {
		return nil, fmt.Errorf("endpoint %s: path %v", e.Name, err)
	}
	if ep.body, err = compile(e.Body, e.Feed, false); err != nil {
		return nil, fmt.Errorf("endpoint %s: body %v", e.Name, err)
	}
	static := ep.url.static() && ep.body.static()
	for k, v := range e.Headers {
		t, err := compile(v, e.Feed, false)
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: header %s %v", e.Name, k, err)
		}
		static = static && t.static()
		ep.headers[k] = t
	}
	if e.Feed != nil && len(e.Feed.Rows) == 0 {
		static = true
	}
	if static {
		ep.fixed = ep.target(nil)
	}
	ep.ranOut = vegeta.Target{Method: ep.method, URL: strings.TrimSuffix(base, "/") + "/" + fragPrefix + strconv.Itoa(i) + ranOutMark}
	return ep, nil
}

func (ep *endpoint) target(row []string) *vegeta.Target {
	t := &vegeta.Target{Method: ep.method, URL: ep.url.render(row)}
	if b := ep.body.render(row); b != "" {
		t.Body = []byte(b)
	}
	if len(ep.headers) > 0 {
		t.Header = make(http.Header, len(ep.headers))
		for k, v := range ep.headers {
			t.Header.Set(k, v.render(row))
		}
	}
	return t
}

func (ep *endpoint) fill(t *vegeta.Target) {
	if ep.fixed != nil {
		// vegeta copies headers and body into each request, so sharing is safe.
		*t = *ep.fixed
		return
	}
	row, ok := ep.feed.Draw(ep.next.Add(1) - 1)
	if !ok {
		*t = ep.ranOut
		return
	}
	*t = *ep.target(row)
}

// mix is the weighted endpoint mix as a vegeta Targeter.
type mix struct {
	endpoints []*endpoint
	order     []uint8 // endpoint index per slot, weights interleaved
	n         atomic.Uint64
}

// newMix returns the weighted mix of the scenario's endpoints against
// baseURL. The i-th hit goes to the endpoint in slot i of a smooth weighted
// round robin, so any window of sum(weights) hits has the exact split.
func newMix(baseURL string, eps []scenario.Endpoint) (*mix, error) {
	if len(eps) == 0 {
		return nil, fmt.Errorf("no endpoints")
	}
	if len(eps) > 255 {
		return nil, fmt.Errorf("%d endpoints: at most 255", len(eps))
	}
	m := &mix{}
	w := make([]int, len(eps))
	for i, e := range eps {
		ep, err := newEndpoint(baseURL, i, e)
		if err != nil {
			return nil, err
		}
		m.endpoints = append(m.endpoints, ep)
		w[i] = max(e.Weight, 1)
	}
	m.order = smoothRoundRobin(w)
	return m, nil
}

func (m *mix) targeter(t *vegeta.Target) error {
	i := (m.n.Add(1) - 1) % uint64(len(m.order))
	m.endpoints[m.order[i]].fill(t)
	return nil
}

// smoothRoundRobin interleaves indexes by weight (nginx's smooth weighted
// round robin): weights 3,1 give 0,0,1,0 rather than 0,0,0,1. The weights
// are first divided by their greatest common divisor.
func smoothRoundRobin(w []int) []uint8 {
	g := 0
	for _, x := range w {
		g = gcd(g, x)
	}
	sum := 0
	for i := range w {
		w[i] /= g
		sum += w[i]
	}
	cur := make([]int, len(w))
	out := make([]uint8, 0, sum)
	for range sum {
		best := 0
		for i := range w {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= sum
		out = append(out, uint8(best))
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// endpointOf returns the endpoint index carried in a target URL's
// fragment, and whether the target stood for an arrival after the
// endpoint's feed ran out.
func endpointOf(u string) (ep int, ranOut, ok bool) {
	i := strings.LastIndex(u, fragPrefix)
	if i < 0 {
		return 0, false, false
	}
	frag, ranOut := strings.CutSuffix(u[i+len(fragPrefix):], ranOutMark)
	n, err := strconv.Atoi(frag)
	return n, ranOut, err == nil
}
