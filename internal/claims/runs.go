package claims

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/loadcheck/loadcheck/internal/result"
)

// maxDocs bounds the JSON files read from one claim run's folder: a
// folder holds a comparison and its few results, or a search and its
// steps; thousands mean the wrong folder was named.
const maxDocs = 500

// Runs are the documents of every claim run, by the name of its folder
// under the runs directory ("broadcasts", "sse-polls-per-worker" …).
type Runs map[string]*RunSet

// RunSet is what one claim run left: the results of its runs (each once,
// whether saved alone or inside a comparison) and its capacity searches.
type RunSet struct {
	Dir      string
	Results  []*result.Result
	Searches []*result.Saturation
}

// Load reads every claim run folder under dir (reports/claims/runs). A
// missing dir is no error: every claim then reads "not measured".
func Load(dir string) (Runs, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Runs{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	runs := Runs{}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		set, err := loadSet(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		runs[e.Name()] = set
	}
	return runs, nil
}

// loadSet reads one claim run's folder. Results saved alone and inside a
// comparison are kept once, by run id; a result still marked incomplete
// (a run killed before its end) is kept, and its status says so.
func loadSet(dir string) (*RunSet, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if len(files) > maxDocs {
		return nil, fmt.Errorf("claims: %s holds %d JSON files, more than the %d a claim run leaves: name the folder make claims writes (reports/claims/runs)", dir, len(files), maxDocs)
	}
	sort.Strings(files)
	set := &RunSet{Dir: dir}
	seen := map[string]bool{}
	add := func(r *result.Result) {
		if !seen[r.RunID] {
			seen[r.RunID] = true
			set.Results = append(set.Results, r)
		}
	}
	for _, f := range files {
		doc, err := result.ReadDocument(f)
		if err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		switch d := doc.(type) {
		case *result.Result:
			add(d)
		case *result.Comparison:
			for _, r := range d.Results {
				add(r)
			}
		case *result.Saturation:
			set.Searches = append(set.Searches, d)
		}
	}
	return set, nil
}

// result returns the result of the run of claim run id against the target
// file named file (its base name, e.g. "titan-2w.yaml"), or nil. A search's
// steps are not saved as results, so only compare and run results match.
func (rs Runs) result(id, file string) *result.Result {
	set := rs[id]
	if set == nil {
		return nil
	}
	var found *result.Result
	for _, r := range set.Results {
		if filepath.Base(r.Target.File) == file && r.Status == result.Complete {
			found = r // the last complete one: a folder holds one compare
		}
	}
	return found
}

// search returns the capacity search of claim run id, or nil.
func (rs Runs) search(id string) *result.Saturation {
	set := rs[id]
	if set == nil || len(set.Searches) == 0 {
		return nil
	}
	return set.Searches[len(set.Searches)-1]
}
