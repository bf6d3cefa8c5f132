// Package proc is loadcheck's one reader of Linux processes: their stat
// (parent, process group, state, start time, CPU time, RSS), command line
// and children, from a procfs mount — the kernel's /proc, or a folder of
// fixtures in tests.
//
// It sits on github.com/prometheus/procfs, whose parser handles command
// names with spaces and parentheses, so nothing in loadcheck parses
// /proc/<pid>/stat by hand. It also holds what both of its users need of a
// process tree: a process's identity across pid reuse (ID: pid and start
// time) and the breadth-first walk of its descendants (Walk). target walks
// the process tree and process group of a target it started with it;
// resource samples CPU and memory with it. It imports nothing of
// loadcheck's.
package proc
