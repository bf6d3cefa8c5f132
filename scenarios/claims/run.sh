#!/bin/sh
# make claims: runs every claim of the scaling analysis against the titan
# targets and writes one Markdown report per claim to reports/claims/
# (each run's result JSON under reports/claims/runs/). The claim, the
# measurement and the verdict are read from those reports by hand for now:
# see scenarios/claims/README.md. Exit 0 when every report was written
# (a failing gate is a finding, not an error), 2 when a target did not start
# or a file is wrong. LOADCHECK overrides the binary (default bin/loadcheck).
# Arguments, if any, name the claims to run (e.g. run.sh stall startup).
set -u
cd "$(dirname "$0")/../.."
lc=${LOADCHECK:-bin/loadcheck}
out=reports/claims
mkdir -p "$out/runs"
c=scenarios/claims
t=scenarios/claims/targets
status=0

only=" $* "
claim() { # claim ID COMMAND... : runs the command, Markdown to $out/ID.md
	id=$1
	shift
	if [ "$only" != "  " ] && [ "${only#* "$id" }" = "$only" ]; then
		return
	fi
	start=$(date +%s)
	echo "claim $id: $*" >&2
	"$@" --format md --out "$out/runs" --quiet >"$out/$id.md.tmp"
	rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "claim $id: exit $rc (see $out/$id.md.tmp)" >&2
		status=2
		return
	fi
	mv "$out/$id.md.tmp" "$out/$id.md"
	echo "claim $id: $(($(date +%s) - start)) s" >&2
}

claim broadcasts "$lc" compare $c/broadcasts.yaml --target targets/titan-1w.yaml --target targets/titan-2w.yaml \
	--target targets/titan-gunicorn-redis.yaml --target targets/titan-nginx-sticky.yaml --target targets/titan-split.yaml
claim sse-polls-per-worker env SSE_POLL=per-worker "$lc" compare $c/sse-polls.yaml --target targets/titan-1w.yaml --target targets/titan-2w.yaml
claim sse-polls-per-client env SSE_POLL=per-client "$lc" compare $c/sse-polls.yaml --target targets/titan-1w.yaml --target targets/titan-2w.yaml
claim caches "$lc" compare $c/caches.yaml --target targets/titan-1w.yaml --target targets/titan-2w.yaml
claim throughput-uvloop "$lc" saturate $c/throughput.yaml --target $t/titan-1w-uvloop.yaml --step 10s --start 200/s
claim throughput-asyncio "$lc" saturate $c/throughput.yaml --target $t/titan-1w-asyncio.yaml --step 10s --start 200/s
claim limit "$lc" compare $c/limit.yaml --rate "${CLAIMS_LIMIT_RATE:-800/s}" --target $t/titan-1w-uvloop.yaml --target $t/titan-1w-nolimit.yaml
claim stall "$lc" compare $c/stall.yaml --target targets/titan-1w.yaml --target $t/titan-1w-psycopg2.yaml
claim startup "$lc" compare $c/startup.yaml --target $t/titan-1w-startup.yaml --target $t/titan-4w-startup.yaml
claim io-bound "$lc" run scenarios/io-bound.yaml --target targets/titan-1w.yaml
claim decision "$lc" saturate scenarios/prelaunch.yaml --target targets/titan-1w.yaml --step 20s --start 10/s
exit $status
