package probe

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Event ids are "<run>-<seq>": a random run prefix of 8 hex digits and the
// event's sequence number in the broadcast schedule. The sequence number
// indexes the broadcaster's event table and each board's bitsets, so a
// board records an event in a few bit operations.

// newRunID returns a random run prefix for event ids.
func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// eventID returns the id of event seq of run.
func eventID(run string, seq int) string {
	return run + "-" + strconv.Itoa(seq)
}

// parseEventID returns the sequence number of id when id belongs to run.
func parseEventID(run string, id []byte) (int, bool) {
	if len(id) <= len(run)+1 || string(id[:len(run)]) != run || id[len(run)] != '-' {
		return 0, false
	}
	n := 0
	for _, c := range id[len(run)+1:] {
		if c < '0' || c > '9' || n > (1<<31)/10 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// idOf returns the string value of the top-level field name of the JSON
// object msg, without the quotes. ok is false when msg is not a JSON
// object, has no such field, or the value is not a string. Nested objects
// are skipped, so an "id" inside a nested object is not taken for the
// event's. It does not allocate for values without escapes.
func idOf(msg []byte, name string) (id []byte, ok bool) {
	s := scanner{b: msg}
	s.space()
	if !s.eat('{') {
		return nil, false
	}
	for {
		s.space()
		if s.eat('}') {
			return nil, false
		}
		key, esc, ok := s.str()
		if !ok {
			return nil, false
		}
		s.space()
		if !s.eat(':') {
			return nil, false
		}
		s.space()
		if keyIs(key, esc, name) {
			start := s.i
			v, vesc, ok := s.str()
			if !ok {
				return nil, false
			}
			// Escapes, and bytes that are not UTF-8 (which encoding/json
			// reads as U+FFFD), take the decoder's reading.
			if vesc || !utf8.Valid(v) {
				var u string
				if json.Unmarshal(msg[start:s.i], &u) != nil {
					return nil, false
				}
				return []byte(u), true
			}
			return v, true
		}
		if !s.value() {
			return nil, false
		}
		s.space()
		if s.eat(',') {
			continue
		}
		return nil, false // '}' or garbage: the field is not there
	}
}

func keyIs(key []byte, esc bool, name string) bool {
	if !esc {
		return string(key) == name
	}
	var u string
	if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &u) != nil {
		return false
	}
	return u == name
}

// scanner walks just enough JSON to find a top-level field. It trusts the
// input to be JSON where it skips values: a malformed message yields "no
// id", never a panic.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string and returns its raw contents and whether they hold
// escapes.
func (s *scanner) str() (raw []byte, esc bool, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			esc = true
			s.i += 2
		case '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, esc, true
		default:
			s.i++
		}
	}
	return nil, false, false
}

// value skips one value of any kind.
func (s *scanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default: // number, true, false, null
		start := s.i
		for s.i < len(s.b) && strings.IndexByte(",}] \t\r\n", s.b[s.i]) < 0 {
			s.i++
		}
		return s.i > start
	}
}
