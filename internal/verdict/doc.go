// Package verdict holds the rules loadcheck judges results by: the scaling
// decision of one run (ScalingOf: stay at one worker, scale, or cannot
// tell) and the recommendation among compared configurations (Recommend:
// the cheapest that passes every gate). They return what they decided and
// why, as values; package report words them. The metrics the decision
// reads are the catalogue's (metric.Metric.Scaling), not names spelled
// here.
package verdict
