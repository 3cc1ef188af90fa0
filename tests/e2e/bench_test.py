#!/usr/bin/env python3
"""`sluice bench --quick`: the report is written, has every section, and its figures are
consistent with what the runs must do (every record read, the same rows whatever the thread
or process count). No timing is ever asserted: only that times are positive numbers.

  bench_test.py --sluice build/sluice --out build/bench-quick
"""
import argparse
import os
import re
import subprocess
import sys

SECTIONS = [
    "Machine and versions",
    "Throughput on a file: Q1, Q2 and a projection, threads, wc -l, DuckDB",
    "Time and memory against input size (Q2)",
    "Memory against state size",
    "Checkpoint cost and restore time",
    "Kafka: sluice against raw librdkafka consumption",
    "Scale-out: processes in one consumer group",
    "Latency: window due to row at the sink",
    "Skipped",
]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def sections(md):
    """{title: [table, ...]}, a table as a list of {header: cell} rows; and {title: text}."""
    out, text = {}, {}
    for part in re.split(r"^## ", md, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        text[title] = body
        tables, current = [], None
        for line in body.splitlines():
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if current is None:
                    current = {"header": cells, "rows": []}
                elif not all(set(c) <= {"-"} for c in cells):
                    current["rows"].append(dict(zip(current["header"], cells)))
            elif current is not None:
                tables.append(current["rows"])
                current = None
        if current is not None:
            tables.append(current["rows"])
        out[title] = tables
    return out, text


def num(cell):
    """'1.23 M' -> 1230000, '456 k' -> 456000, '0.123' -> 0.123; None if not a number."""
    m = re.fullmatch(r"(-?[\d.]+)\s*([kM]?)", cell or "")
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6}[m.group(2)]


def positive(cell):
    v = num(cell)
    return v is not None and v > 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    r = subprocess.run([a.sluice, "bench", "--out", a.out, "--quick"], capture_output=True, text=True)
    sys.stderr.write(r.stderr[-3000:])
    check(r.returncode == 0, f"sluice bench --quick exits 0 (got {r.returncode})")
    md_path, html_path = os.path.join(a.out, "report.md"), os.path.join(a.out, "report.html")
    check(os.path.abspath(md_path) in r.stdout and os.path.abspath(html_path) in r.stdout,
          "prints where the report is")
    check(not os.path.exists(os.path.join(a.out, "work")), "the work directory is removed")
    md = open(md_path).read()
    tables, text = sections(md)
    for s in SECTIONS:
        check(s in tables, f"section '{s}'")
    for s in SECTIONS[1:-1]:
        check("```sh\nsluice " in text.get(s, "") or "```sh\nwc " in text.get(s, ""),
              f"'{s}' shows its command lines")
    machine = {row["what"]: row["value"] for row in tables[SECTIONS[0]][0]}
    for k in ("CPU", "cores (hardware threads)", "sluice", "librdkafka", "bench duration"):
        check(bool(machine.get(k)), f"machine table: {k} = {machine.get(k)}")

    thr = tables[SECTIONS[1]][0]
    n = 1000000
    sluice_rows = [row for row in thr if row["run"].startswith("sluice")]
    check(len(sluice_rows) >= 4, f"throughput: Q1 and Q2 at 1 and N threads ({len(sluice_rows)} rows)")
    for row in sluice_rows:
        what = f"throughput {row['run']} {row['threads']} threads"
        check(num(row["input records"]) == n, f"{what}: input records = {n} ({row['input records']})")
        check(positive(row["seconds"]) and positive(row["records/s"]) and positive(row["vs wc -l"]),
              f"{what}: seconds, records/s and ratio to wc -l are positive")
        check(positive(row["output rows (Q1: per trigger)"]), f"{what}: output rows > 0")
        check(positive(row["peak RSS MiB"]) and positive(row["peak anon MiB"]), f"{what}: RSS sampled")
    # Q2 only: Q1 (complete mode) writes its whole table per trigger, so its rows count triggers.
    for run in ("sluice Q2", "sluice projection"):
        outs = {row["output rows (Q1: per trigger)"] for row in sluice_rows if row["run"] == run}
        check(len(outs) == 1, f"{run}: the same output rows for every thread count ({outs})")
    duck = [row for row in thr if row["run"] == "DuckDB Q2"]
    if duck:
        col = "output rows (Q1: per trigger)"
        ours = next(row[col] for row in sluice_rows if row["run"] == "sluice Q2")
        check(all(row[col] == ours for row in duck), "DuckDB Q2 rows = sluice Q2 rows")
    check(any(row["run"] == "`wc -l`" for row in thr), "throughput: wc -l row")

    sizes = tables[SECTIONS[2]][0]
    check(len(sizes) == 3, "input size: three sizes")
    for row in sizes:
        check(row["records"] == row["input records"] and positive(row["seconds"]) and
              positive(row["peak RSS MiB"]), f"input size {row['records']}: all read, time and RSS > 0")

    state = tables[SECTIONS[3]][0]
    rows = [num(row["state rows (groups)"]) for row in state]
    check(len(rows) == 3 and all(rows) and rows == sorted(rows), f"state rows grow with users: {rows}")

    ck, restore = tables[SECTIONS[4]][:2]
    check(len(ck) >= 2 and all(positive(row["seconds (median of 3)"]) for row in ck), "checkpoint runs timed")
    check(all(positive(row["epochs committed"]) for row in ck if "--checkpoint" in row["run"]), "epochs committed > 0")
    check(len(restore) == 3 and all(num(row["state rows restored"]) == rows[-1] for row in restore),
          f"each restart restores the state rows ({[row['state rows restored'] for row in restore]})")

    kafka = tables[SECTIONS[5]][0]
    kn = 200000
    for row in kafka:
        check(num(row["records read"]) == kn, f"kafka {row['run']}: read {kn} ({row['records read']})")
    check(sum(row["run"].startswith("sluice") for row in kafka) == 6,
          "kafka: count, Q1 and Q2 rows for 4 and 16 partitions")
    check({row["partitions"] for row in kafka} == {"4", "16"}, "kafka: topics of 4 and 16 partitions")
    have_raw = any(row["run"].startswith("raw") for row in kafka)
    for row in kafka:
        if row["run"].startswith("sluice") and (have_raw or row["vs raw (median)"] != "n/a"):
            # Measured beside the raw consumer, every sluice row has its ratio to it.
            check(positive(row["vs raw (median)"]), f"kafka {row['partitions']} {row['run']}: ratio > 0")

    so = tables[SECTIONS[6]][0]
    check(len(so) >= 2, "scale-out: 1 and 2 processes")
    for row in so:
        check(num(row["input records"]) == kn, f"scale-out {row['processes']} procs: read {kn} once")
    check(len({row["output rows"] for row in so}) == 1, "scale-out: the same output rows for every count")

    lat = tables[SECTIONS[7]][0]
    check(len(lat) == 3, "latency: two rates of the generator, one from dev-kafka")
    check(sum(row["source"].startswith("dev-kafka") for row in lat) == 1, "latency: a dev-kafka row")
    for row in lat:
        check(positive(row["windows"]) and num(row["p50 ms"]) is not None and num(row["p99 ms"]) is not None,
              f"latency at {row['target records/s']}: windows and percentiles ({row['windows']}, "
              f"{row['p50 ms']}, {row['p99 ms']})")
    html = open(html_path).read()
    check("var PLOTS = [" in html and html.count("class=plot") >= 6, "report.html holds the plots")
    check("http://" not in html.split("var PLOTS")[1] and "<script src" not in html, "report.html loads nothing")
    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
