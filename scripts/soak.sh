#!/usr/bin/env bash
# make soak: no false positives. The clean emulator must pass the whole suite in random order
# with 1, 2 and 4 parallel processes, RUNS times each (default 20). One emulator process serves
# every run (`mpsdconf run --procs N`); each process acts as its own set of users
# (fixtures.Environment.ForWorker).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
PROCS=${PROCS:-"1 2 4"}
work=$(mktemp -d)
mkdir -p bin
go build -o bin/mpsdconf ./cmd/mpsdconf
key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
./bin/mpsdconf emulate --listen 127.0.0.1:0 --token-key "$key" > "$work/emulator.out" 2> "$work/emulator.err" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$work/emulator.out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "soak: the emulator did not start"; cat "$work/emulator.err"; exit 2; }
echo "soak: emulator at $url, $RUNS randomized runs at each of: $PROCS processes"

total_pass=0 total_fail=0
for procs in $PROCS; do
  pass=0 fail=0
  for i in $(seq 1 "$RUNS"); do
    seed=$(( (RANDOM << 15 | RANDOM) + i ))
    log="$work/procs$procs-run$i.log"
    cmd=(./bin/mpsdconf run --target "$url" --emulator-token-key "$key" --procs "$procs" --randomize-all
         --seed "$seed" --report-dir "$work/reports-$procs-$i" --no-color)
    if "${cmd[@]}" > "$log" 2>&1; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "soak: FAILED with $procs processes, seed $seed; log: $log"
      grep -E '^\s*(\[FAIL\]|FAILED|HARNESS-ERROR)' "$log" | head -5 || true
    fi
  done
  echo "soak: $procs process(es): $RUNS randomized runs: $pass passed, $fail failed"
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
done
echo "soak: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
