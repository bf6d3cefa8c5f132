package derive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input is one log to read: its name, for messages, and its contents.
type Input struct {
	Name string
	R    io.Reader
}

// Read reads every input, in order, into one Traffic. feedRows is the
// number of values each route's feed will keep (see Options.FeedRows). An
// input with no readable access line is an error naming it; so is a
// failed read.
func Read(ctx context.Context, inputs []Input, feedRows int) (*Traffic, error) {
	t := newTraffic(feedRows)
	for _, in := range inputs {
		fs, err := t.readFile(ctx, in)
		if err != nil {
			return nil, err
		}
		t.Files = append(t.Files, fs)
	}
	return t, nil
}

// readFile reads one input, gzip'd or not, detecting its format on the
// first line that any format reads.
func (t *Traffic) readFile(ctx context.Context, in Input) (FileStats, error) {
	fs := FileStats{Name: in.Name}
	br := bufio.NewReaderSize(in.R, MaxLine+1)
	r := io.Reader(br)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fs, fmt.Errorf("%s: %v", in.Name, err)
		}
		defer gz.Close()
		r = gz
		fs.Name += " (gzip)"
	}
	lines := bufio.NewReaderSize(r, MaxLine+1)
	var (
		f      *format
		req    request
		n      int
		binary int // the first line with a NUL byte or invalid UTF-8
		long   int // the first line over MaxLine
		bad    int // the first unreadable line
	)
	for {
		line, err := lines.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			n++
			fs.TooLong++
			if long == 0 {
				long = n
			}
			if err := skipLine(lines); err != nil && err != io.EOF {
				return fs, fmt.Errorf("%s:%d: %v", in.Name, n, err)
			}
			continue
		}
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				return fs, fmt.Errorf("%s:%d: %v", in.Name, n+1, err)
			}
			break
		}
		n++
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return fs, err
			}
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue
		}
		if f == nil {
			f = detect(line)
		}
		switch {
		case f != nil && f.parse(line, &req):
			fs.Requests++
			t.add(&req)
		case f != nil && f.shape != nil && f.shape(line):
			fs.Skipped++
		case f == nil && shaped(line) != "":
			// Before the first access line, a line of a format's shape
			// (the service starting up) is skipped as one of that format.
			fs.Skipped++
			fs.Format = shaped(line)
		default:
			if binary == 0 && (bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line)) {
				binary = n
			}
			fs.Unreadable++
			if bad == 0 {
				bad = n
			}
			if len(fs.Shown) < showUnreadable {
				fs.Shown = append(fs.Shown, fmt.Sprintf("%s:%d: %s", in.Name, n, quote(line)))
			}
		}
		if err == io.EOF {
			break
		}
	}
	if f != nil {
		fs.Format = f.name
	}
	if fs.Requests == 0 {
		return fs, noRequests(fs, n, binary, long, bad)
	}
	return fs, nil
}

// noRequests is the error of a file without one readable access line.
func noRequests(fs FileStats, lines, binary, long, bad int) error {
	switch {
	case lines == 0:
		return fmt.Errorf("%s: empty: want an access log (uvicorn lines from journalctl -o short-iso or -o json, a uvicorn log with a time, nginx or gunicorn combined)", fs.Name)
	case binary > 0:
		return fmt.Errorf("%s:%d: binary data, not a text access log (gzip'd files are read as they are; uncompress any other kind first)", fs.Name, binary)
	case fs.Unreadable == 0 && fs.Skipped == 0:
		return fmt.Errorf("%s:%d: line longer than %d KiB, skipped, and the file has no other line: not an access log", fs.Name, long, MaxLine>>10)
	case fs.Unreadable == 0:
		return fmt.Errorf("%s: %d %s lines, none an access line: is uvicorn's access log on (no --no-access-log)?", fs.Name, fs.Skipped, strings.TrimSuffix(fs.Format, " (uvicorn)"))
	}
	_, text, _ := strings.Cut(fs.Shown[0], fmt.Sprintf(":%d: ", bad))
	return fmt.Errorf("%s:%d: not an access line of a known format, nor is any later line: %s — derive reads uvicorn lines from journalctl -o short-iso or -o json, a uvicorn log with a time, and nginx or gunicorn combined, with or without $request_time", fs.Name, bad, text)
}

// detect returns the first format that reads line, or nil.
func detect(line []byte) *format {
	var r request
	for i := range formats {
		if formats[i].parse(line, &r) {
			return &formats[i]
		}
	}
	return nil
}

// shaped names the first format whose shape line has, or "".
func shaped(line []byte) string {
	for _, f := range formats {
		if f.shape != nil && f.shape(line) {
			return f.name
		}
	}
	return ""
}

// skipLine reads past the rest of an overlong line.
func skipLine(r *bufio.Reader) error {
	for {
		_, err := r.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// quote shows up to 120 bytes of a line, quoted.
func quote(line []byte) string {
	if len(line) > 120 {
		return strconv.Quote(string(line[:120])) + "…"
	}
	return strconv.Quote(string(line))
}
