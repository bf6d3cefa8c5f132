package scenario_test

import (
	"errors"
	"fmt"

	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

func ExampleLoad() {
	s, err := scenario.Load("testdata/scenarios/prelaunch.yaml")
	if errors.Is(err, yamlfile.ErrInvalid) {
		fmt.Println(err) // file:line:col: field: problem, one per line
		return
	}
	fmt.Printf("%s: %v measured after %v of warm-up, target %s\n", s.Name, s.Duration, s.Warmup, s.TargetFile)
	for _, st := range s.HTTP.Stages {
		if st.To != nil {
			fmt.Printf("  ramp to %v over %v\n", st.To, st.Over)
		} else {
			fmt.Printf("  hold for %v\n", st.Hold)
		}
	}
	for _, e := range s.HTTP.Endpoints {
		fmt.Printf("  %s %s weight %d\n", e.Method, e.Path, e.Weight)
	}
	for _, g := range s.Gates {
		fmt.Printf("  gate %s\n", g)
	}
	fmt.Println("the first gate is at", s.Where("gates[0]"))
	// Output:
	// prelaunch: 2m0s measured after 10s of warm-up, target testdata/targets/sim-1w.yaml
	//   ramp to 5/s over 30s
	//   ramp to 20/s over 1m0s
	//   hold for 30s
	//   GET /api/zeus/search?q={{.term}} weight 30
	//   GET /api/customers/lookup?phone={{.phone}} weight 20
	//   GET / weight 50
	//   gate http.zeus-search.p95 < 2s
	//   gate http.errors < 1%
	//   gate ws.loss == 0%
	//   gate cpu.sustained < 60%
	// the first gate is at testdata/scenarios/prelaunch.yaml:26:5
}
