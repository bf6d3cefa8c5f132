// Package verdict holds the rules loadcheck judges results by: the scaling
// decision of one run (ScalingOf: stay at one worker, scale, or cannot
// tell), the recommendation among compared configurations (Recommend:
// the cheapest that passes every gate) and a night's regressions against
// the median of earlier nights (Regressions). They return what they
// decided and why, as values (a regression carries its sentence, in
// package unit's units); package report words the rest. The metrics the
// decision reads are the catalogue's (metric.Metric.Scaling), not names
// spelled here.
package verdict
