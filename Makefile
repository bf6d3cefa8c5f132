# loadcheck — build, test, demo. Everything a fresh Debian machine with Go
# needs is installed by `make deps` (run as root; idempotent).

GO      ?= go
BIN     := bin/loadcheck
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/loadcheck/loadcheck/internal/cli.Version=$(VERSION)

# Debian packages the real reference target, the HTML test and the
# benchmarks need; postgresql and its Python drivers for the downstream
# tests (a private cluster each). PyPI is never used.
DEBS := python3-fastapi python3-uvicorn gunicorn python3-websockets python3-redis \
        redis-server nginx python3-uvloop python3-httptools chromium \
        postgresql postgresql-contrib python3-asyncpg python3-psycopg2 python3-httpx iproute2
BENCH_DEBS := wrk hey

.PHONY: all build test demo lint deps bench fuzz fuzz-budget mutate clean claims

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/loadcheck

# deps installs only what is missing, so a second run costs nothing.
deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The main job on the built-in target: prelaunch, ~100 s, report to the
# terminal and the result JSON under reports/demo/.
demo: build
	./$(BIN) run scenarios/prelaunch.yaml --out reports/demo

# Timing-sensitive tests measure latencies of a few milliseconds, so
# packages run one at a time (-p 1) rather than competing for 2 cores. The
# race detector slows goroutines several times over: the millisecond
# bounds of the load generator (and of shards against one run, and of the
# downstream stub's latency) are checked again without it, and so are
# 10,000 boards, whose memory bound would measure the detector, and the
# sampler's CPU cost, which the detector multiplies. The
# Kubernetes manifests are checked by the module of their own under
# deploy/kubernetes, whose API types stay out of loadcheck's build. Then
# each fuzz target runs a bounded count of inputs.
test: deps lint
	$(GO) test -race -count=1 -p 1 -timeout 30m ./...
	$(GO) test -count=1 -run 'TestFixedLatencyServer|TestCoordinatedOmission|TestOverloadStaysBounded' ./internal/load/
	$(GO) test -count=1 -run 'TestShardsMatchOneRun|TestTenThousandBoards' ./internal/cli/
	$(GO) test -count=1 -run 'TestStubLatency' ./internal/downstream/
	$(GO) test -count=1 -run 'TestSamplingCost' ./internal/resource/
	cd deploy/kubernetes && $(GO) vet ./... && $(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz-budget

# lint fails on unformatted code, on a go.mod or go.sum that `go mod tidy`
# would change (a dependency left over or marked wrongly), on vet's findings
# and on staticcheck's. staticcheck is pinned: a new release's checks must
# not turn a green tree red on its own.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null 2>&1 || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Every claim of the scaling analysis measured against the titan targets
# (scenarios/claims/run.sh): each claim's runs under reports/claims/runs/,
# then reports/claims/claims.md and claims.html (loadcheck claims: claim,
# measurement, verdict). Not part of make test: it runs for 15–20 minutes;
# internal/cli's TestClaimStallEndToEnd is its short version.
claims: deps build
	./scenarios/claims/run.sh

# Compare loadcheck with the vegeta CLI, the vegeta library in-process with
# nothing recorded (the floor of a vegeta-based generator), wrk and hey on a
# loopback target (bench/run.sh: installs what is missing, ~6 min, writes
# bench/results/YYYY-MM-DD.md). BENCH_SOAK=1 adds the 5-minute RSS soak.
bench:
	GO=$(GO) ./bench/run.sh

# Each fuzz target, its package and the executions `make test` gives it:
# a few seconds each on a 2-core machine. A count, not a duration: Go 1.26's
# coordinator can report its own -fuzztime deadline as a failure when it
# fires while a worker is mid-input (golang/go#75804), and a count has no
# deadline to race. Minimising a new input is bounded by a count too: with
# the default (60 s) a worker minimises expensive scenario files for
# seconds while execs stand at 0/s.
FUZZ_TARGETS := FuzzLoad:./internal/scenario:4000 \
                FuzzParse:./internal/gate:200000 \
                FuzzRead:./internal/report:12000 \
                FuzzIDOf:./internal/probe:20000
FUZZ_MINIMIZE ?= 50x

fuzz-budget:
	@set -e; for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; n=$${rest#*:}; \
		echo "fuzz $$name ($$pkg): $${n} inputs"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $${n}x -fuzzminimizetime $(FUZZ_MINIMIZE) $$pkg; \
	done

# Longer exploration by hand: each target for FUZZTIME. A failure with no
# new input under testdata/fuzz/ is the coordinator's deadline race above,
# not a finding.
FUZZTIME ?= 1m
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZ_MINIMIZE) $$pkg; \
	done

# Mutation testing of the files whose arithmetic users trust (gates,
# units, merges, the metric catalogue, recorder, schedule and pacer, the
# delivery ledger, the CPU tally): gremlins, pinned like staticcheck,
# changes one operator at a time and the package's tests must fail. Not
# part of `make test`: it takes about half an hour, one package at a time
# so as not to take over a shared machine. MUTATE picks packages; the
# scores and every surviving mutant are in docs/mutation.md.
MUTATE ?=
mutate:
	GO=$(GO) ./bench/mutate.sh $(MUTATE)

clean:
	rm -rf bin
