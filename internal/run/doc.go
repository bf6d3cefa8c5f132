// Package run executes one scenario against one target: it starts the
// target (or checks that it is reachable), connects the real-time probes,
// samples the target's resources, drives the HTTP load, checks abort
// conditions every second, and assembles a report.Result with its gates
// evaluated.
//
// It is the one place where the pipeline's stages meet; compare, saturate
// and nightly call Execute repeatedly. The CLI only parses flags and maps
// errors to exit codes: keeping the wiring out of the CLI lets those
// commands and the tests share it (docs/architecture.md).
package run
