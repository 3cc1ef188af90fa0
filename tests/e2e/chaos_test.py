#!/usr/bin/env python3
"""Chaos test: `sluice run --checkpoint` killed with SIGKILL at random moments and restarted.

For each scenario, generate an input with `sluice gen` (out-of-order, late and malformed
records), compute the expected rows with the independent reference (tests/reference), then run
sluice with --checkpoint, --max-records-per-trigger 10000 and a short --trigger, so that a run
takes about ten triggers, and kill -9 it at a random moment (mostly anywhere mid-run; sometimes
during the restart's recovery; sometimes right after an epoch's commit, before the sinks have
made its rows visible); restart it with the same command (or with another --threads) until it
exits 0 on its own. Such a round is repeated on a fresh checkpoint until the scenario has had
its share of kills that hit a live process (--kills over all scenarios).

Checked for every round:
  - every attempt either is killed by us or exits 0 (a restart never fails); the newest
    committed epoch never goes back, and the round ends (restarts resume, not start over);
  - at every kill, what a reader sees is sane: complete-mode tables are whole tables (unique
    keys, counts never above the final ones), appended rows are a sub-multiset of the final rows;
  - the final output (a jsonl file, or every visible file of a jsonl directory) equals the
    reference as a multiset (a doubled or a lost row is a failure), and equals what one
    uninterrupted run with the same command writes; so do the dead-letter sink (each malformed
    record once) and the late sink;
  - the summary counts (cumulative over restarts) equal the reference's;
  - running the command again after it finished exits 0 and writes no new rows.
Negative checks: a corrupt checkpoint file (the newest under DIR/epochs/ after the end and
mid-run, the newest under DIR/state/ mid-run), a different query (5-second windows) on a used
checkpoint, and a second process on a checkpoint in use make sluice exit 2 with a message.

On a failure prints what differs and how to reproduce it, keeps the work directory, exits 1.
The last line is `chaos: N passed, M failed` (N, M count scenarios and negative checks).

Usage: chaos_test.py --sluice PATH [--kills N] [--seed S] [--only NAME] [--keep]
"""

import argparse
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import reference as ref  # noqa: E402

START = "2026-01-27T18:29:50Z"
DEFAULT_KILLS = 32  # over the 8 scenarios of the default run: 4 each (the test asserts >= 20)
MIN_DEFAULT_KILLS = 20
TRIGGER = "50ms"
MAX_RECORDS_PER_TRIGGER = 10_000
ATTEMPT_TIMEOUT_S = 120  # one attempt that runs this long without finishing is a hang
# A run of ~10 epochs resumed after every kill ends within a few dozen attempts (one kill in four
# comes only after a new commit); this many means the restarts do not resume.
MAX_ATTEMPTS_PER_ROUND = 100

Q1_SQL = """SELECT source_ip, count(*) AS match_count FROM logs
WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High'
GROUP BY source_ip ORDER BY match_count DESC"""

Q2_TEMPLATE = """SELECT window.start AS window_start, window.end AS window_end, user_id,
       count(*) AS crash_count
FROM logs
WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')
GROUP BY window(timestamp, '{window}'), user_id
HAVING count(*) > 2"""
Q2_SQL = Q2_TEMPLATE.format(window="10 seconds")
Q2_SQL_5S = Q2_TEMPLATE.format(window="5 seconds")  # a different query, for the negative check

QUERIES = {
    # name: (sql, output mode, fields the query reads, key columns of a result row)
    "q1": (Q1_SQL, "complete", ref.Q1_FIELDS, ("source_ip",)),
    "q2": (Q2_SQL, "append", ref.Q2_FIELDS, ("window_start", "window_end", "user_id")),
}


# ---------------------------------------------------------------------------------------------
# Scenarios and inputs

def make_scenarios(master_seed):
    """The scenario list; the inputs depend on master_seed only."""
    rng = random.Random(master_seed)
    base = [
        # name, query, sink kind, threads (1, 2 or "alt"), dead-letter kind, late-sink kind
        ("q2-file-t1", "q2", "file", 1, "file", "file"),
        ("q2-file-t2", "q2", "file", 2, "dir", "dir"),
        ("q2-dir-t1", "q2", "dir", 1, "dir", "file"),
        ("q2-dir-t2", "q2", "dir", 2, "file", "dir"),
        ("q2-file-alt", "q2", "file", "alt", "file", "file"),
        ("q2-dir-alt", "q2", "dir", "alt", "dir", "dir"),
        ("q1-file-alt", "q1", "file", "alt", "file", None),
        ("q1-dir-t2", "q1", "dir", 2, "dir", None),
    ]
    scenarios = []
    for name, query, sink, threads, dead, late in base:
        scenarios.append(dict(
            name=name, query=query, sink=sink, threads=threads, dead=dead, late=late,
            seed=rng.randrange(1, 2**31),
            count=rng.randrange(60_000, 120_001),
            rate=rng.choice([200, 500, 1000]),
            users=rng.choice([20, 50, 200]),
            jitter_s=rng.randrange(5, 21),
            late_fraction=rng.choice([0.01, 0.02, 0.05]),
            late_by_s=rng.randrange(40, 121),
            malformed=rng.choice([0.01, 0.02, 0.05]),
            watermark_s=rng.choice([10, 30]),
        ))
    return scenarios


def gen_command(sluice, sc, path):
    return [sluice, "gen", "--count", str(sc["count"]), "--rate", str(sc["rate"]), "--max-rate",
            "--start", START, "--seed", str(sc["seed"]), "--users", str(sc["users"]),
            "--ips", "256", "--jitter", f"{sc['jitter_s']}s",
            "--late-fraction", str(sc["late_fraction"]), "--late-by", f"{sc['late_by_s']}s",
            "--malformed-fraction", str(sc["malformed"]), "--escape-rate", "0.5",
            "--case-mix", "0.5", "--unicode-rate", "0.5", "--term", "crash",
            "--term-rate", "0.2", "--vulnerability-rate", "0.1", "--to", "file:" + path]


def checkpoint_flags(ckpt):
    """The flags that make a run checkpointed and slow enough to be killed mid-way."""
    return ["--checkpoint", ckpt, "--max-records-per-trigger", str(MAX_RECORDS_PER_TRIGGER)]


class Layout:
    """Where one run (a round, or the uninterrupted baseline) keeps its checkpoint and sinks."""

    def __init__(self, root, sc):
        self.root = root
        self.ckpt = os.path.join(root, "ckpt")
        self.out = self._sink_path("out", sc["sink"])
        self.dead = self._sink_path("dead", sc["dead"]) if sc["dead"] else None
        self.late = self._sink_path("late", sc["late"]) if sc["late"] else None

    def _sink_path(self, name, kind):
        # A directory sink is written jsonl:DIR/ (the trailing slash makes it a directory).
        return os.path.join(self.root, name + ".d") + "/" if kind == "dir" else \
            os.path.join(self.root, name + ".jsonl")

    def sinks(self):
        """(role, path) of every sink of the run."""
        return [(r, p) for r, p in (("out", self.out), ("dead", self.dead), ("late", self.late))
                if p]


def run_command(sluice, sc, lay, threads, sql=None):
    qsql, mode, _, _ = QUERIES[sc["query"]]
    cmd = [sluice, "run", "--source", "file:" + sc["input"], "--sink", "jsonl:" + lay.out,
           "--watermark", f"{sc['watermark_s']}s", "--output-mode", mode,
           "--trigger", TRIGGER, "--threads", str(threads)] + checkpoint_flags(lay.ckpt)
    if lay.dead:
        cmd += ["--dead-letter", "jsonl:" + lay.dead]
    if lay.late:
        cmd += ["--late-sink", "jsonl:" + lay.late]
    return cmd + [sql or qsql]


def threads_for(sc, attempt):
    t = sc["threads"]
    return (1 if attempt % 2 == 0 else 2) if t == "alt" else t


# ---------------------------------------------------------------------------------------------
# Reading sinks

def parse_summary(stderr):
    """key=value pairs of the last `summary ...` line of stderr, or None."""
    lines = [l for l in stderr.splitlines() if l.startswith("summary ")]
    if not lines:
        return None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", lines[-1])}


def canonical(pairs):
    """A row as JSON text with its keys in order, so 3 and 3.0 or a key order differ."""
    return json.dumps(pairs, ensure_ascii=False)


class SinkContent:
    """The rows a reader sees in a jsonl sink: one file, or every visible file of a directory."""

    def __init__(self):
        self.rows = []        # canonical JSON text of every row, in file order (files by name)
        self.files = {}       # visible file name -> its rows (canonical)
        self.bad_lines = []   # (file, line number, text) of complete lines that are not JSON rows
        self.unterminated = []  # (file, text) of a last line without "\n"
        self.hidden = []      # names starting with "_" or "." in a directory sink
        self.exists = False


def visible_files(path):
    """Files of a jsonl sink as (name, full path): the file itself, or the directory's visible
    regular files (names not starting with '_' or '.'), sorted by name."""
    if not path.endswith("/"):
        return [(os.path.basename(path), path)] if os.path.exists(path) else []
    d = path.rstrip("/")
    if not os.path.isdir(d):
        return []
    out = []
    for name in sorted(os.listdir(d)):
        full = os.path.join(d, name)
        if name.startswith(("_", ".")) or not os.path.isfile(full):
            continue
        out.append((name, full))
    return out


def read_sink(path):
    c = SinkContent()
    if path.endswith("/"):
        d = path.rstrip("/")
        c.exists = os.path.isdir(d)
        if c.exists:
            c.hidden = sorted(n for n in os.listdir(d) if n.startswith(("_", ".")))
    else:
        c.exists = os.path.exists(path)
    for name, full in visible_files(path):
        with open(full, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        last = lines.pop()  # b"" when the file ends with "\n"
        if last:
            c.unterminated.append((name, last[:200]))
        rows = []
        for no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rows.append(canonical(json.loads(line.decode("utf-8"), object_pairs_hook=list)))
            except (UnicodeDecodeError, ValueError):
                c.bad_lines.append((name, no, line[:200]))
        c.files[name] = rows
        c.rows += rows
    return c


def row_dict(text):
    return dict(json.loads(text))


def snapshot(lay):
    """Multisets of the rows of every sink (to see whether a run wrote anything)."""
    return {role: Counter(read_sink(p).rows) for role, p in lay.sinks()}


def files_under(d):
    """Regular files under d, recursively."""
    out = []
    for base, _, names in os.walk(d):
        out += [os.path.join(base, n) for n in names if os.path.isfile(os.path.join(base, n))]
    return out


def _number(path):
    """The epoch number in a checkpoint file's name (`12.manifest` -> 12), or None."""
    m = re.match(r"(\d+)\.", os.path.basename(path))
    return int(m.group(1)) if m else None


def newest_file(d, at_most=None):
    """The newest committed file under d: highest epoch number in its name (at most `at_most`),
    else latest mtime. Temporary files (names starting with '.' or '_', or with 'tmp') a kill
    left behind are not committed files and are skipped."""
    files = [p for p in files_under(d)
             if not os.path.basename(p).startswith((".", "_")) and "tmp" not in p[len(d):]]
    numbered = [p for p in files if _number(p) is not None and
                (at_most is None or _number(p) <= at_most)]
    if numbered:
        return max(numbered, key=lambda p: (_number(p), p))

    def mtime(p):  # a running process may remove files while we look
        try:
            return os.stat(p).st_mtime_ns
        except FileNotFoundError:
            return -1
    return max(files, key=lambda p: (mtime(p), p)) if files else None


def newest_epoch(ckpt):
    m = newest_file(os.path.join(ckpt, "epochs"))
    return None if m is None else _number(m)


def corrupt(path):
    """Flips 8 bytes in the middle of a file (XOR 0xFF: no longer text, not what was written)."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if not data:
            f.write(b"\xff garbage \xff")
            return
        mid = len(data) // 2
        for i in range(max(0, mid - 4), min(len(data), mid + 4)):
            data[i] ^= 0xFF
        f.seek(0)
        f.write(data)


# ---------------------------------------------------------------------------------------------
# Expected results

class Expected:
    """What the reference says a scenario must produce."""

    def __init__(self, sc):
        parsed = ref.Parsed.from_file(sc["input"])
        _, _, fields, self.key_cols = QUERIES[sc["query"]]
        if sc["query"] == "q1":
            rows, self.summary = ref.q1(parsed)
        else:
            # (--max-records-per-trigger: sluice cuts the file every 10,000 lines)
            rows, self.summary = ref.q2(parsed, watermark_ms=sc["watermark_s"] * 1000,
                                        batch_lines=ref.BATCH_LINES)
        self.rows = Counter(canonical(list(r.items())) for r in rows)
        self.table = {self.key(list(r.items())): r for r in rows}  # complete mode: key -> row
        # Malformed records for this query: line index (the file source's offset) -> text.
        self.malformed = {}
        for i, (line, blank, obj) in enumerate(zip(parsed.lines, parsed.blank, parsed.objects)):
            if not blank and not ref.valid_for(obj, fields):
                try:
                    self.malformed[i] = line.decode("utf-8")
                except UnicodeDecodeError:
                    self.malformed[i] = None  # written with U+FFFD: only the offset is compared

    def key(self, pairs):
        d = dict(pairs)
        return tuple(d.get(k) for k in self.key_cols)


class Checker:
    def __init__(self):
        self.failures = []
        self.notes = Counter()  # odd but allowed observations, reported at the end

    def fail(self, what, detail=""):
        self.failures.append(what)
        print(f"  MISMATCH {what}")
        if detail:
            print("    " + detail.replace("\n", "\n    "))

    def multiset(self, what, got, want, got_name="sluice", want_name="reference"):
        if got == want:
            return True
        only_g, only_w = got - want, want - got
        detail = [f"{got_name} rows: {sum(got.values())}, {want_name} rows: {sum(want.values())}"]
        dup = [r for r, n in got.items() if n > 1]
        if dup:
            detail.append(f"rows {got_name} has more than once: {len(dup)}, e.g. {dup[0]}")
        detail += [f"only in {got_name}: {r}" for r in list(only_g.elements())[:8]]
        detail += [f"only in {want_name}: {r}" for r in list(only_w.elements())[:8]]
        self.fail(what, "\n".join(detail))
        return False

    def equal(self, what, got, want):
        if got != want:
            self.fail(what, f"got {got}, want {want}")


def check_well_formed(check, tag, role, c):
    """Final output: every line a JSON row ending in a newline."""
    if c.bad_lines:
        f, no, text = c.bad_lines[0]
        check.fail(f"{tag}: {role}: {len(c.bad_lines)} line(s) that are not JSON rows",
                   f"{f}:{no}: {text!r}")
    if c.unterminated:
        f, text = c.unterminated[0]
        check.fail(f"{tag}: {role}: last line without newline (torn write left behind)",
                   f"{f}: {text!r}")


def check_table_prefix(check, tag, exp, rows):
    """A complete-mode table at some moment: one row per key, every count at most the final
    count (counts only grow), every key in the final table."""
    keys = Counter(exp.key(json.loads(r)) for r in rows)
    dup = [k for k, n in keys.items() if n > 1]
    if dup:
        check.fail(f"{tag}: table has {len(dup)} key(s) more than once (not one whole table)",
                   f"e.g. {dup[0]}")
    for r in rows:
        d = row_dict(r)
        want = exp.table.get(exp.key(json.loads(r)))
        if want is None or d.get("match_count", 0) > want["match_count"]:
            check.fail(f"{tag}: table row not below the final table", f"{r}; final {want}")
            return


def check_midrun(check, tag, sc, exp, baseline, lay):
    """What a reader sees right after a kill (before the restart)."""
    mode = QUERIES[sc["query"]][1]
    for role, path in lay.sinks():
        c = read_sink(path)
        if c.bad_lines:
            f, no, text = c.bad_lines[0]
            check.fail(f"{tag}: {role}: a complete line that is not a JSON row after a kill",
                       f"{f}:{no}: {text!r}")
        if role == "out" and mode == "complete":
            if c.unterminated:  # "always one whole committed table"
                check.fail(f"{tag}: out: complete-mode table has a torn line after a kill",
                           repr(c.unterminated[0]))
            check_table_prefix(check, f"{tag}: out after a kill", exp, c.rows)
        else:
            if c.unterminated and path.endswith("/"):
                # Allowed for a file sink (the restart truncates it to the committed rows);
                # in a directory a reader would see it: counted and reported, not a failure.
                check.notes[f"torn last line visible in a {role} directory after a kill"] += 1
            # Appended rows: even the rows of an epoch not committed yet are rows of the final
            # output (the run is deterministic); a row more often than in the end is a doubling.
            final = exp.rows if role == "out" else baseline[role]
            extra = Counter(c.rows) - final
            if extra:
                check.fail(f"{tag}: {role}: rows visible after a kill that the final output does "
                           f"not have that often ({sum(extra.values())})",
                           "\n".join(list(extra.elements())[:5]))


def verify_final(check, tag, sc, exp, lay, summary, baseline=None):
    """The output of a finished run against the reference (and the uninterrupted run)."""
    mode = QUERIES[sc["query"]][1]
    content = {role: read_sink(p) for role, p in lay.sinks()}
    for role, c in content.items():
        check_well_formed(check, tag, role, c)

    out = content["out"]
    if not out.exists:
        check.fail(f"{tag}: out: {lay.out} does not exist")
    check.multiset(f"{tag}: out rows", Counter(out.rows), exp.rows)
    if mode == "complete" and not lay.out.endswith("/"):
        counts = [row_dict(r).get("match_count") for r in out.rows]
        if counts != sorted(counts, reverse=True):
            check.fail(f"{tag}: ORDER BY match_count DESC", f"counts in file order: {counts[:20]}")
    if baseline is not None:
        check.multiset(f"{tag}: out rows vs uninterrupted run", Counter(out.rows),
                       baseline["out"], "chaos", "uninterrupted")

    if summary is None:
        check.fail(f"{tag}: no summary line on stderr")
    else:
        want = exp.summary
        for k in ("input_records", "malformed_records", "late_records"):
            check.equal(f"{tag}: summary {k}", summary.get(k), want[k])
        # One 10-second tumbling window per record: late rows (record-window pairs) = late records.
        check.equal(f"{tag}: summary late_rows", summary.get("late_rows"), want["late_records"])
        if mode == "append":
            check.equal(f"{tag}: summary output_rows", summary.get("output_rows"),
                        want["output_rows"])

    if "dead" in content:
        dead = content["dead"]
        offsets, wrong_text = Counter(), []
        for r in dead.rows:
            d = row_dict(r)
            offsets[d.get("offset")] += 1
            want_text = exp.malformed.get(d.get("offset"))
            if want_text is not None and d.get("record") != want_text:
                wrong_text.append(r)
        want_offsets = Counter(exp.malformed.keys())
        if offsets != want_offsets:
            check.multiset(f"{tag}: dead-letter offsets (each malformed record once)",
                           Counter(str(o) for o in offsets.elements()),
                           Counter(str(o) for o in want_offsets.elements()))
        if wrong_text:
            check.fail(f"{tag}: dead-letter records differ from the input lines",
                       "\n".join(wrong_text[:3]))
        if baseline is not None:
            check.multiset(f"{tag}: dead-letter rows vs uninterrupted run", Counter(dead.rows),
                           baseline["dead"], "chaos", "uninterrupted")

    if "late" in content:
        late = content["late"]
        check.equal(f"{tag}: late-sink lines", len(late.rows), exp.summary["late_records"])
        keys = Counter((row_dict(r).get("offset"), row_dict(r).get("window_start"))
                       for r in late.rows)
        dup = [k for k, n in keys.items() if n > 1]
        if dup:
            check.fail(f"{tag}: late sink has {len(dup)} (offset, window) more than once",
                       f"e.g. {dup[0]}")
        if baseline is not None:
            check.multiset(f"{tag}: late-sink rows vs uninterrupted run", Counter(late.rows),
                           baseline["late"], "chaos", "uninterrupted")


# ---------------------------------------------------------------------------------------------
# Running and killing

class Attempt:
    def __init__(self, rc, stderr, elapsed):
        self.rc, self.stderr, self.elapsed = rc, stderr, elapsed

    @property
    def killed(self):
        return self.rc == -signal.SIGKILL


def kill_delay(rng, lo, hi):
    """When to kill an attempt: seconds after its start, or ("commit", k, jitter): `jitter` s
    after the (k+1)-th epoch it commits (the moment between the checkpoint's commit and the
    sinks making the epoch's rows visible); None: let it finish. One kill in six lands in the
    first `lo` seconds (while a restart restores the checkpoint and repairs the sinks), one in
    four right after a commit, the others anywhere in the run."""
    r = rng.random()
    if r < 1 / 6:
        return rng.uniform(0.0, lo)
    if r < 1 / 6 + 1 / 4:
        return ("commit", rng.randrange(0, 3), rng.choice([0.0, 0.0, 0.0005, 0.001, 0.003]))
    return rng.uniform(lo, hi)


def attempt(cmd, logdir, n, delay=None, ckpt=None):
    """Starts cmd; kills it with SIGKILL at `delay` (see kill_delay) if it is still running."""
    err_path = os.path.join(logdir, f"attempt{n:03d}.stderr")
    hung = False
    with open(err_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        if isinstance(delay, tuple):
            _, k, jitter = delay
            first = newest_epoch(ckpt)
            first = -1 if first is None else first
            while p.poll() is None:
                epoch = newest_epoch(ckpt)
                if epoch is not None and epoch > first + k:
                    if jitter:
                        time.sleep(jitter)
                    break
                if time.monotonic() - t0 > ATTEMPT_TIMEOUT_S:
                    hung = True
                    break
                time.sleep(0.0002)
            p.send_signal(signal.SIGKILL)  # a no-op when it has exited
            p.wait()
        else:
            try:
                p.wait(timeout=ATTEMPT_TIMEOUT_S if delay is None else delay)
            except subprocess.TimeoutExpired:
                hung = delay is None
                p.send_signal(signal.SIGKILL)  # if it exited meanwhile, its rc stays its own
                p.wait()
        elapsed = time.monotonic() - t0
    with open(err_path, encoding="utf-8", errors="replace") as f:
        return Attempt("timeout" if hung else p.returncode, f.read(), elapsed)


def count_epochs(lay):
    """Committed epoch files under DIR/epochs (temporary files left by a kill not counted)."""
    d = os.path.join(lay.ckpt, "epochs")
    return sum(1 for p in files_under(d)
               if not os.path.basename(p).startswith((".", "_")) and "tmp" not in p[len(d):])


class Runner:
    def __init__(self, args, check, rng, root):
        self.args, self.check, self.rng, self.root = args, check, rng, root
        self.total_kills = 0
        self.kills_after_commit = 0

    def repro(self, sc, cmd):
        print("    input:     " + shlex.join(gen_command(self.args.sluice, sc, sc["input"])))
        print("    command:   " + shlex.join(cmd))
        print("    re-run:    " + shlex.join([sys.executable, os.path.abspath(__file__),
                                              "--sluice", self.args.sluice,
                                              "--seed", str(self.args.seed), "--only", sc["name"]]))

    def run_uninterrupted(self, sc, lay):
        """One run of the scenario's command, never killed: (attempt, command)."""
        cmd = run_command(self.args.sluice, sc, lay, threads_for(sc, 0))
        os.makedirs(lay.root, exist_ok=True)
        return attempt(cmd, lay.root, 0), cmd

    def chaos_round(self, sc, exp, baseline, lay, lo, hi, tag):
        """Kills and restarts until a run exits 0 on its own.
        Returns (kills, the attempt that finished or None on a failure, its command, attempts)."""
        os.makedirs(lay.root, exist_ok=True)
        kills = 0
        n = 0
        last_epoch = None
        while True:
            cmd = run_command(self.args.sluice, sc, lay, threads_for(sc, n))
            if n >= MAX_ATTEMPTS_PER_ROUND:
                self.check.fail(f"{tag}: no end after {n} attempts ({kills} kills): the restarts "
                                "do not resume from the last committed epoch")
                return kills, None, cmd, n
            a = attempt(cmd, lay.root, n, kill_delay(self.rng, lo, hi), lay.ckpt)
            n += 1
            epoch = newest_epoch(lay.ckpt)
            if last_epoch is not None and (epoch is None or epoch < last_epoch):
                self.check.fail(f"{tag}: attempt {n}: the newest committed epoch went from "
                                f"{last_epoch} back to {epoch}")
                return kills, None, cmd, n
            last_epoch = epoch
            if a.killed:
                kills += 1
                self.total_kills += 1
                if epoch is not None:
                    self.kills_after_commit += 1
                before = len(self.check.failures)
                check_midrun(self.check, f"{tag} kill {kills}", sc, exp, baseline, lay)
                if len(self.check.failures) > before:
                    return kills, None, cmd, n
                continue
            if a.rc == 0:
                return kills, a, cmd, n
            what = "hung" if a.rc == "timeout" else f"exit {a.rc}"
            self.check.fail(f"{tag}: attempt {n} after {kills} kill(s) {what}", a.stderr[-2000:])
            return kills, None, cmd, n

    def scenario(self, sc, deadline, kill_target):
        """Runs one scenario; returns True when it passed."""
        before = len(self.check.failures)
        wd = os.path.join(self.root, sc["name"])
        os.makedirs(wd)
        sc["input"] = os.path.join(wd, "input.jsonl")
        p = subprocess.run(gen_command(self.args.sluice, sc, sc["input"]), capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            self.check.fail(f"{sc['name']}: gen exit {p.returncode}", p.stderr)
            return False
        exp = Expected(sc)
        print(f"  reference: {exp.summary['input_records']} records, "
              f"{exp.summary['malformed_records']} malformed, {exp.summary['late_records']} late, "
              f"{exp.summary['output_rows']} rows", flush=True)

        # One uninterrupted run: what the killed runs together must write, and how long a run is.
        lay = Layout(os.path.join(wd, "uninterrupted"), sc)
        a, cmd = self.run_uninterrupted(sc, lay)
        if a.rc != 0:
            self.check.fail(f"{sc['name']}: uninterrupted run exit {a.rc}", a.stderr[-2000:])
            self.repro(sc, cmd)
            return False
        baseline = snapshot(lay)
        verify_final(self.check, f"{sc['name']} uninterrupted", sc, exp, lay,
                     parse_summary(a.stderr))
        self.check_rerun(f"{sc['name']} uninterrupted", lay, cmd, baseline, parse_summary(a.stderr))
        if len(self.check.failures) > before:
            self.repro(sc, cmd)
            return False
        # Kill delays: uniform [lo, hi], hi at most 0.6 s and about the length of a whole run,
        # so that most kills land mid-run; both shrink when rounds end with too few kills.
        hi = min(0.6, max(0.08, 0.9 * a.elapsed))
        lo = min(0.05, hi / 3)
        print(f"  uninterrupted run {a.elapsed:.2f} s; kill delays uniform [{lo:.3f}, {hi:.3f}] s",
              flush=True)

        kills = rounds = attempts = 0
        while kills < kill_target or rounds == 0:
            if rounds > 0 and time.monotonic() > deadline:
                print(f"  time budget spent after {rounds} round(s)")
                break
            tag = f"{sc['name']} round {rounds}"
            lay = Layout(os.path.join(wd, f"round{rounds}"), sc)
            k, final, cmd, n = self.chaos_round(sc, exp, baseline, lay, lo, hi, tag)
            kills += k
            attempts += n
            rounds += 1
            if final is None:
                self.repro(sc, cmd)
                return False
            verify_final(self.check, tag, sc, exp, lay, parse_summary(final.stderr), baseline)
            self.check_rerun(tag, lay, cmd, snapshot(lay), parse_summary(final.stderr))
            if len(self.check.failures) > before:
                self.repro(sc, cmd)
                return False
            if k < 2:  # the run outlived few kills: kill earlier
                hi = max(0.02, hi * 0.7)
                lo = min(lo, hi / 3)
            if not self.args.keep:
                shutil.rmtree(lay.root)
        print(f"  {kills} kill(s) in {attempts} attempts over {rounds} round(s)", flush=True)
        return True

    def check_rerun(self, tag, lay, cmd, before_rows, summary):
        """The same command after the run finished: exit 0 at once, no new rows."""
        a = attempt(cmd, lay.root, 999)
        if a.rc != 0:
            self.check.fail(f"{tag}: re-run after the end: exit {a.rc}", a.stderr[-2000:])
            return
        after = snapshot(lay)
        for role in before_rows:
            if after[role] != before_rows[role]:
                self.check.multiset(f"{tag}: re-run after the end changed {role}", after[role],
                                    before_rows[role], "after re-run", "before re-run")
        s = parse_summary(a.stderr)
        if s is not None and summary is not None and s != summary:
            self.check.fail(f"{tag}: re-run after the end: summary differs",
                            f"re-run {s}\nfinished run {summary}")

    # -- negative checks ------------------------------------------------------------------

    def used_checkpoint(self, sc, name, min_epochs=2):
        """A fresh checkpoint dir a run of sc committed some epochs to before being killed."""
        lay = Layout(os.path.join(self.root, name), sc)
        os.makedirs(lay.root)
        cmd = run_command(self.args.sluice, sc, lay, threads_for(sc, 0))
        with open(os.path.join(lay.root, "used.stderr"), "wb") as err:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=err)
            t0 = time.monotonic()
            while p.poll() is None and time.monotonic() - t0 < ATTEMPT_TIMEOUT_S:
                if count_epochs(lay) >= min_epochs:
                    break
                time.sleep(0.005)
            p.send_signal(signal.SIGKILL)
            p.wait()
        return lay, cmd, p.returncode

    def expect_exit2(self, tag, cmd, cwd, want_words):
        a = attempt(cmd, cwd, 900)
        ok = True
        if a.rc != 2:
            self.check.fail(f"{tag}: exit {a.rc}, want 2", a.stderr[-2000:])
            ok = False
        elif not a.stderr.strip():
            self.check.fail(f"{tag}: exit 2 without a message on stderr")
            ok = False
        elif want_words and not any(w in a.stderr.lower() for w in want_words):
            self.check.fail(f"{tag}: message does not mention {' or '.join(want_words)}",
                            a.stderr[-2000:])
            ok = False
        if ok:
            print(f"  exit 2: {a.stderr.strip().splitlines()[-1][:160]}")
        return ok

    def negative_checks(self, sc, exp):
        """Each returns (name, passed)."""
        results = []

        # 1. A finished run whose newest epoch file is damaged: the restart refuses it.
        name = "corrupt-epoch-after-end"
        print(f"{name}:", flush=True)
        before = len(self.check.failures)
        lay = Layout(os.path.join(self.root, name), sc)
        os.makedirs(lay.root)
        cmd = run_command(self.args.sluice, sc, lay, 1)
        a = attempt(cmd, lay.root, 0)
        if a.rc != 0:
            self.check.fail(f"{name}: run exit {a.rc}", a.stderr[-2000:])
        else:
            victim = newest_file(os.path.join(lay.ckpt, "epochs"))
            if victim is None:
                self.check.fail(f"{name}: no file under {lay.ckpt}/epochs after a finished run")
            else:
                corrupt(victim)
                print(f"  corrupted {os.path.relpath(victim, lay.ckpt)}")
                self.expect_exit2(name, cmd, lay.root, ["checkpoint"])
        results.append(self.negative_done(name, before, sc, cmd))

        # 2. and 3. Killed mid-run, then the newest file under epochs/ or state/ damaged.
        for sub in ("epochs", "state"):
            name = f"corrupt-{sub}-mid-run"
            print(f"{name}:", flush=True)
            before = len(self.check.failures)
            lay, cmd, rc = self.used_checkpoint(sc, name)
            # The newest state file a committed epoch can name (a kill may leave a newer one
            # that no manifest points at yet).
            victim = newest_file(os.path.join(lay.ckpt, sub),
                                 newest_epoch(lay.ckpt) if sub == "state" else None)
            if victim is None:
                self.check.fail(f"{name}: no file under {lay.ckpt}/{sub} (run rc {rc})")
            else:
                corrupt(victim)
                print(f"  corrupted {os.path.relpath(victim, lay.ckpt)} (run rc {rc})")
                self.expect_exit2(name, cmd, lay.root, ["checkpoint"])
            results.append(self.negative_done(name, before, sc, cmd))

        # 4. Another query (5-second windows) on a used checkpoint: refused; the checkpoint and
        # the sinks stay as they were, and the right query then finishes it correctly.
        name = "different-query"
        print(f"{name}:", flush=True)
        before = len(self.check.failures)
        lay, cmd, rc = self.used_checkpoint(sc, name, min_epochs=1)
        rows_before = snapshot(lay)
        other = run_command(self.args.sluice, sc, lay, threads_for(sc, 0), sql=Q2_SQL_5S)
        if self.expect_exit2(name, other, lay.root, None):
            if snapshot(lay) != rows_before:
                print("  note: the refused query changed the sinks' contents")
                self.check.notes["a refused query changed the sinks' contents"] += 1
            a = attempt(cmd, lay.root, 1)
            if a.rc != 0:
                self.check.fail(f"{name}: the right query after the refusal: exit {a.rc}",
                                a.stderr[-2000:])
            else:
                verify_final(self.check, f"{name}: right query after the refusal", sc, exp, lay,
                             parse_summary(a.stderr))
        results.append(self.negative_done(name, before, sc, other))

        # 5. A second process on a checkpoint another one is running: refused (the lock), and
        # the first run finishes with the right output.
        name = "concurrent-run"
        print(f"{name}:", flush=True)
        before = len(self.check.failures)
        lay = Layout(os.path.join(self.root, name), sc)
        os.makedirs(lay.root)
        cmd = run_command(self.args.sluice, sc, lay, 1)
        with open(os.path.join(lay.root, "first.stderr"), "wb") as err:
            first = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=err)
            t0 = time.monotonic()
            while first.poll() is None and count_epochs(lay) < 1 and \
                    time.monotonic() - t0 < ATTEMPT_TIMEOUT_S:
                time.sleep(0.005)
            if first.poll() is not None:
                self.check.fail(f"{name}: the first run ended (rc {first.returncode}) before a "
                                "second one could be started")
            else:
                self.expect_exit2(name, cmd, lay.root, ["checkpoint", "lock", "running"])
            try:
                rc = first.wait(timeout=ATTEMPT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                first.send_signal(signal.SIGKILL)
                rc = first.wait()
        if rc != 0:
            with open(os.path.join(lay.root, "first.stderr"), errors="replace") as f:
                self.check.fail(f"{name}: the first run: exit {rc}", f.read()[-2000:])
        else:
            with open(os.path.join(lay.root, "first.stderr"), errors="replace") as f:
                verify_final(self.check, f"{name}: the first run", sc, exp, lay,
                             parse_summary(f.read()))
        results.append(self.negative_done(name, before, sc, cmd))
        return results

    def negative_done(self, name, before, sc, cmd):
        if len(self.check.failures) > before:
            self.repro(sc, cmd)
            return name, False
        return name, True


def main():
    ap = argparse.ArgumentParser(description="sluice run --checkpoint under kill -9")
    ap.add_argument("--sluice", required=True, help="path of the sluice binary")
    ap.add_argument("--kills", type=int, default=DEFAULT_KILLS,
                    help=f"kills that hit a live process, over all scenarios (default "
                         f"{DEFAULT_KILLS}; the test fails with fewer)")
    ap.add_argument("--seed", type=int, default=None, help="master seed (default: random)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only this scenario (repeatable); 'negative' for the negative checks")
    ap.add_argument("--time-budget", type=float, default=None,
                    help="seconds for the kill rounds (default: 60, or 2.5 s per kill above 24)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.sluice = os.path.abspath(args.sluice)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2**31)
    if args.time_budget is None:
        args.time_budget = max(60.0, 2.5 * args.kills)

    probe = subprocess.run([args.sluice, "run", "--help"], capture_output=True, text=True)
    if "--checkpoint" not in probe.stdout + probe.stderr:
        print(f"{args.sluice} run has no --checkpoint option")
        print("chaos: 0 passed, 1 failed")
        return 1

    scenarios = make_scenarios(args.seed)
    names = [s["name"] for s in scenarios] + ["negative"]
    for o in args.only:
        if o not in names:
            ap.error(f"--only {o}: one of {', '.join(names)}")
    chosen = [s for s in scenarios if not args.only or s["name"] in args.only]
    want_negative = not args.only or "negative" in args.only
    kill_target = math.ceil(args.kills / len(chosen)) if chosen else 0

    print(f"chaos test: seed {args.seed}, {args.kills} kills over {len(chosen)} scenario(s), "
          f"{TRIGGER} triggers of at most {MAX_RECORDS_PER_TRIGGER} records", flush=True)
    check = Checker()
    rng = random.Random(args.seed ^ 0x5EED)
    root = tempfile.mkdtemp(prefix="sluice-chaos-")
    runner = Runner(args, check, rng, root)
    t0 = time.monotonic()
    passed, failed = [], []
    for i, sc in enumerate(chosen):
        print(f"{sc['name']}: " + ", ".join(f"{k}={v}" for k, v in sc.items() if k != "name"),
              flush=True)
        deadline = t0 + args.time_budget * (i + 1) / len(chosen)
        (passed if runner.scenario(sc, deadline, kill_target) else failed).append(sc["name"])

    if want_negative:
        sc = dict(make_scenarios(args.seed)[0], name="negative", count=100_000, dead=None,
                  late=None, threads=1)
        wd = os.path.join(root, "negative-input")
        os.makedirs(wd)
        sc["input"] = os.path.join(wd, "input.jsonl")
        p = subprocess.run(gen_command(args.sluice, sc, sc["input"]), capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            check.fail(f"negative: gen exit {p.returncode}", p.stderr)
            failed.append("negative")
        else:
            for name, ok in runner.negative_checks(sc, Expected(sc)):
                (passed if ok else failed).append(name)

    elapsed = time.monotonic() - t0
    if chosen:
        print(f"{runner.total_kills} kill(s) hit a live process "
              f"({runner.kills_after_commit} after the first committed epoch)")
        need = args.kills if args.kills != DEFAULT_KILLS else MIN_DEFAULT_KILLS
        if runner.total_kills < need:
            check.fail(f"only {runner.total_kills} kill(s) hit a live process, want >= {need}",
                       "the runs finish too fast to be killed mid-way")
            failed.append("kill count")
    for note, n in sorted(check.notes.items()):
        print(f"note: {note}: {n} time(s)")
    if check.failures:
        print(f"FAILED: {len(check.failures)} mismatch(es) in {elapsed:.1f} s "
              f"(seed {args.seed}); work directory kept: {root}")
    else:
        print(f"chaos test passed in {elapsed:.1f} s (seed {args.seed})")
        if not args.keep:
            shutil.rmtree(root)
    if args.keep:
        print(f"work directory: {root}")
    print(f"chaos: {len(passed)} passed, {len(failed)} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
