// Package schedule is the one arrival schedule of loadcheck: a load
// profile as stages (ramps and holds), fitted or scaled to a phase, and
// the open-model Schedule built from it, which says how many arrivals are
// due by a time and, the inverse, when arrival n is due.
//
// Scenario validation (package scenario), the HTTP pacer (package load)
// and the broadcaster (package probe) all use it, so they cannot disagree
// about when an arrival is meant to happen. It is a package of its own
// because it is arithmetic on time and rates alone: it reads no file and
// knows nothing of scenarios, so those three depend on it and not on one
// another for it.
package schedule
