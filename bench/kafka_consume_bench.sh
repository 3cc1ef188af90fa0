#!/usr/bin/env bash
# Raw librdkafka batch consumption vs `sluice run` Q2 over the same topic, in the same run.
#
#   bench/kafka_consume_bench.sh [--sluice PATH] [--consumer PATH] [--records N] [--partitions P]
#                                [--repeat R]
#
# Starts `sluice dev-kafka` (the mock cluster), fills a topic with the generator (zstd, keyed
# by user_id), then R times each: bench/kafka_consume (one consumer process, batch API, every
# partition, to the high watermark) and `sluice run --trigger available-now` with Q2. Both are
# timed as whole processes (connect, metadata, read, exit). Prints the best of each and the
# ratio sluice/raw (target >= 0.8). The mock keeps ~5 MiB per partition: keep records/partitions
# under ~100k (zstd).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
sluice=${SLUICE:-$root/build/sluice}
consumer=${KAFKA_CONSUME:-}
records=800000
partitions=16
repeat=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --sluice) sluice=$2; shift 2 ;;
    --consumer) consumer=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d /tmp/sluice_kafka_bench.XXXXXX)
if [[ -z $consumer ]]; then
  consumer=$work/kafka_consume
  c++ -std=c++20 -O2 "$here/kafka_consume.cc" -lrdkafka -o "$consumer"
fi
"$sluice" dev-kafka --no-stdin --topic "bench:$partitions" --bootstrap-file "$work/bootstrap" \
  > /dev/null 2> "$work/dev-kafka.err" &
devpid=$!
trap 'kill -INT $devpid 2>/dev/null; wait $devpid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $work/bootstrap ]] && break; sleep 0.05; done
bs=$(cat "$work/bootstrap")

"$sluice" gen --to "kafka://$bs/bench" --count "$records" --rate max --start 2026-01-27T18:00:00Z \
  --seed 3 2>&1 | tail -1

q2="SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS crash_count
FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')
GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2"

now() { date +%s.%N; }
best_raw=0
best_sluice=0
for i in $(seq "$repeat"); do
  read -r n _bytes _secs raw_rate < <("$consumer" "$bs" bench 2>/dev/null)
  [[ $n -eq $records ]] || { echo "raw consumer read $n of $records records" >&2; exit 1; }
  t0=$(now)
  "$sluice" run --source "kafka://$bs/bench" --starting-offsets earliest --trigger available-now \
    --watermark 30s --sink "jsonl:$work/out.jsonl" "$q2" > "$work/run.out" 2> "$work/run.err"
  t1=$(now)
  grep -q "input_records=$records " "$work/run.out" "$work/run.err" ||
    { echo "sluice did not read $records records:" >&2; cat "$work/run.err" >&2; exit 1; }
  sluice_rate=$(echo "$records / ($t1 - $t0)" | bc -l)
  printf 'run %d: raw %.0f records/s, sluice Q2 %.0f records/s\n' "$i" "$raw_rate" "$sluice_rate"
  best_raw=$(echo "if ($raw_rate > $best_raw) $raw_rate else $best_raw" | bc -l)
  best_sluice=$(echo "if ($sluice_rate > $best_sluice) $sluice_rate else $best_sluice" | bc -l)
done
printf 'records=%d partitions=%d\n' "$records" "$partitions"
printf 'raw librdkafka consumer: %.0f records/s\n' "$best_raw"
printf 'sluice run Q2:           %.0f records/s\n' "$best_sluice"
printf 'ratio sluice/raw:        %.2f (target >= 0.80)\n' "$(echo "$best_sluice / $best_raw" | bc -l)"
