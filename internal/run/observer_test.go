package run

import (
	"testing"

	"github.com/loadcheck/loadcheck/internal/metric"
)

// TestObserverKinds holds the list of observer kinds to the catalogue:
// every kind has metrics a gate can name, and every metric read from an
// observer names a kind a run starts.
func TestObserverKinds(t *testing.T) {
	t.Parallel()
	kinds := map[string]bool{}
	for _, k := range observerKinds {
		if kinds[k.name] {
			t.Errorf("observer kind %s is listed twice", k.name)
		}
		kinds[k.name] = true
		if k.start == nil || k.merge == nil {
			t.Errorf("observer kind %s: want a start and a merge", k.name)
		}
	}
	read := map[string]bool{}
	for _, m := range metric.All() {
		if m.Observer == "" {
			continue
		}
		read[m.Observer] = true
		if !kinds[m.Observer] {
			t.Errorf("%s is read from observer kind %q, which no run starts", m.Name, m.Observer)
		}
	}
	for k := range kinds {
		if !read[k] {
			t.Errorf("observer kind %s has no metric in the catalogue", k)
		}
	}
}
