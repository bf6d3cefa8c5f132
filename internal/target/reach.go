package target

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

// CheckReachable checks that a target loadcheck does not start is ready,
// by the one readiness rule that Start applies too: GET baseURL+readyPath
// ("/" when empty) answers with a 2xx status. When the connection is
// refused the error reads "nothing is listening at http://127.0.0.1:8765 —
// start the service or pass --target"; an answer other than 2xx names the
// status and the path. These and every other failure to get a 2xx match
// ErrUnreachable. An https server's certificate is checked with tlsConf
// (nil: against the system's roots); a certificate that fails says which
// setting of the target file fixes it. When ctx ends first the error wraps
// ctx.Err() instead.
func CheckReachable(ctx context.Context, baseURL, readyPath string, tlsConf *tls.Config) error {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return &kindError{msg: fmt.Sprintf("base URL %q: want http://host:port", baseURL), kind: ErrUnreachable, cause: err}
	}
	if readyPath == "" {
		readyPath = defaultReadyPath
	}
	shown := u.Redacted()
	rctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	readyURL := joinURL(baseURL, readyPath)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, readyURL, nil)
	if err != nil {
		return &kindError{msg: fmt.Sprintf("base URL %s: %v", shown, err), kind: ErrUnreachable, cause: err}
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: tlsConf}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if ready(resp.StatusCode) {
			return nil
		}
		return &kindError{
			msg:  fmt.Sprintf("GET %s answered %s, want a 2xx — fix ready.path in the target file, or the service", redactURL(readyURL), resp.Status),
			kind: ErrUnreachable,
		}
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
	if hint := certificateHint(err); hint != "" {
		return &kindError{msg: fmt.Sprintf("cannot reach %s: %v — %s", shown, err, hint), kind: ErrUnreachable, cause: err}
	}
	return &kindError{
		msg:   fmt.Sprintf("cannot reach %s: %v — start the service or pass --target", shown, err),
		kind:  ErrUnreachable,
		cause: err,
	}
}

// ready is the readiness rule: a 2xx answer. A redirect or a 404 means the
// path is wrong or the service is not up yet.
func ready(status int) bool { return status >= 200 && status < 300 }

// redactURL hides a password in u, for messages.
func redactURL(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return u
}

// certificateHint says how to fix a certificate the client refused, or ""
// when err is not about the certificate.
func certificateHint(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "the certificate is signed by a CA this machine does not trust: name that CA's PEM file in the target file's tls.ca_file"
	case errors.As(err, &host):
		return "the certificate is not for this host: use the host name it was issued for in base_url"
	case errors.As(err, &invalid):
		return "the certificate is not valid (expired, or not for a server): renew it, or name the right CA in tls.ca_file"
	}
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return "the certificate does not verify: name the CA that signed it in the target file's tls.ca_file"
	}
	return ""
}
