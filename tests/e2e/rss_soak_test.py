#!/usr/bin/env python3
"""RSS soak: `sluice run` on the built-in generator at `--rate max` (as fast as the machine
goes), Q2 and Q1 one after the other, sampling the process's memory every second; fails when it
grows.

The rule, per query: samples of the first --warmup seconds (default 20 % of the run, at least
2 s) are left out, while buffers and state reach their working size. Of the samples after it,
the median RssAnon (heap and stacks: what a leak grows; VmRSS also counts the binary's pages) of
the last third must not exceed the median of the first third by more than --max-growth-mib
(default 16 MiB) plus --max-growth-pct (default 10 %) of that first median. Medians of thirds
rather than the first and last sample, so a trigger's transient allocations do not decide.
Every sample goes to WORKDIR/rss-soak-QUERY.csv. Then the run is stopped with SIGINT and must exit 0, with a summary that read records. A
least-squares slope (MiB per minute) is printed beside the figures, for the report; it does not
decide.

Usage: rss_soak_test.py --sluice PATH [--seconds 600] [--query q1|q2|both] [--threads N]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

Q1 = ("SELECT source_ip, count(*) AS match_count FROM logs WHERE lower(content) LIKE "
      "'%vulnerability%' AND severity = 'High' GROUP BY source_ip ORDER BY match_count DESC")
Q2 = ("SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS "
      "crash_count FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', "
      "'Critical') GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2")
QUERIES = {"q2": Q2, "q1": Q1}


def status_kib(pid):
    """VmRSS and RssAnon of a process in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    fields = dict(re.findall(r"^(VmRSS|RssAnon):\s+(\d+) kB", text, re.M))
    if "VmRSS" not in fields or "RssAnon" not in fields:
        return None
    return int(fields["VmRSS"]), int(fields["RssAnon"])


def slope_mib_per_min(ts, kib):
    n = len(ts)
    if n < 2:
        return 0.0
    mt, mk = sum(ts) / n, sum(kib) / n
    var = sum((t - mt) ** 2 for t in ts)
    if var == 0:
        return 0.0
    return sum((t - mt) * (k - mk) for t, k in zip(ts, kib)) / var * 60 / 1024


def soak(args, name):
    cmd = [args.sluice, "run", "--source", "generator", "--rate", "max", "--sink", "jsonl:/dev/null",
           "--threads", str(args.threads), "--progress", QUERIES[name]]
    print(f"{name}: {' '.join(cmd[:-1])} '{QUERIES[name]}' for {args.seconds} s", flush=True)
    err_path = os.path.join(args.workdir, f"rss-soak-{name}.err")
    with open(err_path, "w") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        t0 = time.monotonic()
        samples = []  # (seconds since start, VmRSS KiB, RssAnon KiB)
        next_t = t0 + 1
        while time.monotonic() - t0 < args.seconds and p.poll() is None:
            time.sleep(max(0.0, next_t - time.monotonic()))
            next_t += 1
            s = status_kib(p.pid)
            if s is not None:
                samples.append((time.monotonic() - t0, s[0], s[1]))
        alive = p.poll() is None
        if alive:
            p.send_signal(signal.SIGINT)
        try:
            code = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            code = p.wait()
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    csv_path = os.path.join(args.workdir, f"rss-soak-{name}.csv")
    with open(csv_path, "w") as f:
        f.write("seconds,vmrss_kib,rssanon_kib\n")
        f.writelines(f"{t:.1f},{rss},{anon}\n" for t, rss, anon in samples)
    failures = []
    if not alive:
        failures.append(f"the run ended by itself before {args.seconds} s (exit {code})")
    if code != 0:
        failures.append(f"exit code {code} after SIGINT")
    found = re.findall(r"summary input_records=(\d+)", stderr)
    records = int(found[-1]) if found else 0
    if records <= 0:
        failures.append("no summary with input records")
    warmup = args.warmup if args.warmup is not None else max(2.0, 0.2 * args.seconds)
    kept = [s for s in samples if s[0] >= warmup]
    if len(kept) < 6:
        failures.append(f"only {len(kept)} samples after the {warmup:.0f} s warm-up")
        first = last = kept
    else:
        third = len(kept) // 3
        first, last = kept[:third], kept[-third:]
    mib = lambda kib: kib / 1024  # noqa: E731
    if first and last:
        anon_first = statistics.median(s[2] for s in first)
        anon_last = statistics.median(s[2] for s in last)
        rss_first = statistics.median(s[1] for s in first)
        rss_last = statistics.median(s[1] for s in last)
        limit = anon_first + args.max_growth_mib * 1024 + anon_first * args.max_growth_pct / 100
        slope = slope_mib_per_min([s[0] for s in kept], [s[2] for s in kept])
        elapsed = samples[-1][0] if samples else 0
        print(f"  {len(samples)} samples over {elapsed:.0f} s, {len(kept)} after the "
              f"{warmup:.0f} s warm-up; {records:,} records ({records / max(elapsed, 1e-9) / 1e6:.2f} M/s)")
        print(f"  RssAnon MiB: min {mib(min(s[2] for s in kept)):.1f}, max "
              f"{mib(max(s[2] for s in kept)):.1f}, median of first third {mib(anon_first):.1f}, "
              f"of last third {mib(anon_last):.1f} (limit {mib(limit):.1f}); slope "
              f"{slope:+.3f} MiB/min")
        print(f"  VmRSS MiB:   median of first third {mib(rss_first):.1f}, of last third "
              f"{mib(rss_last):.1f}, max {mib(max(s[1] for s in kept)):.1f}; samples in {csv_path}")
        if anon_last > limit:
            failures.append(f"RssAnon grew from {mib(anon_first):.1f} to {mib(anon_last):.1f} MiB "
                            f"(more than {args.max_growth_mib} MiB + {args.max_growth_pct} %)")
    for f in failures:
        print(f"  FAIL {name}: {f}")
    if failures:
        print("  stderr tail:\n    " + "\n    ".join(stderr.strip().splitlines()[-8:]))
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--seconds", type=float, default=600, help="per query (default 600)")
    ap.add_argument("--query", choices=("q1", "q2", "both"), default="both")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds of samples left out (default 20 %% of --seconds, at least 2)")
    ap.add_argument("--max-growth-mib", type=float, default=16)
    ap.add_argument("--max-growth-pct", type=float, default=10)
    ap.add_argument("--workdir", default=None,
                    help="where the runs' stderr and samples go, kept (default: a new temporary "
                         "folder, removed when the soak passes)")
    args = ap.parse_args()
    own_workdir = args.workdir is None
    if own_workdir:
        args.workdir = tempfile.mkdtemp(prefix="sluice-rss-soak-")
    os.makedirs(args.workdir, exist_ok=True)
    names = ["q2", "q1"] if args.query == "both" else [args.query]
    failures = []
    for name in names:
        failures += soak(args, name)
    if failures:
        print(f"rss soak FAILED: {len(failures)} problem(s)")
        return 1
    print("rss soak passed: RssAnon flat for " + " and ".join(names))
    if own_workdir:
        shutil.rmtree(args.workdir)  # a failure keeps its samples and stderr
    return 0


if __name__ == "__main__":
    sys.exit(main())
