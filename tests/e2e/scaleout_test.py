#!/usr/bin/env python3
"""Scale-out test: several `sluice run` processes in one consumer group form one query.

Each scenario starts its own `sluice dev-kafka` with a 6-partition topic `logs`, then three
processes of the same command:

    sluice run --source kafka://B/logs --group-id G --checkpoint CKPT --sink jsonl:OUT/
               --starting-offsets earliest --watermark 10s --trigger 200ms ... "$Q"

(same group, same shared checkpoint directory, same output directory). Once the group has
settled (every process owns partitions: the mock broker takes seconds to rebalance), the
input is fed continuously: `sluice gen` writes a chunk of records every fraction of a second,
each chunk continuing the event time of the one before (fixed --start per chunk, --max-rate), so
every partition is in event-time order, no record is ever late, and tens of 10-second windows
close while processes come and go. After about a third of the input one process is killed with
SIGKILL (its partitions move to the others after the consumer session timeout, 6 s here); after
about two thirds a fourth process joins (partitions and their state move to it). Once the input
stopped and the live processes caught up, every process gets SIGTERM (each must exit 0), and the
same command with --trigger available-now runs once: it takes every partition, reads to the end,
closes the last windows, commits and exits 0.

Scenarios: Q2 (windowed count per user_id, HAVING count(*) > 2, append mode) on a topic keyed by
user_id; Q2 on an unkeyed topic (gen --key none: a user's records are in every partition, so
partial aggregates must be exchanged); Q1 (count per source_ip, complete mode) on a topic keyed by
user_id (grouped by another field than the key); with --soak also Q2 with --partitioned-by
user_id (each process aggregates its own partitions, no exchange).

Checked for every scenario:
  - the killed process was alive when killed and owned partitions (the flock()ed `lock` files of
    the checkpoint's units, seen in /proc/locks); after the input stopped every unit is owned by
    a live process and the process added later owns some; every process exits 0 on SIGTERM, the
    catch-up exits 0, no process fails on its own;
  - the union of the visible files of OUT/ (names not starting with '_' or '.') equals the
    independent reference (tests/reference) over the topic's records, dumped with
    `sluice dev-kafka dump`, as a multiset: a doubled or a missing row fails. Q1's union is a
    table with each source_ip exactly once;
  - while the processes run (sampled after every chunk, and before and after the kill), what a
    reader sees is sane: appended rows are a sub-multiset of the final rows, a complete-mode
    table has unique keys and no count above the final one; and it never goes back: rows once
    visible stay, a table never loses a key and no count decreases;
  - before the SIGTERMs, the live processes alone reached the result (the killed process's
    partitions were taken over): Q1's table is the final table, Q2 has every row of the windows
    the watermark has closed;
  - no process reports late or malformed records; after the catch-up `sluice checkpoint` reads
    the shared directory and every unit of it (CKPT/sources/P, CKPT/shards/Q): one source unit
    per input partition, all marked finished, each source unit at the end of its partition;
  - the catch-up command run again exits 0 and writes no row.

--soak runs every scenario twice on a longer input, with more membership changes (kill -9,
SIGTERM of one process, processes added) while the input flows.

On a failure prints what differs and how to reproduce it, keeps the work directory, exits 1.
The last line is `scaleout: N passed, M failed` (N, M count scenario rounds).

Usage: scaleout_test.py --sluice PATH [--soak] [--seed S] [--only NAME] [--keep]
"""

import argparse
import json
import os
import random
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import reference as ref  # noqa: E402

Q1_SQL = ("SELECT source_ip, count(*) AS match_count FROM logs "
          "WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High' "
          "GROUP BY source_ip")
Q2_SQL = ("SELECT window.start AS window_start, window.end AS window_end, user_id, "
          "count(*) AS crash_count FROM logs "
          "WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical') "
          "GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2")

SCENARIOS = [
    # name, query, gen --key, more run options, only with --soak (or --only)
    ("q2-keyed", "q2", "user_id", [], False),
    ("q2-unkeyed", "q2", "none", [], False),
    ("q1-keyed", "q1", "user_id", [], False),
    # The input is keyed by a GROUP BY key: each process aggregates its partitions itself, no
    # exchange of partial aggregates.
    ("q2-partitioned", "q2", "user_id", ["--partitioned-by", "user_id"], True),
]

PARTITIONS = 6
START_MS = 1769536800000  # 2026-01-27T18:00:00Z
WATERMARK_MS = 10_000
WINDOW_MS = 10_000
# Event time advances 1000/GEN_RATE ms per record: 5 ms, so a chunk of 5,000 records covers 25 s
# of event time and the whole input tens of windows (the records are written unpaced, a chunk at
# a time, and the test paces the chunks).
GEN_RATE = 200
GEN_OPTIONS = ["--users", "100", "--ips", "256", "--term-rate", "0.3",
               "--vulnerability-rate", "0.2", "-X", "compression.type=zstd"]
RUN_OPTIONS = ["--starting-offsets", "earliest", "--watermark", "10s",
               "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]
TRIGGER = "200ms"

# Membership changes, at the chunk index after which they happen: kill (SIGKILL a live process),
# add (start one more), term (SIGTERM a live process: a graceful leave, must exit 0).
PROFILES = {
    "default": dict(initial=3, chunks=30, chunk=5000, interval_s=0.7, rounds=1,
                    events=[(10, "kill"), (19, "add")]),
    "soak": dict(initial=3, chunks=60, chunk=3334, interval_s=1.0, rounds=2,
                 events=[(10, "kill"), (18, "add"), (27, "term"), (33, "add"), (42, "kill"),
                         (48, "add")]),
}

STOP_TIMEOUT_S = 60       # SIGTERM to exit
CATCHUP_TIMEOUT_S = 180   # the available-now run
CONVERGE_TIMEOUT_S = 45   # live processes reaching the result after the input stopped
SETTLE_S = 3              # "a few seconds" after the generator finished
SETTLE_TIMEOUT_S = 30     # the first processes joining the group


# ---------------------------------------------------------------------------------------------
# Small helpers

def canonical(pairs):
    """A row as JSON text with its keys in order, so 3 and 3.0 or a key order differ."""
    return json.dumps(pairs, ensure_ascii=False)


def parse_summary(text):
    """key=value pairs of the last `summary ...` line, or None."""
    lines = [l for l in text.splitlines() if l.startswith("summary ")]
    if not lines:
        return None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", lines[-1])}


def late_count(text):
    """Late records or groups a process reports (summary keys with 'late', `N late groups`)."""
    n = 0
    s = parse_summary(text) or {}
    n += sum(v for k, v in s.items() if "late" in k)
    n += sum(int(x) for x in re.findall(r"(\d+) late groups", text))
    return n


def malformed_count(text):
    s = parse_summary(text) or {}
    return sum(v for k, v in s.items() if "malformed" in k)


def unit_dirs(ckpt):
    """The units of a group checkpoint: {"sources/3": path, "shards/0": path, ...}."""
    out = {}
    for kind in ("sources", "shards"):
        d = os.path.join(ckpt, kind)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                if os.path.isdir(os.path.join(d, name)):
                    out[f"{kind}/{name}"] = os.path.join(d, name)
    return out


def lock_holders(ckpt):
    """Which process holds each unit of the checkpoint: {unit: pid or None}, from /proc/locks
    (the units' `lock` files are flock()ed by their owner; reading /proc/locks takes no lock).
    None when /proc/locks cannot be read."""
    try:
        with open("/proc/locks") as f:
            text = f.read()
    except OSError:
        return None
    held = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6 or "->" in parts or parts[1] != "FLOCK":
            continue
        try:
            pid = int(parts[4])
            major, minor, inode = parts[5].split(":")
            held[(int(major, 16), int(minor, 16), int(inode))] = pid
        except ValueError:
            continue
    out = {}
    for unit, d in unit_dirs(ckpt).items():
        try:
            st = os.stat(os.path.join(d, "lock"))
        except FileNotFoundError:
            out[unit] = None
            continue
        out[unit] = held.get((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    return out


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def tail(text, n=25):
    return "\n".join(text.rstrip().splitlines()[-n:])


class Snapshot:
    """What a reader sees in a jsonl:DIR/ sink at one moment."""

    def __init__(self, rows, files, bad, where=None):
        self.rows = rows    # Counter of canonical rows over the visible files
        self.files = files  # visible file names
        self.bad = bad      # (file, line) that are not JSON objects, or unterminated last lines
        self.where = where or {}  # canonical row -> names of the files holding it


def read_dir(d):
    """The visible rows of a directory sink. A file that disappears between listing and reading
    (renamed or deleted by a writer) makes the listing start again."""
    for _ in range(20):
        if not os.path.isdir(d):
            return Snapshot(Counter(), [], [])
        names = sorted(n for n in os.listdir(d) if not n.startswith(("_", ".")))
        rows, bad, vanished, where = Counter(), [], False, {}
        for name in names:
            try:
                with open(os.path.join(d, name), "rb") as f:
                    data = f.read()
            except (FileNotFoundError, IsADirectoryError):
                vanished = True
                break
            lines = data.split(b"\n")
            last = lines.pop()
            if last:
                bad.append((name, "unterminated: " + last[:120].decode("utf-8", "replace")))
            for line in lines:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line.decode("utf-8"), object_pairs_hook=list)
                    if not isinstance(obj, list):
                        raise ValueError("not an object")
                    text = canonical(obj)
                    rows[text] += 1
                    where.setdefault(text, set()).add(name)
                except (UnicodeDecodeError, ValueError):
                    bad.append((name, line[:120].decode("utf-8", "replace")))
        if not vanished:
            return Snapshot(rows, names, bad, where)
        time.sleep(0.01)
    return Snapshot(rows, names, bad)


def key_of(row_text, key_cols):
    d = dict(json.loads(row_text))
    return tuple(d.get(k) for k in key_cols)


# ---------------------------------------------------------------------------------------------
# Processes

class DevKafka:
    """A `sluice dev-kafka` process with one topic."""

    def __init__(self, sluice, workdir, topic):
        self.bootstrap_file = os.path.join(workdir, "bootstrap")
        self.cmd = [sluice, "dev-kafka", "--bootstrap-file", self.bootstrap_file, "--topic",
                    topic, "--no-stdin"]
        self.out = open(os.path.join(workdir, "dev-kafka.out"), "w")
        self.err = open(os.path.join(workdir, "dev-kafka.err"), "w")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.err)
        deadline = time.monotonic() + 15
        while True:
            if os.path.exists(self.bootstrap_file):
                with open(self.bootstrap_file) as f:
                    self.bootstrap = f.read().strip()
                if self.bootstrap:
                    break
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("dev-kafka did not start: " + read_text(self.err.name))
            time.sleep(0.05)

    def url(self, topic="logs"):
        return f"kafka://{self.bootstrap}/{topic}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        return self.proc.returncode


class Member:
    """One `sluice run` process of the group, its stdout and stderr in files."""

    def __init__(self, name, cmd, workdir):
        self.name = name
        self.cmd = cmd
        self.stdout_path = os.path.join(workdir, name + ".stdout")
        self.stderr_path = os.path.join(workdir, name + ".stderr")
        self.started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.fate = None  # "killed", "terminated" once the test stopped it

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        return read_text(self.stderr_path)

    def summary(self):
        return parse_summary(self.stderr())


# ---------------------------------------------------------------------------------------------
# Expected results

class Reference:
    """The topic's records (dumped with plain partition assignment) and the reference result."""

    def __init__(self, check, dump_path, query):
        self.per_partition = Counter()
        self.last_ts = {}        # partition -> event time of its last record
        values = []
        order_ok = True
        offsets_ok = True
        with open(dump_path, "rb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                if not line:
                    continue
                part, off, value = line.split(b"\t", 2)
                part, off = int(part), int(off)
                if off != self.per_partition[part]:
                    offsets_ok = False  # the mock dropped old data (retention), or a gap
                self.per_partition[part] += 1
                ts = json.loads(value)["timestamp"]
                if part in self.last_ts and ts < self.last_ts[part]:
                    order_ok = False
                self.last_ts[part] = ts
                values.append(value)
        self.total = len(values)
        if not offsets_ok:
            check.fail("the topic does not start at offset 0 in every partition or has gaps "
                       "(the mock's retention dropped records?): the test's input is wrong")
        if not order_ok:
            check.fail("a partition is not in event-time order: the test's premise is wrong")
        parsed = ref.Parsed(b"\n".join(values) + b"\n")
        if query == "q1":
            rows, self.summary = ref.q1(parsed)
            self.key_cols = ("source_ip",)
        else:
            # Every partition is in event-time order and the watermark is held by the slowest
            # partition, so no record is late: every window's final count (a watermark delay
            # longer than the input makes the reference close windows only at the end).
            rows, self.summary = ref.q2(parsed, watermark_ms=2**62)
            self.key_cols = ("window_start", "window_end", "user_id")
        self.rows = Counter(canonical(list(r.items())) for r in rows)
        self.table = {key_of(r, self.key_cols): r for r in self.rows}
        self.dicts = {r: dict(json.loads(r)) for r in self.rows}

    def closed_rows(self):
        """Q2 rows every correct run has emitted once all input was processed: windows that end
        a window before the slowest partition's watermark (one window of slack)."""
        wm = min(self.last_ts.values()) - WATERMARK_MS - WINDOW_MS
        out = Counter()
        for r, n in self.rows.items():
            end = self.dicts[r]["window_end"]
            if parse_ts_ms(end) <= wm:
                out[r] = n
        return out


def parse_ts_ms(text):
    """'YYYY-MM-DD HH:MM:SS[.mmm]' (UTC) to epoch ms."""
    import datetime
    main, _, frac = text.partition(".")
    t = datetime.datetime.strptime(main, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000 + (int(frac) if frac else 0)


# ---------------------------------------------------------------------------------------------
# Checks

class Checker:
    def __init__(self, quiet=False):
        self.failures = []
        self.notes = []
        self.quiet = quiet

    def fail(self, what, detail=""):
        self.failures.append(what)
        if self.quiet:
            return
        print(f"  FAIL {what}", flush=True)
        if detail:
            print("    " + detail.replace("\n", "\n    "), flush=True)

    def note(self, what):
        self.notes.append(what)
        print(f"  note: {what}", flush=True)

    def multiset(self, what, got, want, got_name="sluice", want_name="reference"):
        if got == want:
            return True
        only_g, only_w = got - want, want - got
        detail = [f"{got_name} rows: {sum(got.values())}, {want_name} rows: "
                  f"{sum(want.values())}; only in {got_name}: {sum(only_g.values())}, "
                  f"only in {want_name}: {sum(only_w.values())}"]
        dup = [r for r, n in got.items() if n > 1]
        if dup:
            detail.append(f"rows {got_name} has more than once: {len(dup)}, e.g. {dup[0]}")
        detail += [f"only in {got_name}: {r}" for r in list(only_g.elements())[:8]]
        detail += [f"only in {want_name}: {r}" for r in list(only_w.elements())[:8]]
        self.fail(what, "\n".join(detail))
        return False


def check_snapshot(check, what, snap, reference, query):
    """A reader's view while the query runs: appended rows are a sub-multiset of the final
    rows; a complete-mode table has each key once and no count above the final one."""
    ok = True
    if snap.bad:
        check.fail(f"{what}: lines that are not JSON rows in visible files", "\n".join(
            f"{f}: {l}" for f, l in snap.bad[:5]))
        ok = False
    if query == "q2":
        extra = snap.rows - reference.rows
        if extra:
            dup = [r for r, n in snap.rows.items() if n > 1]
            check.fail(f"{what}: {sum(extra.values())} visible row(s) not in the final result "
                       f"(or more often than in it)",
                       "\n".join([f"rows seen more than once: {len(dup)}"] +
                                 [f"extra: {r}" for r in list(extra.elements())[:8]]))
            ok = False
    else:
        keys = Counter()
        for r, n in snap.rows.items():
            keys[key_of(r, reference.key_cols)] += n
        dup = [k for k, n in keys.items() if n > 1]
        if dup:
            rows = [r for r in snap.rows if key_of(r, reference.key_cols) == dup[0]]
            check.fail(f"{what}: {len(dup)} key(s) more than once in the visible table",
                       f"e.g. {dup[0]}: {rows} in files {snap.files}")
            ok = False
        above = []
        for r in snap.rows:
            k = key_of(r, reference.key_cols)
            final = reference.table.get(k)
            if final is None or dict(json.loads(r))["match_count"] > \
                    reference.dicts[final]["match_count"]:
                above.append((r, final))
        if above:
            check.fail(f"{what}: {len(above)} visible row(s) with a key not in the final table "
                       f"or a count above the final one",
                       "\n".join(f"{r} (final {f})" for r, f in above[:8]))
            ok = False
    return ok


def check_growth(check, name, snapshots, reference, query):
    """What a reader saw never goes back: appended rows stay (a sub-multiset of every later
    view); a complete-mode table never loses a key and no count decreases. Reports the first
    step back only."""
    prev_label, prev = None, None
    for label, snap in snapshots:
        if prev is not None:
            if query == "q2":
                lost = prev.rows - snap.rows
                if lost:
                    check.fail(f"{name}: rows visible {prev_label} are gone {label}",
                               f"{sum(lost.values())} row(s), e.g. {next(iter(lost))}; files "
                               f"before {prev.files}, after {snap.files}")
                    return
            else:
                before = {key_of(r, reference.key_cols): dict(json.loads(r))["match_count"]
                          for r in prev.rows}
                after = {key_of(r, reference.key_cols): dict(json.loads(r))["match_count"]
                         for r in snap.rows}
                gone = [k for k in before if k not in after]
                down = [k for k in before if k in after and after[k] < before[k]]
                if gone or down:
                    check.fail(f"{name}: the table visible {prev_label} went back {label}",
                               f"{len(before)} keys before, {len(after)} after; {len(gone)} "
                               f"key(s) gone, {len(down)} count(s) lower; files before "
                               f"{prev.files}, after {snap.files}")
                    return
        prev_label, prev = label, snap


# ---------------------------------------------------------------------------------------------
# A scenario round

class Round:
    def __init__(self, args, check, name, query, key, options, seed, profile, workdir):
        self.args, self.check = args, check
        self.name, self.query, self.key, self.seed = name, query, key, seed
        self.options = options
        self.profile = profile
        self.dir = workdir
        self.rng = random.Random(seed)
        self.out = os.path.join(workdir, "out")
        self.ckpt = os.path.join(workdir, "ckpt")
        self.group = f"scaleout-{name}-{seed}"
        self.members = []
        self.snapshots = []  # (label, Snapshot)
        self.kafka = None
        self.kafka_gone = False

    # -- commands ---------------------------------------------------------------------------

    def run_cmd(self, trigger=TRIGGER, threads=1):
        sql = Q1_SQL if self.query == "q1" else Q2_SQL
        return [self.args.sluice, "run", "--source", self.kafka.url(), "--group-id", self.group,
                "--checkpoint", self.ckpt, "--sink", "jsonl:" + self.out + "/",
                "--trigger", trigger, "--threads", str(threads), *RUN_OPTIONS,
                *self.options, sql]

    def gen_cmd(self, k):
        p = self.profile
        start = START_MS + k * p["chunk"] * 1000 // GEN_RATE
        cmd = [self.args.sluice, "gen", "--to", self.kafka.url(), "--count", str(p["chunk"]),
               "--rate", str(GEN_RATE), "--max-rate", "--start", str(start),
               "--seed", str(self.seed * 1000 + k), *GEN_OPTIONS]
        if self.key != "user_id" or self.args.gen_has_key:
            cmd += ["--key", self.key]
        return cmd

    def catchup_cmd(self):
        return self.run_cmd(trigger="available-now", threads=2)

    def reproduce(self):
        script = os.path.abspath(__file__)
        print(f"  work directory kept: {self.dir}")
        print("  reproduce this round: " + shlex.join(
            [sys.executable, script, "--sluice", self.args.sluice, "--only",
             self.name.split("#")[0],
             "--seed", str(self.args.seed)] + (["--soak"] if self.args.soak else [])))
        print("  or by hand: " + shlex.join(
            [self.args.sluice, "dev-kafka", "--bootstrap-file", "/tmp/scaleout.bootstrap",
             "--topic", f"logs:{PARTITIONS}"]) + "  # then B=$(cat /tmp/scaleout.bootstrap):")
        b = self.kafka.bootstrap if self.kafka else "B"

        def sub(cmd):
            return shlex.join(cmd).replace(b, "$B")
        print("    chunk k of the input (k = 0.." f"{self.profile['chunks'] - 1}, one every "
              f"{self.profile['interval_s']} s): " + sub(self.gen_cmd(0)).replace(
                  f"--start {START_MS}", "--start $((" + str(START_MS) + " + k * " +
                  str(self.profile['chunk'] * 1000 // GEN_RATE) + "))").replace(
                  f"--seed {self.seed * 1000}", f"--seed $(({self.seed * 1000} + k))"))
        print("    each group member (3, kill -9 one, add one): " + sub(self.run_cmd()))
        print("    after SIGTERM to all, the catch-up: " + sub(self.catchup_cmd()))

    # -- membership ---------------------------------------------------------------------------

    def live(self):
        return [m for m in self.members if m.fate is None]

    def add(self):
        m = Member(f"p{len(self.members) + 1}", self.run_cmd(), self.dir)
        self.members.append(m)
        print(f"  t={self.t():5.1f}s start {m.name} (pid {m.proc.pid})", flush=True)
        return m

    def t(self):
        return time.monotonic() - self.t0

    def check_unexpected_exits(self):
        if self.kafka.proc.poll() is not None and not self.kafka_gone:
            self.kafka_gone = True
            self.check.fail(f"{self.name}: dev-kafka exited with code {self.kafka.proc.returncode}"
                            " during the round (stopped from outside?)",
                            tail(read_text(self.kafka.err.name), 5))
        for m in self.live():
            if not m.alive():
                m.fate = "exited"
                self.check.fail(f"{self.name}: {m.name} exited on its own with code "
                                f"{m.proc.returncode}", tail(m.stderr()))

    def wait_settled(self):
        """Waits until every input partition has an owner and every process owns something, so
        that the kill takes partitions away (the mock broker rebalances a group for seconds)."""
        t0 = time.monotonic()
        while True:
            holders = lock_holders(self.ckpt)
            if holders is None:
                return
            pids = {pid for pid in holders.values() if pid is not None}
            sources = [u for u, pid in holders.items() if u.startswith("sources/") and pid]
            if len(sources) == PARTITIONS and all(m.proc.pid in pids for m in self.live()):
                print(f"  t={self.t():5.1f}s the group has settled: {self.owners_text()}",
                      flush=True)
                return
            if time.monotonic() - t0 > SETTLE_TIMEOUT_S:
                self.check.fail(f"{self.name}: {SETTLE_TIMEOUT_S} s after the start, not every "
                                "partition has an owner or not every process owns one",
                                self.owners_text())
                return
            self.check_unexpected_exits()
            time.sleep(0.2)

    def kill(self, last_chance):
        """SIGKILLs a live process that owns partitions; False (nothing done) when none owns any
        (the group is rebalancing: the mock revokes everything for seconds) and this is not the
        last chance."""
        live = [m for m in self.live() if m.alive()]
        if len(live) < 2:
            self.check.fail(f"{self.name}: fewer than 2 live processes at the kill")
            return True
        # A process that owns something (one still joining the group would move nothing).
        holders = lock_holders(self.ckpt)
        owning = live if holders is None else [m for m in live if m.proc.pid in holders.values()]
        if not owning and not last_chance:
            print(f"  t={self.t():5.1f}s no process owns a partition (rebalancing): kill "
                  "deferred", flush=True)
            return False
        victim = self.rng.choice(owning or live)
        self.snap(f"just before SIGKILL of {victim.name}")
        owned = self.owned_by(victim)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        victim.fate = "killed"
        print(f"  t={self.t():5.1f}s SIGKILL {victim.name} (alive, owned "
              f"{', '.join(owned) if owned else owned})", flush=True)
        if victim.proc.returncode != -signal.SIGKILL:
            self.check.fail(f"{self.name}: {victim.name} was not alive when killed "
                            f"(exit {victim.proc.returncode})", tail(victim.stderr()))
        elif owned == []:
            self.check.fail(f"{self.name}: the killed process {victim.name} owned no partition "
                            "or shard (no lock under the checkpoint): the kill moved nothing",
                            self.owners_text())
        elif owned is None:
            self.check.note(f"{self.name}: /proc/locks unreadable: cannot tell what "
                            f"{victim.name} owned")
        self.snap(f"just after SIGKILL of {victim.name}")
        return True

    def term(self, m, expect_alive=True):
        if not m.alive():
            if expect_alive:
                self.check.fail(f"{self.name}: {m.name} was not alive at SIGTERM "
                                f"(exit {m.proc.returncode})", tail(m.stderr()))
            m.fate = "terminated"
            return
        m.proc.send_signal(signal.SIGTERM)
        m.fate = "terminated"

    def wait_terminated(self, ms):
        for m in ms:
            try:
                m.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                m.proc.kill()
                m.proc.wait()
                self.check.fail(f"{self.name}: {m.name} did not exit within {STOP_TIMEOUT_S} s "
                                "of SIGTERM (killed)", tail(m.stderr()))
                continue
            if m.proc.returncode != 0:
                self.check.fail(f"{self.name}: {m.name} exited {m.proc.returncode} after "
                                "SIGTERM, want 0", tail(m.stderr()))

    def term_one(self):
        live = [m for m in self.live() if m.alive()]
        if len(live) < 2:
            self.check.fail(f"{self.name}: fewer than 2 live processes at the SIGTERM")
            return
        m = self.rng.choice(live)
        print(f"  t={self.t():5.1f}s SIGTERM {m.name} (owns {self.owned_by(m)})", flush=True)
        self.term(m)
        self.wait_terminated([m])

    def owned_by(self, m):
        """The units (sources/P, shards/Q) m holds, or None when that cannot be seen."""
        holders = lock_holders(self.ckpt)
        if holders is None:
            return None
        return [u for u, pid in holders.items() if pid == m.proc.pid]

    def ownership_problems(self, p):
        """Why the group is not (yet) as it should be once the input stopped: every partition
        and shard owned by a live process (the killed one's taken over), and the processes
        added while the input flowed owning some. [] when it is; [] too when /proc/locks cannot
        be read."""
        holders = lock_holders(self.ckpt)
        if holders is None:
            return []
        if not holders:
            return [f"no sources/ or shards/ under the checkpoint {self.ckpt}"]
        live = self.live()
        pids = {m.proc.pid for m in live}
        problems = []
        orphans = [u for u, pid in holders.items() if pid not in pids]
        if orphans:
            problems.append(f"units not owned by a live process: {', '.join(orphans)}")
        for m in self.members[p["initial"]:]:
            if m.fate is None and m.proc.pid not in holders.values():
                problems.append(f"{m.name}, added while the input flowed, owns no partition or "
                                "shard")
        return problems

    def owners_text(self):
        holders = lock_holders(self.ckpt) or {}
        names = {m.proc.pid: m.name for m in self.members if m.fate is None}
        return ", ".join(f"{u}: {names.get(pid, pid)}" for u, pid in holders.items())

    def snap(self, label):
        self.snapshots.append((label, read_dir(self.out)))

    # -- the round ----------------------------------------------------------------------------

    def run(self):
        os.makedirs(self.dir)
        p = self.profile
        self.t0 = time.monotonic()
        try:
            self.kafka = DevKafka(self.args.sluice, self.dir, f"logs:{PARTITIONS}")
        except RuntimeError as e:
            self.check.fail(f"{self.name}: {e}")
            return
        try:
            self.body(p)
        finally:
            for m in self.members:
                if m.alive():
                    m.proc.kill()
                    m.proc.wait()
            if self.check.failures and self.kafka.proc.poll() is None:
                try:
                    self.dump_repartition()
                except Exception as e:  # a diagnostic only
                    print(f"  (could not dump the repartition topic: {e!r})")
            rc = self.kafka.stop()
            if rc != 0:
                self.check.note(f"{self.name}: dev-kafka exited {rc}")

    def body(self, p):
        """The round: start the group, feed it while its membership changes, let the live
        processes catch up, stop them, run the catch-up, compare."""
        for _ in range(p["initial"]):
            self.add()
        time.sleep(1.0)
        self.check_unexpected_exits()
        if len(self.live()) < p["initial"]:
            return  # the binary does not run several processes on one checkpoint
        self.wait_settled()
        delivered = self.feed(p)
        if delivered is None:
            return
        reference = self.make_reference(delivered)
        if reference is None:
            return
        self.converge(p, reference)

        # Stop everyone: SIGTERM, commit, exit 0.
        live = self.live()
        print(f"  t={self.t():5.1f}s SIGTERM " + ", ".join(
            f"{m.name} (owns {self.owned_by(m)})" for m in live), flush=True)
        for m in live:
            self.term(m)
        self.wait_terminated(live)

        # The catch-up: one process, available-now, closes the last windows.
        cmd = self.catchup_cmd()
        c = self.catchup("catchup", cmd)
        if c is None:
            return
        final = read_dir(self.out)
        self.snapshots.append(("after the catch-up", final))
        self.verify(reference, final, c)

        # Again: finished, nothing new.
        again = self.catchup("rerun", cmd)
        if again is not None:
            after = read_dir(self.out)
            self.check.multiset(f"{self.name}: the catch-up run again changed the output",
                                after.rows, final.rows, "after re-run", "before re-run")

    def feed(self, p):
        """Writes the input a chunk at a time, with the membership changes of the profile
        between chunks; returns the records written, None when gen failed."""
        events = dict(p["events"])
        pending_kill = False
        delivered = 0
        for k in range(p["chunks"]):
            t_chunk = time.monotonic()
            cmd = self.gen_cmd(k)
            g = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if g.returncode != 0 or f"{p['chunk']} delivered, 0 failed" not in g.stderr:
                self.check.fail(f"{self.name}: gen chunk {k}: exit {g.returncode}",
                                g.stderr[-1500:] + "\n" + shlex.join(cmd))
                return None
            delivered += p["chunk"]
            self.snap(f"after chunk {k}")
            self.check_unexpected_exits()
            action = events.get(k)
            if action == "kill" or pending_kill:
                pending_kill = not self.kill(last_chance=k == p["chunks"] - 1)
            elif action == "add":
                self.add()
            elif action == "term":
                self.term_one()
            time.sleep(max(0.0, p["interval_s"] - (time.monotonic() - t_chunk)))
        print(f"  t={self.t():5.1f}s input written: {delivered} records in {p['chunks']} chunks",
              flush=True)
        return delivered

    def make_reference(self, delivered):
        """The reference over the topic as it now is (complete: the generator has finished)."""
        dump = os.path.join(self.dir, "topic.tsv")
        d = subprocess.run([self.args.sluice, "dev-kafka", "dump", "--bootstrap",
                            self.kafka.bootstrap, "--topic", "logs", "--out", dump,
                            "--with-partition"], capture_output=True, text=True, timeout=120)
        if d.returncode != 0:
            self.check.fail(f"{self.name}: dev-kafka dump exit {d.returncode}", d.stderr)
            return None
        reference = Reference(self.check, dump, self.query)
        if reference.total != delivered:
            self.check.fail(f"{self.name}: the topic holds {reference.total} records, "
                            f"{delivered} were written")
        with open(os.path.join(self.dir, "reference.jsonl"), "w") as f:
            for r in sorted(reference.rows.elements()):
                f.write(r + "\n")
        print(f"  reference: {reference.total} records in partitions "
              f"{dict(sorted(reference.per_partition.items()))}, {len(reference.rows)} rows",
              flush=True)
        if len(reference.rows) < 50:
            self.check.fail(f"{self.name}: the reference has only {len(reference.rows)} rows: "
                            "the input is too small to test anything")
        if reference.summary["late_records"] or reference.summary["malformed_records"]:
            self.check.fail(f"{self.name}: the reference has late or malformed records: "
                            f"{reference.summary}")
        return reference

    def converge(self, p, reference):
        """The live processes alone must reach the result (the killed process's partitions
        taken over): Q1's whole table, Q2's rows of every window the watermark closed; and the
        group must be whole again (every unit owned by a live process)."""
        want = reference.rows if self.query == "q1" else reference.closed_rows()
        deadline = time.monotonic() + CONVERGE_TIMEOUT_S
        time.sleep(SETTLE_S)
        while True:
            snap = read_dir(self.out)
            got = snap.rows if self.query == "q1" else snap.rows & want
            problems = self.ownership_problems(p)
            if (got == want and not problems) or time.monotonic() > deadline:
                break
            self.check_unexpected_exits()
            time.sleep(0.5)
        self.snapshots.append(("before the SIGTERMs", snap))
        waited = f"{CONVERGE_TIMEOUT_S + SETTLE_S} s after the input stopped"
        if got != want:
            self.check.multiset(f"{self.name}: {waited}, the live processes have not written "
                                + ("the final table" if self.query == "q1" else
                                   "every row of the windows the watermark closed"),
                                got, want, "visible", "expected by now")
        else:
            print(f"  t={self.t():5.1f}s live processes reached the result "
                  f"({sum(want.values())} rows)", flush=True)
        for problem in problems:
            self.check.fail(f"{self.name}: {waited}, {problem}", self.owners_text())

    def verify(self, reference, final, catchup):
        """The output after the catch-up and every view a reader had on the way; what the
        processes and the checkpoint report."""
        # Every reader's view, reported in full for the first one that is wrong.
        wrong = []
        for label, snap in self.snapshots:
            if not check_snapshot(Checker(quiet=True), label, snap, reference, self.query):
                if not wrong:
                    check_snapshot(self.check, f"{self.name}: {label}", snap, reference,
                                   self.query)
                wrong.append(label)
        if len(wrong) > 1:
            self.check.fail(f"{self.name}: {len(wrong)} of {len(self.snapshots)} views wrong: "
                            + ", ".join(wrong[:10]) + (", ..." if len(wrong) > 10 else ""))
        check_growth(self.check, self.name, self.snapshots, reference, self.query)
        if self.check.multiset(f"{self.name}: final output", final.rows, reference.rows):
            print(f"  t={self.t():5.1f}s final output equals the reference "
                  f"({sum(final.rows.values())} rows in {len(final.files)} files)", flush=True)
        else:
            files = Counter()
            for r in final.rows - reference.rows:
                files.update(final.where.get(r, ()))
            print(f"    files holding the rows only in sluice: {dict(files)}")
        for m in self.members + [catchup]:
            text = m.stderr()
            if late_count(text) or malformed_count(text):
                self.check.fail(f"{self.name}: {m.name} reports late or malformed records "
                                f"(none exist)", "\n".join(
                                    l for l in text.splitlines() if "late" in l)[-1500:])
            if m.fate != "killed":
                print(f"  {m.name}: {m.summary()}")
        self.check_checkpoint(reference)

    def dump_repartition(self):
        """For a failure's diagnosis: every message of the repartition topic, decoded to one
        line each (exchange partition, offset, input partition, epoch, flags, the epoch's input
        offsets, partial size) in repartition.txt. The wire format is exec/exchange_message.h."""
        topics = set()
        for m in self.members:
            topics.update(re.findall(r"partial aggregates through (\S+) \(", m.stderr()))
        for topic in sorted(topics):
            raw = os.path.join(self.dir, "repartition.raw")
            d = subprocess.run([self.args.sluice, "dev-kafka", "dump", "--bootstrap",
                                self.kafka.bootstrap, "--topic", topic, "--out", raw,
                                "--with-partition"], capture_output=True, timeout=120)
            if d.returncode != 0:
                print(f"  (dump of {topic}: exit {d.returncode})")
                continue
            with open(raw, "rb") as f:
                data = f.read()
            out, i = [], 0
            while i < len(data):
                m = re.compile(rb"(\d+)\t(\d+)\t").match(data, i)
                if not m or data[m.end():m.end() + 4] != b"SLX1":
                    out.append(f"undecodable at byte {i}")
                    break
                q, off, j = int(m.group(1)), int(m.group(2)), m.end() + 4
                part, epoch, max_event, flags, first, end = struct.unpack_from("<IqqBqq", data, j)
                j += 37
                size = 0
                if flags & 4:  # a partial: varint length, then the bytes
                    shift = 0
                    while True:
                        c = data[j]
                        j += 1
                        size |= (c & 0x7F) << shift
                        shift += 7
                        if c < 0x80:
                            break
                    j += size
                kinds = [n for bit, n in ((4, "data"), (1, "idle"), (2, "finished")) if flags & bit]
                out.append(f"q={q} offset={off} input_partition={part} epoch={epoch} "
                           f"{'+'.join(kinds) or 'heartbeat'} offsets=[{first},{end}) "
                           f"partial={size}B max_event={max_event}")
                i = j + 1  # the dump's newline
            with open(os.path.join(self.dir, "repartition.txt"), "w") as f:
                f.write("\n".join(out) + "\n")
            print(f"  repartition topic {topic}: {len(out)} messages decoded into "
                  f"{os.path.join(self.dir, 'repartition.txt')}")

    def catchup(self, name, cmd):
        m = Member(name, cmd, self.dir)
        try:
            m.proc.wait(timeout=CATCHUP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            m.proc.kill()
            m.proc.wait()
            self.check.fail(f"{self.name}: {name} did not finish within {CATCHUP_TIMEOUT_S} s",
                            tail(m.stderr()))
            return None
        print(f"  t={self.t():5.1f}s {name} exited {m.proc.returncode} after "
              f"{time.monotonic() - m.started:.1f} s", flush=True)
        if m.proc.returncode != 0:
            self.check.fail(f"{self.name}: {name} exit {m.proc.returncode}, want 0",
                            tail(m.stderr()))
            return None
        return m

    def check_checkpoint(self, reference):
        """After the catch-up, `sluice checkpoint` on the shared directory and on each of its
        units: readable, one source unit per input partition, every unit finished, every source
        unit's position the end of its partition."""
        dump = {}
        r = subprocess.run([self.args.sluice, "checkpoint", self.ckpt], capture_output=True,
                           text=True, timeout=60)
        dump["."] = r.stdout or r.stderr
        if r.returncode != 0:
            self.check.fail(f"{self.name}: sluice checkpoint {self.ckpt}: exit {r.returncode}",
                            r.stderr[-1000:])
        units = unit_dirs(self.ckpt)
        sources, unfinished = {}, []
        for unit, d in units.items():
            r = subprocess.run([self.args.sluice, "checkpoint", d], capture_output=True,
                               text=True, timeout=60)
            dump[unit] = r.stdout or r.stderr
            try:
                info = json.loads(r.stdout) if r.returncode == 0 else None
            except ValueError:
                info = None
            if info is None:
                self.check.fail(f"{self.name}: sluice checkpoint {d}: exit {r.returncode}",
                                r.stderr[-1000:])
                continue
            epoch = info.get("latest_epoch") or {}
            if not epoch.get("input_finished"):
                unfinished.append(unit)
            if unit.startswith("sources/"):
                for pos in epoch.get("positions", []):
                    sources[pos.get("partition")] = pos.get("next_offset")
        with open(os.path.join(self.dir, "checkpoint.json"), "w") as f:
            json.dump(dump, f, indent=1)
        if not units:
            self.check.fail(f"{self.name}: no sources/ or shards/ under {self.ckpt}")
            return
        if unfinished:
            self.check.fail(f"{self.name}: units not marked finished after the catch-up: "
                            f"{', '.join(unfinished)}")
        ends = dict(reference.per_partition)
        if sources != ends:
            self.check.fail(f"{self.name}: the source units' positions after the catch-up are "
                            "not the ends of their partitions",
                            f"checkpoint {dict(sorted(sources.items()))}\n"
                            f"topic      {dict(sorted(ends.items()))}")


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="several sluice run processes in one group")
    ap.add_argument("--sluice", required=True, help="path of the sluice binary")
    ap.add_argument("--soak", action="store_true",
                    help="longer input, more membership changes, every scenario twice")
    ap.add_argument("--seed", type=int, default=None, help="master seed (default: random)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only this scenario (repeatable): " +
                         ", ".join(s[0] for s in SCENARIOS))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.sluice = os.path.abspath(args.sluice)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2**20)
    names = [s[0] for s in SCENARIOS]
    for o in args.only:
        if o not in names:
            ap.error(f"--only {o}: one of {', '.join(names)}")
    profile = PROFILES["soak" if args.soak else "default"]

    gen_help = subprocess.run([args.sluice, "gen", "--help"], capture_output=True, text=True)
    args.gen_has_key = "--key" in gen_help.stdout + gen_help.stderr

    chosen = [s for s in SCENARIOS
              if s[0] in args.only or (not args.only and (args.soak or not s[4]))]
    print(f"scale-out test: seed {args.seed}, {len(chosen)} scenario(s) x {profile['rounds']} "
          f"round(s), {PARTITIONS} partitions, {profile['chunks']} chunks of {profile['chunk']} "
          f"records every {profile['interval_s']} s", flush=True)
    root = tempfile.mkdtemp(prefix="sluice-scaleout-")
    rng = random.Random(args.seed)
    passed, failed = [], []
    t0 = time.monotonic()
    for rnd in range(profile["rounds"]):
        for name, query, key, options, _ in chosen:
            seed = rng.randrange(1, 2**20)
            tag = name if profile["rounds"] == 1 else f"{name}#{rnd + 1}"
            print(f"{tag}: query {query}, gen --key {key}, seed {seed}", flush=True)
            check = Checker()
            if key != "user_id" and not args.gen_has_key:
                check.fail(f"{tag}: sluice gen has no --key option (needed for --key {key})")
                failed.append(tag)
                continue
            r = Round(args, check, tag, query, key, options, seed, profile,
                      os.path.join(root, tag.replace("#", "-")))
            t_round = time.monotonic()
            try:
                r.run()
            except Exception as e:  # a harness error is a failure of this round, not a crash
                import traceback
                check.fail(f"{tag}: harness error {e!r}", traceback.format_exc())
            if check.failures:
                failed.append(tag)
                r.reproduce()
            else:
                passed.append(tag)
            print(f"{tag}: {'FAILED' if check.failures else 'passed'} in "
                  f"{time.monotonic() - t_round:.1f} s", flush=True)

    elapsed = time.monotonic() - t0
    if failed:
        print(f"FAILED: {', '.join(failed)} in {elapsed:.1f} s (seed {args.seed}); work "
              f"directory kept: {root}")
    else:
        print(f"scale-out test passed in {elapsed:.1f} s (seed {args.seed})")
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.keep:
        print(f"work directory: {root}")
    print(f"scaleout: {len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
