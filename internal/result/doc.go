// Package result is what loadcheck measured, as it is saved and re-read:
// the result of one run (Result, versioned JSON) and the documents built
// from results — a comparison of targets, a capacity search, a night —
// with reading them back (ReadDocument checks a file's shape and names
// what is wrong at its line and column), writing files atomically
// (WriteFileAtomic, Result.Save) and the nightly history (history.jsonl).
//
// It renders nothing: package report draws these documents in every
// format. A Result's figures are read through the metric catalogue
// (Result.Metric), so gates are evaluated against the result exactly as
// it is saved.
package result
