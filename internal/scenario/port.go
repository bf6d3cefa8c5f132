package scenario

import (
	"strings"

	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// checkPortAgreement records a problem when base_url and the start
// section disagree about {port}, the free port loadcheck picks per run:
// base_url uses it but nothing in start passes it to the target (the run
// would wait for a port the target never opens, or, with another service
// on it, load the wrong one), or start passes it while base_url names a
// fixed port (the load would go to that port, not the target's).
func checkPortAgreement(p *yamlfile.Problems, baseURL string, s *Start) {
	if s == nil || len(s.Command) == 0 || !strings.Contains(baseURL, "://") {
		return // no start, or a base_url already reported
	}
	inStart := strings.Contains(s.Dir, "{port}")
	for _, a := range s.Command {
		inStart = inStart || strings.Contains(a, "{port}")
	}
	for _, v := range s.Env {
		inStart = inStart || strings.Contains(v, "{port}")
	}
	inURL := strings.Contains(baseURL, "{port}")
	switch {
	case inURL && !inStart:
		p.At("start.command", "base_url uses {port}, but start never passes {port} to the target, so it listens elsewhere: "+
			"add it to the command (e.g. --port, \"{port}\") or to start.env, or write the fixed port in base_url")
	case inStart && !inURL:
		p.At("base_url", "start passes {port} to the target, but base_url names another port, so the load would not reach it: "+
			"write base_url: http://127.0.0.1:{port}")
	}
}
