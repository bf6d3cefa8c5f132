// Package run executes one scenario against one target, in six stages:
// open the target file's downstreams (serving its stubs), start the
// target (or check that it is reachable), start what observes it (every
// kind of observer, observer.go: the resource sampler, the downstreams,
// the real-time probes), drive the HTTP load (with the broadcaster, and a
// monitor that prints progress, writes checkpoints and checks abort
// conditions every second), assemble a result.Result, and judge it
// against its gates. Each stage owns what it starts and hands back a
// value to close it, so that no return path, early or late, leaves a
// probe or a target behind.
//
// It is the one place where the pipeline's stages meet; compare, saturate
// and nightly call Execute repeatedly. The CLI only parses flags and maps
// errors to exit codes: keeping the wiring out of the CLI lets those
// commands and the tests share it (docs/architecture.md).
package run
