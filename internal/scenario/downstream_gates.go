package scenario

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// CheckDownstreamGates reports every gate and abort condition of s that
// names a downstream t does not declare, at its place in s's file: the
// scenario names downstreams its target file declares, so neither file
// alone can tell. A run checks it before it starts anything.
func CheckDownstreamGates(s *Scenario, t *Target) error {
	var names []string
	for _, d := range t.Downstreams {
		names = append(names, d.Name)
	}
	var errs []error
	check := func(path string, gates []gate.Gate) {
		for i, g := range gates {
			ds := metric.DownstreamOf(g.Metric)
			if ds == "" || slices.Contains(names, ds) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %q: %s", s.Where(yamlfile.Index(path, i)), g.Text, unknownDownstream(ds, names, t)))
		}
	}
	check("gates", s.Gates)
	check("abort.when", s.Abort.When)
	return errors.Join(errs...)
}

// unknownDownstream says that t declares no downstream ds, and what it
// does declare.
func unknownDownstream(ds string, names []string, t *Target) string {
	file := t.File
	if file == "" {
		file = t.Name
	}
	if len(names) == 0 {
		return fmt.Sprintf("target %s declares no downstreams: add one named %q to its downstreams section, or remove the gate", file, ds)
	}
	hint := ""
	if c := yamlfile.Closest(ds, names); c != "" {
		hint = fmt.Sprintf(" — did you mean %q?", c)
	}
	return fmt.Sprintf("target %s declares no downstream %q (it has %s)%s", file, ds, strings.Join(names, ", "), hint)
}
