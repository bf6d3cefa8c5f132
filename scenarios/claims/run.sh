#!/bin/sh
# make claims: runs every claim of the scaling analysis against the titan
# targets, each claim's documents (result, comparison and capacity-search
# JSON) into reports/claims/runs/<claim>/ and its Markdown report to
# reports/claims/<claim>.md, then `loadcheck claims` reads those JSON files
# and writes reports/claims/claims.md and claims.html: each claim, its
# measurement and its verdict. Durations are kept short (--duration,
# --step) so that the whole set takes under 20 minutes on 2 cores.
# Exit 0 when every report was written (a failing gate is a finding, not an
# error), 2 when a target did not start or a file is wrong. LOADCHECK
# overrides the binary (default bin/loadcheck). Arguments, if any, name the
# claims to run (e.g. run.sh stall startup); claims.md is rendered from
# whatever runs are there, a claim without runs reads "not measured".
set -u
cd "$(dirname "$0")/../.."
lc=${LOADCHECK:-bin/loadcheck}
out=reports/claims
mkdir -p "$out/runs"
c=scenarios/claims
t=scenarios/claims/targets
status=0
all=$(date +%s)

only=" $* "
claim() { # claim ID COMMAND... : runs the command, its JSON to $out/runs/ID/, Markdown to $out/ID.md
	id=$1
	shift
	if [ "$only" != "  " ] && [ "${only#* "$id" }" = "$only" ]; then
		return
	fi
	start=$(date +%s)
	echo "claim $id: $*" >&2
	rm -rf "$out/runs/$id"
	mkdir -p "$out/runs/$id"
	"$@" --format md --out "$out/runs/$id" --quiet >"$out/$id.md.tmp"
	rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "claim $id: exit $rc (see $out/$id.md.tmp)" >&2
		status=2
		return
	fi
	mv "$out/$id.md.tmp" "$out/$id.md"
	echo "claim $id: $(($(date +%s) - start)) s" >&2
}

claim broadcasts "$lc" compare $c/broadcasts.yaml --duration 10s --target targets/titan-1w.yaml --target targets/titan-2w.yaml \
	--target targets/titan-gunicorn-redis.yaml --target targets/titan-nginx-sticky.yaml --target targets/titan-split.yaml
claim sse-polls-per-worker env SSE_POLL=per-worker "$lc" compare $c/sse-polls.yaml --duration 30s --target targets/titan-1w.yaml --target targets/titan-2w.yaml
claim sse-polls-per-client env SSE_POLL=per-client "$lc" compare $c/sse-polls.yaml --duration 30s --target targets/titan-1w.yaml --target targets/titan-2w.yaml
claim caches "$lc" compare $c/caches.yaml --duration 60s --target targets/titan-1w.yaml --target targets/titan-2w.yaml
claim throughput-uvloop "$lc" saturate $c/throughput.yaml --target $t/titan-1w-uvloop.yaml --step 6s --start 200/s --max-steps 6
claim throughput-asyncio "$lc" saturate $c/throughput.yaml --target $t/titan-1w-asyncio.yaml --step 6s --start 200/s --max-steps 6
claim limit "$lc" compare $c/limit.yaml --target $t/titan-1w-uvloop.yaml --target $t/titan-1w-nolimit.yaml
claim stall "$lc" compare $c/stall.yaml --duration 15s --target targets/titan-1w.yaml --target $t/titan-1w-psycopg2.yaml
claim startup "$lc" compare $c/startup.yaml --target $t/titan-1w-startup.yaml --target $t/titan-4w-startup.yaml
claim io-bound "$lc" run scenarios/io-bound.yaml --duration 20s --target targets/titan-1w.yaml
claim decision "$lc" saturate scenarios/prelaunch.yaml --target targets/titan-1w.yaml --step 10s --start 10/s --max-steps 6
echo "claims: $(($(date +%s) - all)) s" >&2
"$lc" claims "$out" || status=2
exit $status
