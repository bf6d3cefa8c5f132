// Package derive turns a service's access logs into a scenario: the routes
// it serves, each with its share of the traffic and the values its
// requests carried, the mean and peak rates, and a prelaunch ramp to a
// multiple of the peak. It is what `loadcheck derive` runs.
//
// Reading streams: a file is read line by line in constant memory (lines
// over MaxLine are skipped and counted), and everything kept grows with
// the number of routes and feed rows, both capped, never with the number
// of requests. The format is detected per file (see formats); a line that
// cannot be read is counted and the first few are shown, and a file with
// no readable line is an error naming it.
//
// Nothing here sends traffic or imports the packages that do: derive
// writes a scenario file, and scenario.Load checks it like any other.
package derive
