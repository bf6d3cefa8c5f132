/*
Loadcheck drives open-model HTTP load at a service while WebSocket boards
count which broadcasts arrive, samples the service's CPU and memory, and
checks the figures against gates.

Usage:

	loadcheck run SCENARIO [--target T.yaml] [--out DIR] [--duration D] [--rate R] [--quiet]
	loadcheck compare SCENARIO --target A.yaml --target B.yaml…
	loadcheck saturate SCENARIO [--target T.yaml]
	loadcheck nightly --scenario SCENARIO --target A.yaml… [--saturate] [--history DIR]
	loadcheck report RESULT.json… [--format table|md|html|json|junit|prometheus]
	loadcheck merge RESULT.json…
	loadcheck validate FILE...
	loadcheck derive LOG... --out SCENARIO.yaml [--growth 10] [--all] [--feed-rows N]
	loadcheck sim --workers N --listen ADDR [cost flags]
	loadcheck version

Results go to reports/ by default (reports/README.md); loadcheck COMMAND
--help says more about each.

Exit codes:

	0    every gate held
	1    a gate failed, or an abort condition stopped the run
	2    bad input, the target failed to start, or nothing is listening
	130  interrupted (Ctrl-C or SIGTERM); the partial result is still written
*/
package main
