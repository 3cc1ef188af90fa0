#!/usr/bin/env bash
# Group mode scale-out: 1, 2 and 3 `sluice run` processes in one consumer group on one topic.
# Figures only, never a pass/fail.
#
#   bench/scaleout_bench.sh [--sluice PATH] [--consumer PATH] [--records N] [--partitions P]
#
# Starts `sluice dev-kafka` with a topic `logs` (P partitions, default 6) and an empty topic of
# the same shape, and fills `logs` with N records keyed by user_id (default 600,000, zstd; the
# mock keeps ~5 MiB per partition, so the script checks with `dev-kafka dump` that the topic
# holds all N and retries with fewer if not). Then, for Q2 with the exchange of partial
# aggregates, Q2 with --partitioned-by user_id (no exchange) and Q1 (grouped by source_ip, not
# the key: exchange), runs 1, 2 and 3 processes started together (fresh group id, checkpoint
# and output directory each; --starting-offsets earliest --trigger available-now --threads 1)
# and times them from start until the last one exits. The same runs on the empty topic are the
# fixed cost (group join, repartition topic, the 1 s trigger that checks for the end), reported
# separately. Per row: wall, fixed cost, records/s over (wall - fixed) and over wall, CPU
# seconds of all processes (rusage) and per record above the empty run, exchange bytes per
# input record (from each process's `summary` line), and whether the union of the output rows
# equals the 1-process run's. Peers in the same run: raw librdkafka consumption of the topic
# (bench/kafka_consume) and one `sluice run` without a group. Last, a model for N machines.
# The binaries are copied to the work directory first (build/ may be rebuilt meanwhile).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
sluice=${SLUICE:-$root/build/sluice}
consumer=${KAFKA_CONSUME:-}
records=600000
partitions=6
while [[ $# -gt 0 ]]; do
  case $1 in
    --sluice) sluice=$2; shift 2 ;;
    --consumer) consumer=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d /tmp/sluice_scaleout_bench.XXXXXX)
cp "$sluice" "$work/sluice"
sluice=$work/sluice
if [[ -z $consumer && -x $root/build/kafka_consume ]]; then consumer=$root/build/kafka_consume; fi
if [[ -n $consumer ]]; then
  cp "$consumer" "$work/kafka_consume"
else
  c++ -std=c++20 -O2 "$here/kafka_consume.cc" -lrdkafka -o "$work/kafka_consume"
fi
consumer=$work/kafka_consume

devpid=
start_broker() {
  rm -f "$work/bootstrap"
  "$sluice" dev-kafka --no-stdin --topic "logs:$partitions" --topic "empty:$partitions" \
    --bootstrap-file "$work/bootstrap" > /dev/null 2> "$work/dev-kafka.err" &
  devpid=$!
  for _ in $(seq 200); do [[ -s $work/bootstrap ]] && break; sleep 0.05; done
  bs=$(cat "$work/bootstrap")
}
stop_broker() {
  [[ -n $devpid ]] || return 0
  kill -INT "$devpid" 2>/dev/null || true
  wait "$devpid" 2>/dev/null || true
  devpid=
}
trap 'stop_broker; rm -rf "$work"' EXIT

# Fill the topic; the mock silently drops the oldest data of a full partition, so count it back.
for attempt in 1 2 3 4; do
  start_broker
  "$sluice" gen --to "kafka://$bs/logs" --count "$records" --rate max --key user_id \
    --start 2026-01-27T18:00:00Z --seed 3 -X compression.type=zstd 2>&1 | tail -1
  held=$("$sluice" dev-kafka dump --bootstrap "$bs" --topic logs 2>/dev/null | wc -l)
  [[ $held -eq $records ]] && break
  echo "the topic holds $held of $records records (mock limit ~5 MiB per partition): retrying with fewer"
  stop_broker
  records=$((records * 3 / 4))
  [[ $attempt -lt 4 ]] || { echo "could not fill the topic" >&2; exit 1; }
done
echo "topic logs: $records records in $partitions partitions, keyed by user_id (dump count checked)"

python3 - "$sluice" "$consumer" "$bs" "$records" "$partitions" "$work" <<'PY'
import json, os, re, shutil, signal, subprocess, sys, tempfile, time
from collections import Counter

sluice, consumer, bs, records, partitions, work = sys.argv[1:]
records, partitions = int(records), int(partitions)
cpus = os.cpu_count() or 1

Q2 = ("SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS crash_count "
      "FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical') "
      "GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2")
Q1 = ("SELECT source_ip, count(*) AS match_count FROM logs "
      "WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High' GROUP BY source_ip")
CASES = [("Q2 exchange", Q2, []),
         ("Q2 --partitioned-by user_id", Q2, ["--partitioned-by", "user_id"]),
         ("Q1 exchange", Q1, [])]
SUMMARY = re.compile(r"^summary member_input_records=(\d+) member_malformed_records=(\d+) "
                     r"member_output_rows=(\d+) exchange_bytes=(\d+)", re.M)
run_no = 0
TIMEOUT_S = 60  # a process still running then is killed (and the run reported)


def rows_of(out_dir):
    """The union of the visible part files, as a multiset of canonical JSON rows."""
    rows = Counter()
    if os.path.isdir(out_dir):
        for name in sorted(os.listdir(out_dir)):
            if name.startswith(("_", ".")):
                continue
            with open(os.path.join(out_dir, name)) as f:
                for line in f:
                    if line.strip():
                        rows[json.dumps(json.loads(line), sort_keys=True)] += 1
    return rows


def group_run(topic, n, sql, extra):
    """n processes of one group started together; wall until the last exits, their rusage."""
    global run_no
    run_no += 1
    d = os.path.join(work, f"run{run_no}")
    os.makedirs(d)
    group = f"scaleout-bench-{os.getpid()}-{run_no}"
    cmd = [sluice, "run", "--source", f"kafka://{bs}/{topic}", "--group-id", group,
           "--checkpoint", f"{d}/ckpt", "--sink", f"jsonl:{d}/out/", "--starting-offsets", "earliest",
           "--trigger", "available-now", "--threads", "1", "--watermark", "30s", *extra, sql]
    errs = [open(f"{d}/p{i}.err", "w") for i in range(n)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errs[i]) for i in range(n)]
    left = {p.pid: i for i, p in enumerate(procs)}
    cpu, codes, deadline = 0.0, [None] * n, time.perf_counter() + TIMEOUT_S
    while left:
        pid, status, ru = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            if time.perf_counter() > deadline:
                for i in left.values():
                    procs[i].send_signal(signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.002)
            continue
        if pid in left:
            codes[left.pop(pid)] = os.waitstatus_to_exitcode(status)
            cpu += ru.ru_utime + ru.ru_stime
    wall = time.perf_counter() - t0
    for e in errs:
        e.close()
    stats, xparts = [0, 0, 0, 0], None
    for i in range(n):
        text = open(f"{d}/p{i}.err").read()
        x = re.search(r"-repartition \((\d+) partitions\)", text)
        xparts = xparts or (x and int(x.group(1)))
        m = SUMMARY.search(text)
        if m:
            stats = [a + int(b) for a, b in zip(stats, m.groups())]
    problem = None
    if any(c != 0 for c in codes):
        keep = tempfile.mkdtemp(prefix="sluice_scaleout_failed.", dir="/tmp")
        shutil.copytree(d, keep, dirs_exist_ok=True)
        problem = (f"exit codes {codes} (-9: still running after {TIMEOUT_S} s, killed); "
                   f"stderr, checkpoint and output kept in {keep}")
    return {"problem": problem, "wall": wall, "cpu": cpu, "codes": codes, "input": stats[0],
            "malformed": stats[1], "out_rows": stats[2], "exchange": stats[3],
            "rows": rows_of(f"{d}/out"), "xparts": xparts}


def fmt_rate(r):
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.0f} k"


# Peers: raw librdkafka (best of 3) and one `sluice run` without a group.
raw = 0.0
for _ in range(3):
    out = subprocess.run([consumer, bs, "logs"], capture_output=True, text=True).stdout.split()
    if not out or int(out[0]) != records:
        print(f"kafka_consume read {out[:1]} of {records} records")
    else:
        raw = max(raw, float(out[3]))
plain_rows = {}
plain_rate = {}
for label, sql in (("Q2", Q2), ("Q1", Q1)):
    f = os.path.join(work, f"plain-{label}.jsonl")
    t0 = time.perf_counter()
    subprocess.run([sluice, "run", "--source", f"kafka://{bs}/logs", "--starting-offsets", "earliest",
                    "--trigger", "available-now", "--threads", "1", "--watermark", "30s",
                    "--sink", f"jsonl:{f}", sql], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    plain_rate[sql] = records / (time.perf_counter() - t0)
    d = f + ".d"
    os.makedirs(d)
    shutil.move(f, d)
    plain_rows[sql] = rows_of(d)

print()
print(f"{cpus} cores; {records} records; every process --threads 1; times are whole processes, "
      "start to exit of the last one")
head = (f"{'query':<28} {'procs':>5} {'wall s':>7} {'fixed s':>7} {'rec/s net':>10} {'rec/s raw':>10} "
        f"{'CPU s':>6} {'CPU us/rec':>10} {'exch B/rec':>10} {'rows':>6}  same rows as 1 proc")
print(head)
print("-" * len(head))
results = {}
notes = []
for name, sql, extra in CASES:
    base, xparts = None, None
    for n in (1, 2, 3):
        # The fixed cost: the lower of two runs on the empty topic (a rebalance that goes round
        # again costs seconds; such a spread is printed below the table).
        empties = [group_run("empty", n, sql, extra) for _ in range(2)]
        notes.extend(f"{name}, {n} procs, empty topic: {e['problem']}" for e in empties if e["problem"])
        empty = min(empties, key=lambda e: e["wall"])
        if abs(empties[0]["wall"] - empties[1]["wall"]) > 0.5:
            notes.append(f"{name}, {n} procs: the empty-topic runs took "
                         f"{empties[0]['wall']:.2f} and {empties[1]['wall']:.2f} s")
        r = group_run("logs", n, sql, extra)
        if r["problem"]:
            notes.append(f"{name}, {n} procs: {r['problem']}")
        if r["wall"] - empty["wall"] > 3:  # the same hiccup in the timed run: once more, the lower
            again = group_run("logs", n, sql, extra)
            if again["problem"]:
                notes.append(f"{name}, {n} procs, run again: {again['problem']}")
            notes.append(f"{name}, {n} procs: the timed run took {r['wall']:.2f} s, once more "
                         f"{again['wall']:.2f} s (the table shows the lower)")
            r = min(r, again, key=lambda e: e["wall"])
        if xparts is None and r["xparts"]:
            xparts = r["xparts"]
            notes.append(f"{name}: repartition topic of {xparts} partitions "
                         f"(input {partitions})")
        net = r["wall"] - empty["wall"]
        net_rate = fmt_rate(records / net) if net > 0.01 else "n/a"
        cpu_rec = (r["cpu"] - empty["cpu"]) / records * 1e6
        per_rec = r["exchange"] / r["input"] if r["input"] else float("nan")
        if base is None:
            base = r["rows"]
            same = "(reference)"
        else:
            same = "ok" if r["rows"] == base else "DIFFERENT"
        if r["input"] != records:
            same += f"; read {r['input']} of {records}!"
        results[(name, n)] = dict(r, fixed=empty["wall"], empty_cpu=empty["cpu"], cpu_rec=cpu_rec,
                                  per_rec=per_rec)
        print(f"{name:<28} {n:>5} {r['wall']:>7.2f} {empty['wall']:>7.2f} {net_rate:>10} "
              f"{fmt_rate(records / r['wall']):>10} {r['cpu']:>6.2f} {cpu_rec:>10.2f} {per_rec:>10.3f} "
              f"{sum(r['rows'].values()):>6}  {same}")
    vs_plain = "ok" if base == plain_rows[sql] else "DIFFERENT"
    print(f"{'':<28} (1-process rows vs one `sluice run` without a group: {vs_plain})")
print("-" * len(head))
for note in notes:
    print(f"note: {note}")
print(f"peer: raw librdkafka consumer (kafka_consume, best of 3): {fmt_rate(raw)} records/s")
for label, sql in (("Q2", Q2), ("Q1", Q1)):
    print(f"peer: `sluice run` {label} without a group (plain assignment, available-now): "
          f"{fmt_rate(plain_rate[sql])} records/s")
print("'fixed s' (fixed cost: group join) is the same processes on the empty topic, best of 2: the")
print("group join (a new group waits 3 s on the mock), the repartition topic (exchange rows: one")
print("per group, about 3 s to create on the mock) and the end check, made once per 1 s trigger.")
print("'rec/s net' = records / (wall - fixed), 'rec/s raw' = records / wall. The reading itself")
print("takes well under the 1 s trigger, so (wall - fixed) is whole triggers, and 'net' is a")
print("floor set by the trigger, not the processes' speed. 'CPU us/rec' = user+sys CPU of all")
print("processes above their empty run, per record: the per-record cost the model uses.")

print()
print("model: N machines with one process each (partitions >= N; this topic has "
      f"{partitions} partitions)")
for name, _, _ in CASES:
    r = results[(name, 1)]
    if r["cpu_rec"] <= 0:
        print(f"  {name}: no CPU above the empty run measured; no model")
        continue
    rate1 = 1e6 / r["cpu_rec"]
    print(f"  {name}: one process {r['cpu_rec']:.2f} us CPU/record = {fmt_rate(rate1)} records/s "
          f"per core; exchange {r['per_rec']:.3f} B/record; fixed cost {r['fixed']:.1f} s per start")
    for n in (1, 2, 3, partitions):
        if n > partitions:
            continue
        tp = n * rate1
        print(f"    N={n}: ~{fmt_rate(tp)} records/s, exchange traffic ~{tp * r['per_rec'] / 1e6:.2f} MB/s "
              "in total")
print("  beyond N = partitions the extra processes get no partition: throughput stays at")
print(f"  {partitions} x the single-process rate. Exchange B/record is for epochs of a whole")
print("  partition each (available-now); a live run cuts an epoch per trigger, and the partials")
print("  per epoch are bounded by its distinct group keys, so smaller epochs send more per record.")
print(f"this machine has {cpus} cores: 3 processes compete for them, and the measured 2 -> 3 process")
print("figures cannot show scaling (nor can the 1 -> 2 ones, against a broker and a benchmark")
print("on the same cores); they show the fixed costs and that the result stays the same.")
PY
