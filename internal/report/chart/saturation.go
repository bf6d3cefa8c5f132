package chart

import (
	"sort"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// Saturation draws a capacity search: the latency-versus-rate curve of
// every latency gate (or of all endpoints' p95 without one) with the gate
// line, and the achieved rate and CPU against the offered rate.
func Saturation(s *result.Saturation) []Chart {
	steps := append([]result.Step(nil), s.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Rate < steps[j].Rate })
	var cs []Chart
	for _, cv := range latencyCurves(steps) {
		c := Chart{Title: cv.metric + " against the offered rate", XLabel: "offered requests per second", YLabel: "ms", YFromZero: true, Thresholds: cv.limit}
		var line, pass, fail plotter.XYs
		for _, st := range steps {
			v, ok := stepValue(st, cv.metric)
			if !ok {
				continue
			}
			pt := plotter.XY{X: st.Rate, Y: v * 1000}
			line = append(line, pt)
			if st.Pass {
				pass = append(pass, pt)
			} else {
				fail = append(fail, pt)
			}
		}
		c.Lines = []Series{{cv.metric, line}}
		c.Marks = []Marks{{"step passed", pass, true}, {"step failed", fail, false}}
		cs = append(cs, c)
	}
	ach := Chart{Title: "Achieved against offered rate", XLabel: "offered requests per second", YLabel: "successful responses completed per second", YFromZero: true, Points: true}
	var a, ideal plotter.XYs
	for _, st := range steps {
		a = append(a, plotter.XY{X: st.Rate, Y: st.Achieved})
		ideal = append(ideal, plotter.XY{X: st.Rate, Y: st.Rate})
	}
	ach.Lines = []Series{{"achieved", a}, {"offered", ideal}}
	cs = append(cs, ach)
	cpu := Chart{Title: "Sustained CPU of the busiest process against the offered rate", XLabel: "offered requests per second", YLabel: "% of one core", YFromZero: true, Points: true}
	var xy plotter.XYs
	for _, st := range steps {
		if st.HasCPU {
			xy = append(xy, plotter.XY{X: st.Rate, Y: st.CPUSustained})
		}
	}
	cpu.Lines = []Series{{metric.CPUSustained, xy}}
	for _, st := range steps {
		for _, o := range st.Gates {
			if o.Metric == metric.CPUSustained {
				cpu.Thresholds = []Threshold{{o.Limit.V, "gate " + o.Gate}}
			}
		}
	}
	cs = append(cs, cpu)
	return cs
}

// curve is a latency metric of a capacity search, with the lines of the
// gates on it.
type curve struct {
	metric string
	limit  []Threshold
}

// latencyCurves lists the latency metrics the steps' gates judge, in the
// order they first appear, each with its gates' lines; http.p95 alone
// when no gate judges a latency.
func latencyCurves(steps []result.Step) []curve {
	var curves []curve
	seen := map[string]int{}
	for _, st := range steps {
		for _, o := range st.Gates {
			if o.Limit.Kind != gate.Duration {
				continue
			}
			i, ok := seen[o.Metric]
			if !ok {
				i = len(curves)
				seen[o.Metric] = i
				curves = append(curves, curve{metric: o.Metric})
			}
			dup := false
			for _, t := range curves[i].limit {
				dup = dup || t.Label == "gate "+o.Gate
			}
			if !dup {
				curves[i].limit = append(curves[i].limit, Threshold{o.Limit.V * 1000, "gate " + o.Gate})
			}
		}
	}
	if len(curves) == 0 {
		curves = []curve{{metric: metric.HTTPP95}}
	}
	return curves
}

// stepValue is the observed value of metric at a step, in its base unit:
// from the step's gates, or the step's own p95 for http.p95.
func stepValue(st result.Step, name string) (float64, bool) {
	for _, o := range st.Gates {
		if o.Metric == name && o.Observed != nil {
			return o.Observed.V, true
		}
	}
	if name == metric.HTTPP95 {
		return st.P95.Duration().Seconds(), st.Achieved > 0 && !st.NoSuccess
	}
	return 0, false
}
