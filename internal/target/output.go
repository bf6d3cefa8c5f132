package target

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

const (
	// outputLines is how many lines of a target's output are kept.
	outputLines = 200
	// maxLineBytes bounds one kept line; the rest of a longer line is
	// dropped and the line is marked.
	maxLineBytes = 4096
	// errorTailLines is how many lines a start error shows.
	errorTailLines = 20
)

// lineRing keeps the last lines written to it and passes every byte on to
// an optional writer. One goroutine writes; Tail is safe to call from any.
type lineRing struct {
	mu        sync.Mutex
	lines     []string // circular once len == max
	next      int      // where the next line goes once full
	max       int
	partial   []byte // the line being written, without its newline
	truncated bool   // partial has reached maxLineBytes
	log       io.Writer
}

func newLineRing(max int, log io.Writer) *lineRing {
	return &lineRing{max: max, log: log}
}

// Write records p. It never fails: an error of the log writer is not the
// target's problem, and the capture must go on.
// Write is not meant for concurrent calls: bytes reach the log in the
// order of the calls, outside the lock, so a slow log does not block Tail.
func (r *lineRing) Write(p []byte) (int, error) {
	if r.log != nil {
		_, _ = r.log.Write(p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			r.appendPartial(rest)
			break
		}
		r.appendPartial(rest[:i])
		r.push(r.takePartial())
		rest = rest[i+1:]
	}
	return len(p), nil
}

func (r *lineRing) appendPartial(b []byte) {
	if room := maxLineBytes - len(r.partial); len(b) > room {
		b = b[:room]
		r.truncated = true
	}
	r.partial = append(r.partial, b...)
}

func (r *lineRing) takePartial() string {
	s := strings.TrimSuffix(string(r.partial), "\r")
	if r.truncated {
		s += " [line truncated]"
	}
	r.partial = r.partial[:0]
	r.truncated = false
	return s
}

func (r *lineRing) push(line string) {
	if len(r.lines) < r.max {
		r.lines = append(r.lines, line)
		return
	}
	r.lines[r.next] = line
	r.next = (r.next + 1) % r.max
}

// Tail returns up to n of the last lines, oldest first. A last line not yet
// ended by a newline is included.
func (r *lineRing) Tail(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := make([]string, 0, len(r.lines)+1)
	all = append(all, r.lines[r.next:]...)
	all = append(all, r.lines[:r.next]...)
	if len(r.partial) > 0 {
		all = append(all, strings.TrimSuffix(string(r.partial), "\r"))
	}
	if n < 0 {
		n = 0
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}
