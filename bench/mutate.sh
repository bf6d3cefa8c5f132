#!/bin/sh
# mutate.sh runs gremlins (pinned) over the files of loadcheck whose
# arithmetic users trust, one package at a time, and prints each package's
# score. Usage: bench/mutate.sh [package ...] (default: all below), from
# the repository's root; `make mutate` runs it. Results go to
# $MUTATE_OUT (default bench/results/mutation), one JSON and one text file
# per package. docs/mutation.md records the scores and every survivor.
#
# gremlins mutates every non-test file of a package it is given; the
# table below names the files to mutate (the rest are excluded) and the
# timeout coefficient: gremlins stops a mutant's test run after the
# coefficient times the package's unmutated test time, and a mutant that
# makes a loop endless must not hold the machine for long, while one
# that only slows a short test down must not count as timed out.
# --test-cpu is not used: v0.6.0 passes "-cpu N" to go test as one
# argument, which go test refuses, so every mutant would count as killed.
set -eu
GO=${GO:-go}
GREMLINS=github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
OUT=${MUTATE_OUT:-bench/results/mutation}

# package | files mutated (all: every non-test file) | timeout coefficient
table='
internal/gate|all|30
internal/unit|all|30
internal/merge|all|20
internal/metric|all|20
internal/record|all|10
internal/scenario|schedule.go|4
internal/probe|ledger.go account.go eventid.go schedule.go|3
internal/resource|tally.go|3
internal/load|pacer.go|3
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
pkgs=${*:-$(printf '%s\n' "$table" | sed -n 's/|.*//p')}
for pkg in $pkgs; do
	row=$(printf '%s\n' "$table" | grep "^$pkg|") || { echo "mutate.sh: $pkg is not in the table" >&2; exit 2; }
	files=$(echo "$row" | cut -d'|' -f2)
	coef=$(echo "$row" | cut -d'|' -f3)
	set -- --workers 1 --timeout-coefficient "$coef"
	if [ "$files" != all ]; then
		set -- "$@" --exclude-files "$(excludes "$pkg" "$files")"
	fi
	name=$(echo "$pkg" | tr / _)
	echo "== $pkg ($files)"
	$GO run $GREMLINS unleash "$@" -o "$OUT/$name.json" "./$pkg" >"$OUT/$name.txt" 2>&1 || true
	grep -v '^ *KILLED' "$OUT/$name.txt" | grep -v '^Starting\|^Gathering\|^$'
done
