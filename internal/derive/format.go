package derive

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// request is what one access line says: when, what and how it ended.
type request struct {
	at     time.Time
	method string
	target []byte // path and query as sent; aliases the line
	status int
	// service is the time the server took (nginx $request_time); -1 when
	// the line does not say.
	service time.Duration
}

// format is one kind of access log. parse reads one line into r and
// reports whether the line is an access line of this kind. shape reports
// whether a line is of this kind's outer shape although it is not an
// access line (a journal line from the service's start-up): such lines
// are skipped, not counted as unreadable.
type format struct {
	name  string
	parse func(line []byte, r *request) bool
	shape func(line []byte) bool
}

// formats are tried in order on a file's lines until one reads a line;
// the file is then read in that format alone.
var formats = []format{
	{name: "journald short-iso (uvicorn)", parse: parseJournalISO, shape: journalISOShape},
	{name: "journald json (uvicorn)", parse: parseJournalJSON, shape: journalJSONShape},
	{name: "nginx/gunicorn combined", parse: parseCombined},
	{name: "uvicorn with a time", parse: parseUvicornTimed, shape: uvicornTimedShape},
}

// parseJournalISO reads `journalctl -o short-iso` (or short-iso-precise)
// lines of uvicorn's access log:
//
//	2026-12-01T14:03:22+0000 host uvicorn[812]: INFO:     127.0.0.1:52344 - "GET /api/health HTTP/1.1" 200 OK
func parseJournalISO(line []byte, r *request) bool {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return false
	}
	at, ok := parseISOTime(line[:sp])
	if !ok {
		return false
	}
	// host, then identifier[pid]:
	rest := line[sp+1:]
	i := bytes.Index(rest, []byte(": "))
	if i < 0 {
		return false
	}
	r.at = at
	return parseUvicornMessage(rest[i+2:], r)
}

// journalISOShape reports whether line is a journal line: a time, or
// journalctl's own "-- Boot 5c1f… --" and "-- No entries --".
func journalISOShape(line []byte) bool {
	if bytes.HasPrefix(line, []byte("-- ")) && bytes.HasSuffix(line, []byte(" --")) {
		return true
	}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return false
	}
	_, ok := parseISOTime(line[:sp])
	return ok
}

// journalEntry is the part of a `journalctl -o json` line derive reads.
type journalEntry struct {
	Realtime string          `json:"__REALTIME_TIMESTAMP"`
	Message  json.RawMessage `json:"MESSAGE"`
}

// parseJournalJSON reads `journalctl -o json` lines: MESSAGE holds the
// uvicorn access line, __REALTIME_TIMESTAMP the time in microseconds.
func parseJournalJSON(line []byte, r *request) bool {
	if len(line) == 0 || line[0] != '{' {
		return false
	}
	var e journalEntry
	if json.Unmarshal(line, &e) != nil {
		return false
	}
	us, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil {
		return false
	}
	var msg string
	// journald writes a message that is not valid UTF-8 as an array of
	// bytes; such a message is not an access line.
	if json.Unmarshal(e.Message, &msg) != nil {
		return false
	}
	r.at = time.UnixMicro(us).UTC()
	return parseUvicornMessage([]byte(msg), r)
}

func journalJSONShape(line []byte) bool {
	return len(line) > 0 && line[0] == '{' && bytes.Contains(line, []byte(`"__REALTIME_TIMESTAMP"`))
}

// parseUvicornTimed reads uvicorn's access lines as a logging formatter
// with a time writes them to a file:
//
//	2026-12-01 14:03:22,123 INFO     127.0.0.1:52344 - "GET / HTTP/1.1" 200 OK
//
// A time without a zone is taken as UTC.
func parseUvicornTimed(line []byte, r *request) bool {
	rest := parseUvicornTimedTime(line, r)
	return rest != nil && parseUvicornMessage(rest, r)
}

// parseUvicornTimedTime reads the time at the start of line into r.at and
// returns the rest of the line, or nil when the line starts with no time.
func parseUvicornTimedTime(line []byte, r *request) []byte {
	if len(line) < 19 {
		return nil
	}
	end := 19
	for end < len(line) && line[end] != ' ' {
		end++
	}
	stamp := line[:end]
	if line[10] == ' ' {
		// "2026-12-01 14:03:22,123": the date and the time are two fields.
		stamp = bytes.Clone(stamp)
		stamp[10] = 'T'
	}
	at, ok := parseISOTime(bytes.Replace(stamp, []byte(","), []byte("."), 1))
	if !ok {
		return nil
	}
	r.at = at
	return line[end:]
}

// uvicornTimedShape reports whether line starts with a time, as every
// line of a log with a time does.
func uvicornTimedShape(line []byte) bool {
	var r request
	return parseUvicornTimedTime(line, &r) != nil
}

// parseUvicornMessage reads the message of a uvicorn access line, after
// the level:
//
//	INFO:     127.0.0.1:52344 - "GET /api/health HTTP/1.1" 200 OK
//
// r.at is set by the caller.
func parseUvicornMessage(msg []byte, r *request) bool {
	i := bytes.Index(msg, []byte(` - "`))
	if i < 0 {
		return false
	}
	rest, ok := parseRequestLine(msg[i+4:], r)
	if !ok {
		return false
	}
	status, _, ok := leadingInt(bytes.TrimLeft(rest, " "))
	if !ok {
		return false
	}
	r.status = status
	r.service = -1
	return true
}

// parseCombined reads nginx's combined format, which gunicorn's default
// access log shares, with or without $request_time (seconds, with a
// fraction) at the end:
//
//	127.0.0.1 - - [01/Dec/2026:14:03:22 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5" 0.004
func parseCombined(line []byte, r *request) bool {
	open := bytes.IndexByte(line, '[')
	if open < 0 {
		return false
	}
	close := bytes.IndexByte(line[open:], ']')
	if close < 0 {
		return false
	}
	at, ok := parseCLFTime(line[open+1 : open+close])
	if !ok {
		return false
	}
	rest := bytes.TrimLeft(line[open+close+1:], " ")
	if len(rest) == 0 || rest[0] != '"' {
		return false
	}
	rest, ok = parseRequestLine(rest[1:], r)
	if !ok {
		return false
	}
	status, rest, ok := leadingInt(bytes.TrimLeft(rest, " "))
	if !ok {
		return false
	}
	r.at, r.status, r.service = at.UTC(), status, -1
	// The body size, the referrer and the user agent, then perhaps the
	// request time: the last field when it is a number with a fraction.
	last := bytes.TrimRight(rest, " ")
	if sp := bytes.LastIndexByte(last, ' '); sp >= 0 && bytes.IndexByte(last[sp:], '.') > 0 && last[len(last)-1] != '"' {
		field := bytes.TrimPrefix(last[sp+1:], []byte("rt="))
		if s, err := strconv.ParseFloat(string(field), 64); err == nil && s >= 0 && s < 86400 {
			r.service = time.Duration(s * float64(time.Second))
		}
	}
	return true
}

// parseRequestLine reads `METHOD TARGET HTTP/x"` and returns what
// follows the closing quote.
func parseRequestLine(b []byte, r *request) ([]byte, bool) {
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		return nil, false
	}
	reqLine, rest := b[:q], b[q+1:]
	sp := bytes.IndexByte(reqLine, ' ')
	if sp <= 0 {
		return nil, false
	}
	method := reqLine[:sp]
	target := reqLine[sp+1:]
	if sp2 := bytes.LastIndexByte(target, ' '); sp2 >= 0 && bytes.HasPrefix(target[sp2+1:], []byte("HTTP/")) {
		target = target[:sp2]
	}
	if !knownMethod(method) {
		return nil, false
	}
	// An absolute-form target (through a proxy) keeps its path.
	if bytes.HasPrefix(target, []byte("http://")) || bytes.HasPrefix(target, []byte("https://")) {
		t := target[bytes.Index(target, []byte("//"))+2:]
		s := bytes.IndexByte(t, '/')
		if s < 0 {
			t = []byte("/")
		} else {
			t = t[s:]
		}
		target = t
	}
	if len(target) == 0 || target[0] != '/' {
		return nil, false
	}
	r.method = methodName(method)
	r.target = target
	return rest, true
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func knownMethod(m []byte) bool { return methodName(m) != "" }

// methodName returns m as one of the interned method names, or "".
func methodName(m []byte) string {
	for _, s := range methods {
		if string(m) == s {
			return s
		}
	}
	return ""
}

// leadingInt reads the three-digit status at the start of b.
func leadingInt(b []byte) (int, []byte, bool) {
	n := 0
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i != 3 || n < 100 || n > 599 || (i < len(b) && b[i] != ' ') {
		return 0, nil, false
	}
	return n, b[i:], true
}

// parseISOTime reads 2026-12-01T14:03:22, with an optional fraction and
// an optional zone (Z, +0000 or +00:00; none is UTC).
func parseISOTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, s := num(b[:4]), num(b[5:7]), num(b[8:10]), num(b[11:13]), num(b[14:16]), num(b[17:19])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60 {
		return time.Time{}, false
	}
	rest := b[19:]
	var nanos int
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		scale := int(time.Second)
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			scale /= 10
			nanos += int(rest[i]-'0') * scale
			i++
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	off := 0
	switch {
	case len(rest) == 0 || string(rest) == "Z":
	case (rest[0] == '+' || rest[0] == '-') && (len(rest) == 5 || len(rest) == 6 && rest[3] == ':'):
		hh, mm := num(rest[1:3]), num(rest[len(rest)-2:])
		if hh < 0 || mm < 0 {
			return time.Time{}, false
		}
		off = (hh*60 + mm) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, nanos, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// parseCLFTime reads nginx's $time_local, 01/Dec/2026:14:03:22 +0000, by
// hand: time.Parse took a third of the time of a line.
func parseCLFTime(b []byte) (time.Time, bool) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, false
	}
	month := -1
	for i, m := range months {
		if string(b[3:6]) == m {
			month = i + 1
		}
	}
	// The rest is parseISOTime's: 2026-12-01T14:03:22+0000.
	iso := [24]byte{}
	copy(iso[0:4], b[7:11])
	iso[4], iso[7], iso[10], iso[13], iso[16] = '-', '-', 'T', ':', ':'
	if month < 0 {
		return time.Time{}, false
	}
	iso[5], iso[6] = byte('0'+month/10), byte('0'+month%10)
	copy(iso[8:10], b[0:2])
	copy(iso[11:19], b[12:20])
	copy(iso[19:24], b[21:26])
	return parseISOTime(iso[:])
}
