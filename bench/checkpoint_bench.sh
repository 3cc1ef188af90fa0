#!/usr/bin/env bash
# What checkpoints cost: Q2 over the 10 M-record file with and without --checkpoint (1 s and
# 100 ms triggers), and how long a restart takes to restore about 1 M state rows. Figures only,
# never a pass/fail: medians of 3 runs, printed as a table.
#   bench/checkpoint_bench.sh [RECORDS]   (default 10,000,000; files are kept in bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-build/sluice}
N=${1:-10000000}
OUT=bench/out
mkdir -p "$OUT"
FILE=$OUT/logs-$N.jsonl
if [[ ! -s $FILE ]]; then
  echo "generating $N records into $FILE ..."
  "$SLUICE" gen --count "$N" --rate max --start 2026-01-27T18:00:00Z --jitter 5s --seed 3 >"$FILE"
fi
Q2="SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS crash_count
FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')
GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2"
CK=$(mktemp -d)
trap 'rm -rf "$CK"' EXIT

median3() {  # median wall-clock seconds of 3 runs of a command; a fresh checkpoint dir each run
  python3 - "$@" <<'PY'
import subprocess, sys, time, shutil, os
cmd = sys.argv[1:]
times = []
for _ in range(3):
    for i, a in enumerate(cmd):
        if a.startswith("--checkpoint="):
            shutil.rmtree(a.split("=", 1)[1], ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t0)
print(f"{sorted(times)[1]:.3f}")
PY
}
cat "$FILE" >/dev/null  # warm the page cache
printf '%-44s %8s %10s\n' "run (2 threads)" "seconds" "overhead"
for trig in 1s 100ms; do
  base=$(median3 "$SLUICE" run --threads 2 --trigger "$trig" --source "file:$FILE" --sink jsonl:/dev/null --watermark 30s "$Q2")
  ck=$(median3 "$SLUICE" run --threads 2 --trigger "$trig" --checkpoint="$CK/q2" --source "file:$FILE" --sink "jsonl:$CK/q2.jsonl" --watermark 30s "$Q2")
  printf '%-44s %8.3f %10s\n' "Q2, trigger $trig, no checkpoint" "$base" ""
  printf '%-44s %8.3f %9.1f%%\n' "Q2, trigger $trig, --checkpoint" "$ck" "$(python3 -c "print(($ck / $base - 1) * 100)")"
done
epochs=$(ls "$CK/q2/epochs" | tail -1)
echo "(the last --checkpoint run committed $((10#${epochs%%.*} + 1)) epochs)"

# Restore: about 1 M groups of a high-cardinality key, kept forever in complete mode.
HC=$OUT/high-cardinality-3000000.jsonl
if [[ ! -s $HC ]]; then
  "$SLUICE" gen --count 3000000 --rate max --users 1200000 --hot-user-rate 0 --seed 5 >"$HC" 2>/dev/null
fi
Q1K="SELECT user_id, count(*) AS n FROM logs GROUP BY user_id"
rm -rf "$CK/hc"
"$SLUICE" run --threads 2 --checkpoint "$CK/hc" --source "file:$HC" --sink "jsonl:$CK/hc.jsonl" "$Q1K" 2>/dev/null
state_mb=$(du -sm "$CK/hc/state" | cut -f1)
for i in 1 2 3; do
  t0=$(date +%s.%N)
  line=$("$SLUICE" run --threads 2 --checkpoint "$CK/hc" --source "file:$HC" --sink "jsonl:$CK/hc.jsonl" "$Q1K" 2>&1 | grep 'restored')
  t1=$(date +%s.%N)
  echo "restart $i: ${line#sluice: } (whole process $(python3 -c "print(f'{$t1 - $t0:.3f}')") s; state files ${state_mb} MB)"
done
