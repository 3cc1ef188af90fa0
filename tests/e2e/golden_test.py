#!/usr/bin/env python3
"""Golden tests of whole runs of the binary: tests/golden/CASE/ holds input.jsonl, args (one
argument per line; the remaining lines after the flags form the query) and expected.txt, the
exact console output, checked by hand once. Each case runs with 1 and 2 threads.

Regenerate a case's expected.txt (then check it by hand!) with --update CASE."""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")


def case_args(case_dir):
    lines = open(os.path.join(case_dir, "args"), encoding="utf-8").read().splitlines()
    flags = []
    i = 0
    while i < len(lines) and lines[i].startswith("--"):
        flags.append(lines[i])
        if i + 1 < len(lines) and not lines[i + 1].startswith("--") and lines[i] != "--progress":
            flags.append(lines[i + 1])
            i += 1
        i += 1
    query = "\n".join(lines[i:])
    return flags, query


def run(sluice, case_dir, threads):
    flags, query = case_args(case_dir)
    cmd = [sluice, "run", "--source", "file:input.jsonl", "--threads", str(threads)] + flags + [query]
    p = subprocess.run(cmd, cwd=case_dir, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}: {p.stderr}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--update")
    a = ap.parse_args()
    a.sluice = os.path.abspath(a.sluice)
    cases = sorted(d for d in os.listdir(GOLDEN) if os.path.isdir(os.path.join(GOLDEN, d)))
    if a.update:
        out = run(a.sluice, os.path.join(GOLDEN, a.update), 1)
        open(os.path.join(GOLDEN, a.update, "expected.txt"), "w", encoding="utf-8").write(out)
        print(out)
        return 0
    failed = 0
    for c in cases:
        d = os.path.join(GOLDEN, c)
        want = open(os.path.join(d, "expected.txt"), encoding="utf-8").read()
        for threads in (1, 2):
            got = run(a.sluice, d, threads)
            if got != want:
                failed += 1
                print(f"FAIL {c} (threads={threads})\n--- expected\n{want}\n--- got\n{got}")
            else:
                print(f"ok   {c} (threads={threads})")
    print(f"{2 * len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
