// Package scenario reads the two kinds of file users write: scenarios
// (what load to apply and which gates must hold) and targets (where the
// service is and how to start it). It is the first stage of the pipeline:
// the CLI loads a scenario and a target, and every later package — target,
// load, probe, resource, gate, report — works from the immutable Scenario
// and Target built here, never from YAML.
//
// Load and LoadTarget decode strictly with package yamlfile: an unknown
// field is an error that suggests the closest valid name, durations and
// rates must carry units ("30s", "20/s"), and ${NAME} takes a value from
// the environment (the values are kept in Secrets so reports can redact
// them). What the fields mean is checked here, with the same care: every
// problem is reported at once, each naming file:line:column, the field and
// the fix, and every error wraps yamlfile.ErrInvalid. Defaults are applied
// once, while building.
//
// The load profiles are stages of package schedule, fitted to the measured
// phase here and again by WithDuration and WithRate; package schedule
// turns them into the one arrival schedule that package load paces HTTP
// with and package probe the broadcasts. The units themselves are parsed
// by package unit.
//
// Where points at a field of a loaded file, so problems found later (a
// target that does not answer, a resource source that does not exist) can
// name the line to fix.
package scenario
