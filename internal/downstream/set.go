package downstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Set is the downstreams of one target, ready to watch: the counters
// opened, the stubs served.
type Set struct {
	Watched []Watched
	// Stubs are the served stubs, by name.
	Stubs map[string]*Stub
}

// OpenAll opens or serves every downstream of ds, in order, and resolves
// the address its connections are counted to. When one fails, it closes
// what it opened and returns the error, which names the downstream: a
// database that does not answer stops a run before any load. The caller
// expands the target's placeholders with StubURLs before starting it, and
// closes the Set after the run.
func OpenAll(ctx context.Context, ds []scenario.Downstream) (*Set, error) {
	s := &Set{Stubs: map[string]*Stub{}}
	for _, d := range ds {
		w := Watched{Name: d.Name, Kind: d.Kind}
		if d.Kind == scenario.DownstreamStub {
			stub, err := Serve(ctx, *d.Stub)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("downstream %q (%s): %w", d.Name, d.Where, err), s.Close())
			}
			s.Stubs[d.Name] = stub
			w.Counter, w.Addr = stub, stub.Addr()
		} else {
			c, err := Open(ctx, d)
			if err != nil {
				return nil, errors.Join(err, s.Close())
			}
			w.Counter = c
			if w.Addr, _, err = Addr(d); err != nil {
				s.Watched = append(s.Watched, w)
				return nil, errors.Join(err, s.Close())
			}
		}
		s.Watched = append(s.Watched, w)
	}
	return s, nil
}

// StubURLs is each stub's base URL by name, for Target.WithStubURLs.
func (s *Set) StubURLs() map[string]string {
	out := make(map[string]string, len(s.Stubs))
	for name, stub := range s.Stubs {
		out[name] = stub.URL()
	}
	return out
}

// Close closes every counter and stub of the set.
func (s *Set) Close() error {
	var errs []error
	for _, w := range s.Watched {
		if err := w.Counter.Close(); err != nil {
			errs = append(errs, fmt.Errorf("downstream %q: %w", w.Name, err))
		}
	}
	s.Watched = nil
	return errors.Join(errs...)
}
