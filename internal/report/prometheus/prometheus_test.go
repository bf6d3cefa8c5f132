package prometheus

import (
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/metric"
)

// TestPromNamesOfCatalogue checks the catalogue's Prometheus names: each
// ends in the unit of its metric's kind, and no two metrics share a family
// and quantile.
func TestPromNamesOfCatalogue(t *testing.T) {
	seen := map[string]string{}
	for _, m := range metric.All() {
		p := m.Prom
		if !strings.HasSuffix(p.Family, promSuffix(m.Kind)) {
			t.Errorf("%s (%v) is named %s: want the suffix %q", m.Name, m.Kind, p.Family, promSuffix(m.Kind))
		}
		key := p.Family + "/" + p.Quantile
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share %s quantile %q", m.Name, other, p.Family, p.Quantile)
		}
		seen[key] = m.Name
	}
}

func TestTextfileName(t *testing.T) {
	for in, want := range map[string]string{"prelaunch": "loadcheck-prelaunch.prom", "pre launch/2": "loadcheck-pre_launch_2.prom", "": "loadcheck-scenario.prom"} {
		if got := TextfileName(in); got != want {
			t.Errorf("TextfileName(%q) = %q, want %q", in, got, want)
		}
	}
}
