package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// ErrUnreachable is matched (errors.Is) by the errors of CheckReachable
// that mean the service does not answer. The CLI maps it to exit code 2.
var ErrUnreachable = errors.New("target unreachable")

// reachTimeout bounds CheckReachable when ctx has no earlier deadline.
const reachTimeout = 10 * time.Second

// kindError is an error with its own message that also matches a sentinel
// and unwraps to its cause.
type kindError struct {
	msg   string
	kind  error
	cause error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }
func (e *kindError) Unwrap() error        { return e.cause }

// CheckReachable checks that an HTTP server answers at baseURL, for a target
// loadcheck does not start. Any HTTP answer counts, even 404 or 500. When
// the connection is refused the error reads "nothing is listening at
// http://127.0.0.1:8765 — start the service or pass --target"; it and every
// other failure to get an answer match ErrUnreachable. When ctx ends first
// the error wraps ctx.Err() instead.
func CheckReachable(ctx context.Context, baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return &kindError{msg: fmt.Sprintf("base URL %q: want http://host:port", baseURL), kind: ErrUnreachable, cause: err}
	}
	shown := u.Redacted()
	rctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, baseURL, nil)
	if err != nil {
		return &kindError{msg: fmt.Sprintf("base URL %s: %v", shown, err), kind: ErrUnreachable, cause: err}
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("check %s: %w", shown, ctx.Err())
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &kindError{
			msg:   fmt.Sprintf("nothing is listening at %s — start the service or pass --target", shown),
			kind:  ErrUnreachable,
			cause: err,
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop `Get "url":`, said below
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v", reachTimeout)
	}
	return &kindError{
		msg:   fmt.Sprintf("cannot reach %s: %v — start the service or pass --target", shown, err),
		kind:  ErrUnreachable,
		cause: err,
	}
}
