#!/usr/bin/env python3
"""Differential test: `sluice run` against the brute-force reference (tests/reference).

For a fixed list of seeds and option mixes (jitter, late and malformed records, escapes, case
and Unicode mixes), generate an input with `sluice gen`, run the lab's Q1 (complete mode) and Q2
(append mode, sometimes update mode too) with --threads 1 and --threads 2, and compare the rows
(as multisets) and the malformed/late counts with the reference. A projection runs with 1, 2 and
3 threads on the handmade cases and a third of the generated ones: its rows (formatted by the worker threads) must be the reference's in input order,
and its output and dead-letter files byte-identical whatever the thread count. On a mismatch prints what
differs and how to reproduce it, keeps the work directory, and exits 1.

Usage: differential_test.py --sluice PATH [--cases N] [--max-count N] [--keep]
(--max-count caps the records per generated case: the sanitizer build runs small inputs.)
"""

import argparse
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import reference as ref  # noqa: E402
import reference_selftest as handmade  # noqa: E402

START = "2026-01-27T18:29:50Z"

Q1_SQL = """SELECT source_ip, count(*) AS match_count FROM logs
WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High'
GROUP BY source_ip ORDER BY match_count DESC"""

Q2_SQL = """SELECT window.start AS window_start, window.end AS window_end, user_id,
       count(*) AS crash_count
FROM logs
WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')
GROUP BY window(timestamp, '10 seconds'), user_id
HAVING count(*) > 2"""

Q2_KEY = ("window_start", "window_end", "user_id")
PROJECTION_SQL = ("SELECT user_id, content, status FROM logs "
                  "WHERE severity IN ('High', 'Critical')")


def make_cases(n, master_seed):
    """Hand-picked edge mixes first, then random ones; the same list on every run."""
    base = dict(count=30_000, rate=1000, users=100, ips=256, jitter_s=0, late_fraction=0.0,
                late_by_s=60, malformed=0.0, escape=0.5, case_mix=0.5, unicode=0.5,
                term_rate=0.2, watermark_s=30, update=False)
    cases = [
        dict(base, seed=1, name="clean"),
        dict(base, seed=2, name="everything", count=60_000, jitter_s=20, late_fraction=0.05,
             late_by_s=120, malformed=0.05, escape=0.9, case_mix=0.9, unicode=0.9,
             watermark_s=10, update=True),
        dict(base, seed=3, name="slow event time", rate=100, users=10, jitter_s=15,
             late_fraction=0.05, late_by_s=120, malformed=0.02),
        dict(base, seed=4, name="jitter beyond watermark", rate=2000, jitter_s=20,
             watermark_s=10, users=30, malformed=0.01, update=True),
    ]
    rng = random.Random(master_seed)
    while len(cases) < n:
        cases.append(dict(
            name=f"random {len(cases)}",
            seed=rng.randrange(1, 2**31),
            count=rng.randrange(20_000, 60_001),
            rate=rng.choice([200, 500, 1000, 2000, 5000]),
            users=rng.choice([10, 30, 100, 300, 1000]),
            ips=rng.choice([16, 256, 1000]),
            jitter_s=rng.randrange(0, 21),
            late_fraction=rng.choice([0.0, 0.005, 0.02, 0.05]),
            late_by_s=rng.randrange(40, 121),
            malformed=rng.choice([0.0, 0.01, 0.05]),
            escape=rng.choice([0.3, 0.6, 0.9]),
            case_mix=rng.choice([0.3, 0.7, 1.0]),
            unicode=rng.choice([0.3, 0.6, 0.9]),
            term_rate=rng.choice([0.1, 0.3]),
            watermark_s=rng.choice([10, 30]),
            update=rng.random() < 0.25,
        ))
    return cases[:n]


def gen_command(sluice, case, path):
    return [sluice, "gen", "--count", str(case["count"]), "--rate", str(case["rate"]),
            "--max-rate", "--start", START, "--seed", str(case["seed"]),
            "--users", str(case["users"]), "--ips", str(case["ips"]),
            "--jitter", f"{case['jitter_s']}s", "--late-fraction", str(case["late_fraction"]),
            "--late-by", f"{case['late_by_s']}s", "--malformed-fraction", str(case["malformed"]),
            "--escape-rate", str(case["escape"]), "--case-mix", str(case["case_mix"]),
            "--unicode-rate", str(case["unicode"]), "--term", "crash",
            "--term-rate", str(case["term_rate"]), "--to", "file:" + path]


def parse_summary(stderr):
    """key=value pairs of the last `summary ...` line of stderr, or None."""
    lines = [l for l in stderr.splitlines() if l.startswith("summary ")]
    if not lines:
        return None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", lines[-1])}


def canonical(pairs):
    """A row as JSON text with its keys in order, so 3 and 3.0 or a key order differ."""
    return json.dumps(pairs, ensure_ascii=False)


def read_rows(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line, object_pairs_hook=list))
    return rows


def count_lines(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


class Checker:
    def __init__(self):
        self.failures = []

    def fail(self, what, detail=""):
        self.failures.append(what)
        print(f"  MISMATCH {what}")
        if detail:
            print("    " + detail.replace("\n", "\n    "))

    def rows(self, what, got, want):
        g, w = Counter(map(canonical, got)), Counter(map(canonical, want))
        if g == w:
            return True
        only_g, only_w = g - w, w - g
        detail = [f"sluice rows: {sum(g.values())}, reference rows: {sum(w.values())}"]
        detail += [f"only in sluice:    {r}" for r in list(only_g.elements())[:10]]
        detail += [f"only in reference: {r}" for r in list(only_w.elements())[:10]]
        self.fail(what, "\n".join(detail))
        return False

    def equal(self, what, got, want):
        if got != want:
            self.fail(what, f"sluice {got}, reference {want}")


def run_query(args, check, case, workdir, inp, qname, sql, mode, threads, want_rows, want):
    tag = f"{qname}-{mode}-t{threads}"
    out, late, dead = (os.path.join(workdir, f"{tag}.{s}.jsonl") for s in ("out", "late", "dead"))
    cmd = [args.sluice, "run", "--source", "file:" + inp, "--sink", "jsonl:" + out,
           "--watermark", f"{case['watermark_s']}s", "--threads", str(threads),
           "--output-mode", mode, "--late-sink", "jsonl:" + late, "--dead-letter", "jsonl:" + dead,
           sql]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
    except subprocess.TimeoutExpired:
        check.fail(f"{tag}: timed out", " ".join(map(repr, cmd)))
        return
    before = len(check.failures)
    summary = parse_summary(p.stderr)
    if p.returncode != 0 or summary is None:
        check.fail(f"{tag}: exit {p.returncode}", p.stderr[-2000:])
        return
    got = read_rows(out)
    if mode == "update":  # rows are appended per trigger: the last one per key is the final
        final = {}
        for r in got:
            final[tuple(v for k, v in r if k in Q2_KEY)] = r
        got = list(final.values())
    want_pairs = [list(r.items()) for r in want_rows]
    check.rows(f"{tag}: rows", got, want_pairs)
    if qname == "q1":
        counts = [dict(r).get("match_count") for r in got]
        if counts != sorted(counts, reverse=True):
            check.fail(f"{tag}: ORDER BY match_count DESC", f"counts in file order: {counts[:20]}")
    for key in ("input_records", "malformed_records", "late_records"):
        check.equal(f"{tag}: {key}", summary.get(key), want[key])
    if mode == "append":
        check.equal(f"{tag}: output_rows", summary.get("output_rows"), want["output_rows"])
    # Every malformed record goes to the dead letter sink, every late one to the late sink.
    check.equal(f"{tag}: dead-letter lines", count_lines(dead), want["malformed_records"])
    check.equal(f"{tag}: late-sink lines", count_lines(late),
                summary.get("late_rows", summary.get("late_records")))
    if len(check.failures) > before:
        print("    reproduce: " + shlex.join(cmd))


def run_projection(args, check, workdir, inp):
    """The projection with 1, 2 and 3 threads: the reference's rows in order, the same bytes."""
    want_rows, want = ref.projection(ref.Parsed.from_file(inp))
    want_pairs = [list(r.items()) for r in want_rows]
    first = None
    for threads in (1, 2, 3):
        tag = f"projection-t{threads}"
        out, dead = (os.path.join(workdir, f"{tag}.{s}.jsonl") for s in ("out", "dead"))
        cmd = [args.sluice, "run", "--source", "file:" + inp, "--sink", "jsonl:" + out,
               "--threads", str(threads), "--dead-letter", "jsonl:" + dead, PROJECTION_SQL]
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
        summary = parse_summary(p.stderr)
        if p.returncode != 0 or summary is None:
            check.fail(f"{tag}: exit {p.returncode}", p.stderr[-2000:])
            return
        before = len(check.failures)
        got = read_rows(out)
        if got != want_pairs:
            check.rows(f"{tag}: rows", got, want_pairs)
            check.fail(f"{tag}: rows in input order")
        for key in ("input_records", "malformed_records", "output_rows"):
            check.equal(f"{tag}: {key}", summary.get(key), want[key])
        check.equal(f"{tag}: dead-letter lines", count_lines(dead), want["malformed_records"])
        files = tuple(open(f, "rb").read() if os.path.exists(f) else b"" for f in (out, dead))
        if first is None:
            first = files
        else:
            check.equal(f"{tag}: output file identical to 1 thread's", files[0] == first[0], True)
            check.equal(f"{tag}: dead letters identical to 1 thread's", files[1] == first[1], True)
        if len(check.failures) > before:
            print("    reproduce: " + shlex.join(cmd))


def compare(args, check, case, workdir, inp):
    """Runs the queries over `inp` with 1 and 2 threads and compares them with the reference."""
    parsed = ref.Parsed.from_file(inp)
    q1_rows, q1_want = ref.q1(parsed)
    q2_rows, q2_want = ref.q2(parsed, watermark_ms=case["watermark_s"] * 1000)
    print(f"  reference: {q1_want['input_records']} records, Q1 {len(q1_rows)} rows "
          f"({q1_want['malformed_records']} malformed), Q2 {len(q2_rows)} rows "
          f"({q2_want['malformed_records']} malformed, {q2_want['late_records']} late)")
    for threads in (1, 2):
        run_query(args, check, case, workdir, inp, "q2", Q2_SQL, "append", threads, q2_rows, q2_want)
        run_query(args, check, case, workdir, inp, "q1", Q1_SQL, "complete", threads, q1_rows, q1_want)
        if case.get("update"):
            run_query(args, check, case, workdir, inp, "q2", Q2_SQL, "update", threads, q2_rows, q2_want)
    if case.get("projection", True):
        run_projection(args, check, workdir, inp)


def run_case(args, check, case, workdir):
    inp = os.path.join(workdir, "input.jsonl")
    gcmd = gen_command(args.sluice, case, inp)
    p = subprocess.run(gcmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        check.fail(f"gen exit {p.returncode}", p.stderr)
        return
    before = len(check.failures)
    compare(args, check, case, workdir, inp)
    if len(check.failures) > before:
        print("    input: " + shlex.join(gcmd))


def handmade_cases():
    """The reference self-test's hand-checked inputs: parsing rules and lateness across batches."""
    return [
        (dict(name="handmade parsing rules", watermark_s=30, update=True), handmade.edge_file()),
        (dict(name="handmade lateness 30s", watermark_s=30, update=True), handmade.lateness_file()),
        (dict(name="handmade lateness 10s", watermark_s=10), handmade.lateness_file()),
    ]


def main():
    ap = argparse.ArgumentParser(description="sluice vs the reference on generated inputs")
    ap.add_argument("--sluice", required=True, help="path of the sluice binary")
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--master-seed", type=int, default=20260127)
    ap.add_argument("--max-count", type=int, default=0,
                    help="at most this many records per generated case (0: as listed)")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    args = ap.parse_args()

    check = Checker()
    root = tempfile.mkdtemp(prefix="sluice-diff-")
    t0 = time.monotonic()
    for i, (case, data) in enumerate(handmade_cases()):
        workdir = os.path.join(root, f"handmade{i}")
        os.makedirs(workdir)
        print(f"{case['name']}:", flush=True)
        inp = os.path.join(workdir, "input.jsonl")
        with open(inp, "wb") as f:
            f.write(data)
        compare(args, check, case, workdir, inp)
    for i, case in enumerate(make_cases(args.cases, args.master_seed)):
        if args.max_count:
            case["count"] = min(case["count"], args.max_count)
        case["projection"] = i % 3 == 0  # a third of the cases: it runs 3 more times each
        workdir = os.path.join(root, f"case{i}")
        os.makedirs(workdir)
        before = len(check.failures)
        print(f"case {i} ({case['name']}): " +
              ", ".join(f"{k}={v}" for k, v in case.items() if k != "name"), flush=True)
        run_case(args, check, case, workdir)
        if len(check.failures) == before and not args.keep:
            shutil.rmtree(workdir)
    elapsed = time.monotonic() - t0
    if check.failures:
        print(f"FAILED: {len(check.failures)} mismatch(es) in {elapsed:.1f} s; inputs kept in {root}")
        return 1
    if not args.keep:
        shutil.rmtree(root)
    print(f"differential test passed: {len(handmade_cases())} handmade and {args.cases} generated "
          f"cases in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
