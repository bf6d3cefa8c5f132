#!/bin/sh
# make bench: compare loadcheck with the vegeta CLI, the vegeta library
# in-process (bench/vegetalib), wrk and hey on a
# loopback target, target pinned to CPU 1 and generator to CPU 0. Installs
# what is missing (wrk and hey from Debian, the vegeta CLI of go.mod's
# version with go install), builds, and runs bench/loadbench, which prints
# one table and writes it to bench/results/YYYY-MM-DD.md.
#
# BENCH_SOAK=1 adds the 5-minute RSS soak at 2,000 req/s. Extra arguments
# go to loadbench (e.g. -only a,d).
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}

missing=""
for p in wrk hey; do command -v "$p" >/dev/null 2>&1 || missing="$missing $p"; done
command -v taskset >/dev/null 2>&1 || missing="$missing util-linux"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

mkdir -p bench/bin
vegeta_version=$($GO list -m -f '{{.Version}}' github.com/tsenart/vegeta/v12)
if ! $GO version -m bench/bin/vegeta 2>/dev/null | grep -q "mod	github.com/tsenart/vegeta/v12	$vegeta_version"; then
	echo "installing the vegeta CLI $vegeta_version into bench/bin"
	GOBIN="$PWD/bench/bin" GOFLAGS= $GO install "github.com/tsenart/vegeta/v12@$vegeta_version"
fi

$GO build -ldflags "-X github.com/loadcheck/loadcheck/internal/cli.Version=$(git describe --always --dirty 2>/dev/null || echo dev)" -o bin/loadcheck ./cmd/loadcheck
$GO build -o bench/bin/fastserver ./bench/fastserver
$GO build -o bench/bin/vegetalib ./bench/vegetalib
$GO build -o bench/bin/loadbench ./bench/loadbench
exec bench/bin/loadbench -out bench/results "$@"
