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

// fileReader is the state of reading one file.
type fileReader struct {
	t      *Traffic
	fs     FileStats
	f      *format // nil until a line is read by some format
	req    request
	n      int // lines so far
	binary int // the first line with a NUL byte or invalid UTF-8
	long   int // the first line over MaxLine
	bad    int // the first unreadable line
}

// readFile reads one input, gzip'd or not, detecting its format on the
// first line that any format reads.
func (t *Traffic) readFile(ctx context.Context, in Input) (FileStats, error) {
	fr := &fileReader{t: t, fs: FileStats{Name: in.Name}}
	br := bufio.NewReaderSize(in.R, MaxLine+1)
	r := io.Reader(br)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fr.fs, fmt.Errorf("%s: %v", in.Name, err)
		}
		defer gz.Close()
		r = gz
		fr.fs.Name += " (gzip)"
	}
	lines := bufio.NewReaderSize(r, MaxLine+1)
	for {
		line, err := lines.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			fr.n++
			fr.fs.TooLong++
			if fr.long == 0 {
				fr.long = fr.n
			}
			if err := skipLine(lines); err != nil && err != io.EOF {
				return fr.fs, fmt.Errorf("%s:%d: %v", in.Name, fr.n, err)
			}
			continue
		}
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				return fr.fs, fmt.Errorf("%s:%d: %v", in.Name, fr.n+1, err)
			}
			break
		}
		fr.n++
		if fr.n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return fr.fs, err
			}
		}
		fr.line(bytes.TrimRight(line, "\r\n"), in.Name)
		if err == io.EOF {
			break
		}
	}
	if fr.f != nil {
		fr.fs.Format = fr.f.name
	}
	if fr.fs.Requests == 0 {
		return fr.fs, noRequests(fr.fs, fr.n, fr.binary, fr.long, fr.bad)
	}
	return fr.fs, nil
}

// line reads line n of the file: a request, a line to skip, or one that
// cannot be read.
func (fr *fileReader) line(line []byte, name string) {
	if len(line) == 0 {
		return
	}
	if fr.f == nil {
		fr.f = detect(line)
	}
	f, fs := fr.f, &fr.fs
	switch {
	case f != nil && f.parse(line, &fr.req):
		fs.Requests++
		fr.t.add(&fr.req)
	case f != nil && f.shape != nil && f.shape(line):
		fs.Skipped++
	case f == nil && shaped(line) != "":
		// Before the first access line, a line of a format's shape (the
		// service starting up) is skipped as one of that format.
		fs.Skipped++
		fs.Format = shaped(line)
	default:
		if fr.binary == 0 && (bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line)) {
			fr.binary = fr.n
		}
		fs.Unreadable++
		if fr.bad == 0 {
			fr.bad = fr.n
		}
		if len(fs.Shown) < showUnreadable {
			fs.Shown = append(fs.Shown, fmt.Sprintf("%s:%d: %s", name, fr.n, quote(line)))
		}
	}
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
