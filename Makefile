# mpsdconf — conformance harness for the MPSD handles API.
#
#   make conformance                       full suite against the embedded emulator, reports in reports/
#   make conformance TARGET=URL CONFIG=F   the same suite against another MPSD
#   make test                              vet, unit, schema and emulator tests, the full suite, end-to-end CLI, selftest
#   make selftest                          the suite against every emulator fault: each must fail its own rule
#   make tolerance                         the documented profile against every emulator variant: each must pass
#   make soak                              20 randomized runs at 1, 2 and 4 processes against one emulator
#   make fuzz                              fuzz every emulator request parser, FUZZTIME (5s) each
#   make emulator                          serve the emulator on $(LISTEN)

GO          ?= go
BIN         := bin/mpsdconf
REPORT_DIR  ?= reports
TARGET      ?=
CONFIG      ?=
PROFILE     ?= strict
LABEL_FILTER ?=
RUN_FLAGS   ?=
LISTEN      ?= 127.0.0.1:8080
TOKEN_KEY   ?=
EMULATE_FLAGS ?=

.PHONY: all build conformance test vet fmt-check unit selftest tolerance soak bench emulator fuzz clean

all: build

# The binary is rebuilt every time (go's cache makes that cheap), so it never goes stale.
build:
	$(GO) build -o $(BIN) ./cmd/mpsdconf

# Main job: exit code of `mpsdconf run` is passed through (0 pass, 1 failure, 2 harness error).
conformance: build
	./$(BIN) run --report-dir $(REPORT_DIR) --profile $(PROFILE) \
		$(if $(TARGET),--target $(TARGET)) $(if $(CONFIG),--config $(CONFIG)) \
		$(if $(LABEL_FILTER),--label-filter '$(LABEL_FILTER)') $(RUN_FLAGS)

test: fmt-check vet unit fuzz selftest tolerance

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Unit, schema, emulator and runner tests, plus the full suite against the embedded emulator
# (suites/) and the two-process CLI run (cmd/mpsdconf), all with the race detector.
unit:
	$(GO) test -race -count=1 ./...

# Fuzz each emulator request parser (body or query string) for FUZZTIME; -fuzz takes one
# target at a time. New inputs land in $(go env GOCACHE)/fuzz (go clean -fuzzcache clears them);
# a failing input is written to emulator/testdata/fuzz/<target>/ and fails plain go test until
# fixed. Minimizing new inputs is capped at 1s, so the short run is spent fuzzing.
FUZZTIME    ?= 5s
FUZZ_TARGETS := FuzzHandleCreate FuzzQueryBody FuzzQuery FuzzSessionPut FuzzHandleSessionPut
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./emulator/; \
	done

# Kill matrix: the clean emulator must pass, every fault must fail a spec of its own rule.
# Writes $(REPORT_DIR)/selftest.json; exit 0 only when every fault is killed.
selftest: build
	./$(BIN) selftest --report-dir $(REPORT_DIR)

# Tolerance matrix, the dual of the kill matrix: the documented profile (doc and wire rules) must
# pass against the emulator with each variant, a behaviour the contract allows; the strict
# profile's result is reported. Writes $(REPORT_DIR)/tolerance.json and tolerance.md.
tolerance: build
	./$(BIN) tolerance --report-dir $(REPORT_DIR)

# No false positives: RUNS (default 20) randomized runs at each of 1, 2 and 4 processes.
soak:
	RUNS=$(or $(RUNS),20) bash scripts/soak.sh

# Performance figures (README "Performance"): Go benchmarks of schema validation, the emulator's
# handlers and the HTTP helper, then cmd/mpsdconf-bench (whole-run ratio, --procs speed-up,
# emulator throughput, peak memory, --procs 1/4/8 against the latency floor of a 25 ms proxy).
# Fails only on an error, never on a missed target.
bench: build
	@echo "== 1. Go benchmarks: schema validation, emulator handlers, HTTP helper, history of a year of reports"
	$(GO) test -run '^$$' -bench . -benchmem ./schemas ./emulator ./internal/mpsdclient ./history ./cmd/mpsdconf
	$(GO) run ./cmd/mpsdconf-bench --mpsdconf $(BIN)

emulator: build
	./$(BIN) emulate --listen $(LISTEN) $(if $(TOKEN_KEY),--token-key $(TOKEN_KEY)) $(EMULATE_FLAGS)

clean:
	rm -rf bin
	find $(REPORT_DIR) -mindepth 1 ! -name README.md -delete 2>/dev/null || true
