#!/usr/bin/env bash
# Q2 (crash monitoring) over a generated JSON-lines file with 1 and 2 threads, against `wc -l`
# over the same file in the same run. Not a test: it prints figures, it never fails on them.
#   bench/q2_file.sh [RECORDS]   (default 10,000,000; the file is kept in bench/out/)
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

now() { date +%s.%N; }
best() {  # best of 3 wall-clock seconds of a command
  local b=999999
  for _ in 1 2 3; do
    local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    b=$(python3 -c "print(min($b, $t1 - $t0))")
  done
  echo "$b"
}
cat "$FILE" >/dev/null  # warm the page cache
bytes=$(stat -c %s "$FILE")
wc_s=$(best wc -l "$FILE")
printf '%-28s %8s %14s %10s\n' "run" "seconds" "records/s" "vs wc -l"
rate() { python3 -c "print(f'{$N / $1:,.0f}')"; }
ratio() { python3 -c "print(f'{$wc_s / $1:.3f}')"; }
printf '%-28s %8.3f %14s %10s\n' "wc -l" "$wc_s" "$(rate "$wc_s")" "1.000"
for t in 1 2; do
  s=$(best "$SLUICE" run --threads "$t" --source "file:$FILE" --sink jsonl:/dev/null --watermark 30s "$Q2")
  printf '%-28s %8.3f %14s %10s\n' "sluice Q2, $t thread(s)" "$s" "$(rate "$s")" "$(ratio "$s")"
done
echo "file: $FILE ($((bytes / 1000000)) MB, $N records); ratio = wc -l time / sluice time"
