// Package unit parses and formats the quantities loadcheck's files, flags
// and gates are written in: arrival rates, durations, percentages and
// sizes in bytes; and counts with their noun ("1 target", "3 targets").
//
// It is the one place that knows which unit names exist and what they are
// worth, so that a scenario file and a gate read "300MB" or "40/min" alike.
// It is a leaf: it knows nothing of scenarios, gates or reports, and its
// callers add what their context needs to an error (the file position, the
// flag, the gate). A size keeps the unit it was written in, because a
// person who wrote 300MB (10⁶ bytes) and reads 286.1MiB back would think
// the threshold had changed.
package unit
