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

// OpenAll serves the stubs of ds and opens its counters at once, for a
// downstream that runs before the target does; a run opens them in two
// steps (ServeStubs, OpenCounters) around the target's start.
func OpenAll(ctx context.Context, ds []scenario.Downstream) (*Set, error) {
	s, err := ServeStubs(ctx, ds)
	if err != nil {
		return nil, err
	}
	if err := s.OpenCounters(ctx, ds); err != nil {
		return nil, err
	}
	return s, nil
}

// ServeStubs serves every stub of ds. It comes before the target starts,
// whose start section holds their URLs (StubURLs, Target.WithStubURLs).
func ServeStubs(ctx context.Context, ds []scenario.Downstream) (*Set, error) {
	s := &Set{Stubs: map[string]*Stub{}}
	for _, d := range ds {
		if d.Kind != scenario.DownstreamStub {
			continue
		}
		stub, err := Serve(ctx, *d.Stub)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("downstream %q (%s): %w", d.Name, d.Where, err), s.Close())
		}
		s.Stubs[d.Name] = stub
		s.Watched = append(s.Watched, Watched{Name: d.Name, Kind: d.Kind, Counter: stub, Addr: stub.Addr()})
	}
	return s, nil
}

// OpenCounters opens the counters of ds's other downstreams and resolves
// the addresses their connections are counted to, leaving Watched in the
// order of ds. It comes after the target is ready, since a target may
// start its own database (titan starts a private PostgreSQL), and before
// any load: a database that does not answer stops the run, named. When
// one fails, it closes the whole set.
func (s *Set) OpenCounters(ctx context.Context, ds []scenario.Downstream) error {
	stubs := map[string]Watched{}
	for _, w := range s.Watched {
		stubs[w.Name] = w
	}
	s.Watched = s.Watched[:0]
	for _, d := range ds {
		if w, ok := stubs[d.Name]; ok {
			s.Watched = append(s.Watched, w)
			continue
		}
		c, err := Open(ctx, d)
		if err != nil {
			return errors.Join(err, s.Close())
		}
		w := Watched{Name: d.Name, Kind: d.Kind, Counter: c}
		s.Watched = append(s.Watched, w)
		if w.Addr, _, err = Addr(d); err != nil {
			return errors.Join(err, s.Close())
		}
		s.Watched[len(s.Watched)-1] = w
	}
	return nil
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
