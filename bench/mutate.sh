#!/bin/sh
# mutate.sh runs gremlins (pinned) over the files of loadcheck whose
# arithmetic users trust, one package at a time, and prints each package's
# score. Usage: bench/mutate.sh [package ...] (default: all below), from
# the repository's root; `make mutate` runs it. Results go to
# $MUTATE_OUT (default bench/results/mutation), one JSON and one text file
# per package. docs/mutation.md records the scores and every survivor.
#
# gremlins mutates every non-test file of a package it is given and runs
# the package's tests against each mutant. The table below names, per
# package, the files to mutate (the rest are excluded); the tests run
# (a -run pattern handed to go test through GOFLAGS; "all" for every
# test): in the packages where only some files are mutated, the unit
# tests of those files, which are deterministic, rather than the
# package's load and timing tests, which a busy machine can fail and so
# count a mutant as killed that no test caught; and the timeout
# coefficient: gremlins stops a mutant's test run after the coefficient
# times the package's unmutated test time (compiling included), so a
# mutant that makes a loop endless cannot hold the machine for long.
# --test-cpu is not used: v0.6.0 passes "-cpu N" to go test as one
# argument, which go test refuses, so every mutant would count as killed.
set -eu
GO=${GO:-go}
GREMLINS=github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
OUT=${MUTATE_OUT:-bench/results/mutation}

# package; files mutated (all: every non-test file); tests; timeout coefficient
table='
internal/gate;all;all;30
internal/unit;all;all;30
internal/merge;all;all;20
internal/metric;all;all;20
internal/record;all;all;10
internal/schedule;all;all;20
internal/probe;ledger.go account.go eventid.go clock.go figures.go;^(TestMergeWS|TestMergeSSE|TestStartShardWS|TestAccount|TestDisconnected|TestBitset|TestReceive|TestParseEventID|TestIDOf);20
internal/resource;tally.go figures.go;^(TestCPUPercent|TestWindowMean|TestRollingMax|TestTally|TestErrKind|TestSeriesExits);20
internal/load;pacer.go;^TestPacer;20
'

# excludes prints a gremlins --exclude-files regexp matching every file of
# package dir $1 but those named in $2.
excludes() {
	others=$(cd "$1" && find . -name '*.go' ! -name '*_test.go' | sed 's|^\./||' | sort | while read -r f; do
		case " $2 " in *" $f "*) ;; *) printf '%s\n' "$f" ;; esac
	done | sed 's/\./\\./g' | paste -sd'|')
	[ -n "$others" ] && printf '^(%s)$' "$others"
}

mkdir -p "$OUT"
pkgs=${*:-$(printf '%s\n' "$table" | sed -n 's/;.*//p')}
for pkg in $pkgs; do
	row=$(printf '%s\n' "$table" | grep "^$pkg;") || { echo "mutate.sh: $pkg is not in the table" >&2; exit 2; }
	files=$(echo "$row" | cut -d';' -f2)
	tests=$(echo "$row" | cut -d';' -f3)
	coef=$(echo "$row" | cut -d';' -f4)
	set -- --workers 1 --timeout-coefficient "$coef"
	if [ "$files" != all ]; then
		set -- "$@" --exclude-files "$(excludes "$pkg" "$files")"
	fi
	goflags=${GOFLAGS:-}
	if [ "$tests" != all ]; then
		goflags="$goflags -run=$tests"
	fi
	name=$(echo "$pkg" | tr / _)
	echo "== $pkg (files: $files; tests: $tests)"
	GOFLAGS=$goflags $GO run $GREMLINS unleash "$@" -o "$OUT/$name.json" "./$pkg" >"$OUT/$name.txt" 2>&1 || true
	grep -v '^ *KILLED' "$OUT/$name.txt" | grep -v '^Starting\|^Gathering\|^$'
done
