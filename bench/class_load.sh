#!/usr/bin/env bash
# Issue #17's three benchmarks, one after the other, from the repository root:
#   bash bench/class_load.sh            # live_cost (~6 min), fair_turns (~5-8 min), load_test 40 x 10 (~13 min)
#   SESSIONS=8 MINUTES=2 bash bench/class_load.sh   # a short trial of the same sequence
# Each prints its own header (date, CPU, load average) and figures into $OUT (stderr, TensorFlow's chatter and any
# traceback, beside each); the load test also writes its JSON with every raw record there.
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${SESSIONS:-40}"; BROWSERS="${BROWSERS:-3}"; MINUTES="${MINUTES:-10}"
OUT="${OUT:-/tmp/gan-class-load-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
nice -n 10 python3 -m bench.live_cost --viewers 8 --seconds 20 --warmup 60 --before main 2>"$OUT/live_cost.stderr" | tee "$OUT/live_cost.txt"
nice -n 10 python3 -m bench.fair_turns --students 30 --epochs 3 --train-in thread worker 2>"$OUT/fair_turns.stderr" | tee "$OUT/fair_turns.txt"
nice -n 10 python3 -m bench.load_test --sessions "$SESSIONS" --browsers "$BROWSERS" --minutes "$MINUTES" \
    --out "$OUT/load_test.json" 2>"$OUT/load_test.stderr" | tee "$OUT/load_test.txt"
echo "outputs in $OUT"
