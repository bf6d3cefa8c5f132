// Package capacity runs a scenario many times to answer the questions one
// run cannot: which of several configurations passes (Compare), how much
// load one configuration carries before a gate fails (Saturate), and
// whether tonight's figures are worse than earlier nights' (Nightly).
//
// It sits on top of package run: every measurement is one run.Execute —
// the target started, made ready, measured and stopped — so a compare, a
// capacity step and a nightly run each see a fresh target. The results are
// report documents (result.Comparison, result.Saturation, result.Nightly),
// rendered by package report like a single run.
//
// Nothing here reads the wall clock or sleeps directly when a test says
// otherwise: Options carries the executor, the clock and the pause, so the
// search logic is tested against a model of a target in microseconds.
package capacity
