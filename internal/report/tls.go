package report

import (
	"strings"

	"github.com/loadcheck/loadcheck/internal/result"
)

// tlsHeadline is what a report's first line adds when a target's
// certificate was not verified: the warning cannot scroll away.
func tlsHeadline(targets ...result.TargetInfo) string {
	var names []string
	for _, t := range targets {
		if t.TLS == result.TLSNotVerified {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " — TLS CERTIFICATE " + result.TLSNotVerified + " for " + strings.Join(names, ", ")
}

// tlsWarning is the warning a report prints about t's certificate, or "".
func tlsWarning(t result.TargetInfo) string {
	if t.TLS != result.TLSNotVerified {
		return ""
	}
	return "the target's TLS certificate was NOT VERIFIED (tls.insecure_skip_verify: true): any machine on the path could have answered in its place"
}
