// Package claims judges the scaling analysis' claims from the runs of
// `make claims`: each claim, the measurement read from the result JSON of
// its runs, and a verdict decided by a rule written per claim. The runs
// are those scenarios/claims/run.sh leaves, one folder per claim run under
// reports/claims/runs/; a claim whose runs are missing is "not measured",
// never guessed. Nothing here runs load: the figures are what loadcheck
// recorded, so the table cannot drift from the runs it names.
package claims
