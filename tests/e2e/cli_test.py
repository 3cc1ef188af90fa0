#!/usr/bin/env python3
"""Tests of the sluice command line: exit codes, messages, help, and `sluice gen` behaviour that
only the real binary shows (determinism of the bytes, pipes, signals, the lab's environment).

Usage: cli_test.py --sluice PATH
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import reference as ref  # noqa: E402

Q2_SQL = """SELECT window.start AS window_start, window.end AS window_end, user_id,
       count(*) AS crash_count
FROM logs
WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')
GROUP BY window(timestamp, '10 seconds'), user_id
HAVING count(*) > 2"""

SLUICE = None
TMP = None
FAILURES = []
GEN_FIXED = ["--max-rate", "--start", "2026-01-27T18:29:50Z"]
# The lab's variables change sluice gen's defaults (KAFKA_BROKER even its destination).
LAB_VARIABLES = ("KAFKA_BROKER", "KAFKA_TOPIC", "TARGET_RPS", "ADDITIONAL_TERM", "ADDITIONAL_TERM_RATE")
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in LAB_VARIABLES}


def sluice(*argv, env=None, timeout=60, stdin=None):
    full_env = dict(CLEAN_ENV, **(env or {}))
    return subprocess.run([SLUICE, *argv], capture_output=True, timeout=timeout, env=full_env,
                          stdin=stdin if stdin is not None else subprocess.DEVNULL)


def expect(cond, what, detail=""):
    if not cond:
        FAILURES.append(what)
        print(f"  FAIL {what}" + (f"\n    {detail}" if detail else ""))
    return cond


def text(b):
    return b.decode("utf-8", errors="replace")


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def summary_of(stderr):
    lines = [l for l in text(stderr).splitlines() if l.startswith("summary ")]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", lines[-1])} if lines else None


def test_help_on_every_subcommand():
    p = sluice("--help")
    expect(p.returncode == 0, "sluice --help exits 0", text(p.stderr))
    out = text(p.stdout)
    subs, in_section = [], False
    for line in out.splitlines():
        if re.match(r"^\s*subcommands\s*:", line, re.I):
            in_section = True
        elif in_section and re.match(r"^\s+\S", line):
            subs.append(line.split()[0])
        elif in_section and line.strip() and not line.startswith(" "):
            in_section = False
    expect({"run", "explain", "gen"} <= set(subs), "help lists run, explain and gen", out)
    for sub in subs:
        p = sluice(sub, "--help")
        expect(p.returncode == 0 and p.stdout.strip(), f"sluice {sub} --help exits 0 with text",
               f"exit {p.returncode}: {text(p.stderr)[-500:]}")


def test_unknown_flag_exits_2():
    for argv in (["--no-such-flag"], ["run", "--no-such-flag", "SELECT 1"], ["gen", "--no-such-flag"]):
        p = sluice(*argv)
        expect(p.returncode == 2, f"{' '.join(argv)} exits 2", f"exit {p.returncode}")


def test_mistyped_words_get_a_did_you_mean():
    for argv, hint in ((["run", "--trigerr", "5s", "SELECT 1"], "did you mean --trigger?"),
                       (["gen", "--coutn", "5"], "did you mean --count?"),
                       (["rnu"], "did you mean run?")):
        p = sluice(*argv)
        expect(p.returncode == 2 and hint in text(p.stderr), f"{' '.join(argv)}: exit 2 and '{hint}'",
               f"exit {p.returncode}: {text(p.stderr)[-400:]}")
    p = sluice("run", "--zzzzzz", "SELECT 1")
    expect("see sluice run --help" in text(p.stderr), "a word like no option points to the help", text(p.stderr))


def test_gen_help_has_no_consumer_options():
    out = text(sluice("gen", "--help").stdout)
    expect("--group-id" not in out and "--starting-offsets" not in out and "-X" in out,
           "sluice gen --help: producer options only", out[-600:])
    run_help = text(sluice("run", "--help").stdout)
    expect("no group is joined" in run_help and "a new group" not in run_help,
           "sluice run --help says what docs/kafka.md says about running without --group-id")


def test_bad_sql_names_line_and_column():
    empty = write("empty.jsonl", b"")
    out = os.path.join(TMP, "bad-sql.out.jsonl")
    sql = "SELECT user_id,\n       count(* AS n\nFROM logs GROUP BY user_id"
    p = sluice("run", "--source", "file:" + empty, "--sink", "jsonl:" + out, sql)
    err = text(p.stderr)
    expect(p.returncode == 2, "bad SQL exits 2", f"exit {p.returncode}: {err}")
    named = (re.search(r"line\s*:?\s*2\b", err, re.I) and re.search(r"col(umn)?\s*:?\s*\d+", err, re.I)) \
        or re.search(r"\b2:\d+\b", err)
    expect(bool(named), "bad SQL error names line 2 and a column", err)


def test_malformed_only_input_does_not_crash():
    path = os.path.join(TMP, "malformed.jsonl")
    p = sluice("gen", "--count", "3000", "--malformed-fraction", "1", "--seed", "9", *GEN_FIXED,
               "--to", path)
    if not expect(p.returncode == 0, "gen of malformed lines", text(p.stderr)):
        return
    _, want = ref.q2(ref.Parsed.from_file(path))
    out = os.path.join(TMP, "malformed.out.jsonl")
    p = sluice("run", "--source", "file:" + path, "--sink", "jsonl:" + out, "--watermark", "30s",
               "--threads", "2", "--output-mode", "append", Q2_SQL)
    s = summary_of(p.stderr)
    expect(p.returncode == 0, "malformed-only input exits 0", text(p.stderr)[-1000:])
    expect(s is not None and s.get("malformed_records") == want["malformed_records"]
           and s.get("input_records") == want["input_records"],
           "malformed-only input: counts match the reference", f"sluice {s}, reference {want}")


def test_empty_input():
    empty = write("empty2.jsonl", b"")
    out = os.path.join(TMP, "empty.out.jsonl")
    p = sluice("run", "--source", "file:" + empty, "--sink", "jsonl:" + out, "--output-mode",
               "append", Q2_SQL)
    s = summary_of(p.stderr)
    expect(p.returncode == 0 and s is not None and s.get("input_records") == 0,
           "empty input exits 0 with input_records=0", text(p.stderr)[-500:])


def test_gen_is_deterministic():
    argv = ["gen", "--count", "20000", "--seed", "5", "--malformed-fraction", "0.05",
            "--escape-rate", "0.5", "--unicode-rate", "0.5", "--jitter", "5s", *GEN_FIXED]
    a, b = sluice(*argv), sluice(*argv)
    c = sluice(*argv[:4], "6", *argv[5:])
    expect(a.returncode == 0 and a.stdout.count(b"\n") == 20000, "gen writes --count lines",
           text(a.stderr))
    expect(a.stdout == b.stdout, "gen: same seed, same bytes")
    expect(a.stdout != c.stdout, "gen: another seed, other bytes")
    path = os.path.join(TMP, "gen-file.jsonl")
    p = sluice(*argv, "--to", "file:" + path)
    with open(path, "rb") as f:
        expect(p.returncode == 0 and f.read() == a.stdout, "gen --to file: same bytes as stdout")
    expect(re.search(r"20000 records", text(p.stderr)) is not None, "gen reports records written",
           text(p.stderr))


def test_gen_validates_options():
    for argv in (["--late-fraction", "2"], ["--rate", "0"], ["--jitter", "5 parsecs"],
                 ["--severity-mix", "Low:1,Urgent:2"], ["--term-rate", "0.8", "--vulnerability-rate", "0.5"],
                 ["--start", "yesterday"]):
        p = sluice("gen", "--count", "1", *argv)
        expect(p.returncode == 2 and p.stderr.strip(), f"gen {' '.join(argv)} exits 2 with a message",
               f"exit {p.returncode}: {text(p.stderr)}")


def test_gen_key_is_ignored_for_stdout_and_files_and_unknown_to_run():
    argv = ["gen", "--count", "2000", "--seed", "5", *GEN_FIXED]
    plain = sluice(*argv)
    for key in ("user_id", "none", "source_ip"):
        p = sluice(*argv, "--key", key)
        expect(p.returncode == 0 and p.stdout == plain.stdout,
               f"gen --key {key} to stdout: the same bytes as without", text(p.stderr))
    p = sluice(*argv, "--key", "ip")
    expect(p.returncode == 2 and all(c in text(p.stderr) for c in ("user_id", "none", "source_ip")),
           "gen --key ip exits 2 and lists the choices", f"exit {p.returncode}: {text(p.stderr)}")
    p = sluice("run", "--key", "none", "--trigger", "available-now", "SELECT user_id FROM logs")
    expect(p.returncode == 2 and "--key" in text(p.stderr), "run has no --key (exit 2)",
           f"exit {p.returncode}: {text(p.stderr)[-500:]}")


def test_gen_into_closed_pipe_is_quiet():
    p = subprocess.Popen([SLUICE, "gen", "--rate", "max"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=CLEAN_ENV)
    p.stdout.read(1 << 16)
    p.stdout.close()  # like `sluice gen | head`
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    err = text(p.stderr.read())
    expect(rc == 0 and "error" not in err.lower(), "gen | head exits 0 quietly", f"exit {rc}: {err}")


def test_gen_sigint_flushes_and_reports():
    path = os.path.join(TMP, "sigint.jsonl")
    p = subprocess.Popen([SLUICE, "gen", "--rate", "2000", "--to", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=CLEAN_ENV)
    time.sleep(0.7)
    p.send_signal(signal.SIGINT)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    err = text(p.stderr.read())
    with open(path, "rb") as f:
        data = f.read()
    lines = data.count(b"\n")
    expect(rc == 0 and data.endswith(b"\n") and 200 <= lines <= 4000,
           "gen stops on SIGINT with whole lines, paced near --rate", f"exit {rc}, {lines} lines: {err}")
    expect(re.search(rf"\b{lines} records", err) is not None, "gen reports on SIGINT", err)


def test_gen_reads_lab_environment():
    p = sluice("gen", "--count", "4000", "--seed", "3", "--escape-rate", "0", "--start", "0",
               "--max-rate", env={"TARGET_RPS": "2000", "ADDITIONAL_TERM": "panic",
                                  "ADDITIONAL_TERM_RATE": "0.5"})
    if not expect(p.returncode == 0, "gen with the lab's environment", text(p.stderr)):
        return
    records = [json.loads(l) for l in p.stdout.splitlines()]
    expect(max(r["timestamp"] for r in records) == 1999, "TARGET_RPS=2000: 4000 records span 2 s")
    share = sum("panic" in ref.ascii_lower(r["content"]) for r in records) / len(records)
    expect(0.4 < share < 0.6, "ADDITIONAL_TERM=panic at ADDITIONAL_TERM_RATE=0.5", f"share {share}")
    p = sluice("gen", "--count", "10", "--term", "boom", *GEN_FIXED, env={"ADDITIONAL_TERM": "panic"})
    expect(b"panic" not in p.stdout.lower(), "flags override the environment")


def test_run_sigint_commits_and_a_restart_continues():
    src = os.path.join(TMP, "ckpt-in.jsonl")
    p = sluice("gen", "--count", "200000", "--jitter", "3s", "--late-fraction", "0.01",
               "--malformed-fraction", "0.01", "--seed", "9", *GEN_FIXED)
    with open(src, "wb") as f:
        f.write(p.stdout)
    whole = os.path.join(TMP, "ckpt-whole.jsonl")
    p = sluice("run", "--source", f"file:{src}", "--sink", f"jsonl:{whole}", Q2_SQL)
    want = summary_of(p.stderr)
    out, ckpt = os.path.join(TMP, "ckpt-out.jsonl"), os.path.join(TMP, "ckpt")
    args = [SLUICE, "run", "--source", f"file:{src}", "--sink", f"jsonl:{out}", "--checkpoint", ckpt,
            "--max-records-per-trigger", "10000", "--trigger", "100ms", Q2_SQL]
    run = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CLEAN_ENV)
    time.sleep(0.6)
    run.send_signal(signal.SIGINT)
    rc = run.wait(timeout=20)
    first = summary_of(run.stderr.read())
    expect(rc == 0 and first is not None and 0 < first["input_records"] < want["input_records"],
           "SIGINT stops a checkpointed run mid-way with exit 0 and a summary", f"exit {rc}, {first}")
    p = sluice("run", *args[2:])
    second = summary_of(p.stderr)
    expect(p.returncode == 0 and b"resuming from checkpoint" in p.stderr,
           "the same command resumes from the checkpoint", text(p.stderr))
    expect(second == want, "counts over both runs equal one uninterrupted run", f"{second} vs {want}")
    with open(out) as a, open(whole) as b:
        expect(sorted(a) == sorted(b), "the output of both runs is the uninterrupted output, once")
    p = sluice("run", *args[2:])
    expect(p.returncode == 0 and b"nothing left to do" in p.stderr, "a finished query stays finished",
           text(p.stderr))
    p = sluice("run", *args[2:-1], Q2_SQL.replace("10 seconds", "5 seconds"))
    expect(p.returncode == 2 and b"window" in p.stderr, "another query on the checkpoint exits 2",
           text(p.stderr))
    p = sluice("run", "--source", "file:-", "--checkpoint", os.path.join(TMP, "stdin-ckpt"), Q2_SQL)
    expect(p.returncode == 2 and b"standard input" in p.stderr, "stdin with --checkpoint exits 2",
           text(p.stderr))


# ---- Bad input and hostile environments (docs/semantics.md, "Bad input") ----

COUNT_SQL = "SELECT user_id, count(*) AS c FROM logs GROUP BY user_id"


def gen_file(name, count, *extra):
    path = os.path.join(TMP, name)
    r = sluice("gen", "--count", str(count), *GEN_FIXED, *extra, "--to", path)
    expect(r.returncode == 0, f"gen {name}", text(r.stderr))
    return path


def test_run_into_a_closed_pipe_ends_with_141_even_with_the_ui():
    # The UI's server ignores SIGPIPE: the console sink must see EPIPE and end the run.
    p = subprocess.Popen([SLUICE, "run", "--rate", "200000", "--trigger", "100ms", "--ui",
                          "127.0.0.1:0", "SELECT user_id, content FROM logs"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CLEAN_ENV)
    p.stdout.read(4096)
    p.stdout.close()  # like `sluice run ... | head -c 4096`
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    err = text(p.stderr.read())
    expect(rc == 141, "run into a closed pipe exits 141", f"exit {rc}: {err[-500:]}")
    expect("error" not in err.lower(), "a closed pipe is not reported as an error", err[-500:])


def test_run_output_on_a_full_disk_exits_1_with_a_message():
    src = gen_file("full-in.jsonl", 20_000)
    with open("/dev/full", "wb") as full:
        r = subprocess.run([SLUICE, "run", "--source", "file:" + src, COUNT_SQL], stdout=full,
                           stderr=subprocess.PIPE, timeout=60, env=CLEAN_ENV)
    expect(r.returncode == 1 and "No space left on device" in text(r.stderr),
           "console output to a full disk exits 1", f"exit {r.returncode}: {text(r.stderr)[-300:]}")
    r = sluice("run", "--source", "file:" + src, "--sink", "jsonl:/dev/full", COUNT_SQL)
    expect(r.returncode == 1 and "No space left on device" in text(r.stderr),
           "jsonl output to a full disk exits 1", f"exit {r.returncode}: {text(r.stderr)[-300:]}")
    s = summary_of(r.stderr)
    expect(s is not None and s["output_rows"] == 0, "rows not written are not counted", str(s))


def test_a_line_longer_than_8_mib_over_stdin_is_one_record():
    big = b'{"timestamp": 1000, "user_id": "a", "content": "' + b"x" * 8_388_669 + b'"}\n'
    data = big + b'{"timestamp": 1001, "user_id": "a"}\n' + big
    out = os.path.join(TMP, "long.jsonl")
    r = subprocess.run([SLUICE, "run", "--source", "file:-", "--sink", "jsonl:" + out, COUNT_SQL],
                       input=data, capture_output=True, timeout=120, env=CLEAN_ENV)
    s = summary_of(r.stderr)
    expect(r.returncode == 0 and s == dict(input_records=3, malformed_records=0, late_records=0,
                                           late_rows=0, output_rows=1),
           "a 8 MiB line over stdin is one record", f"exit {r.returncode}: {s} {text(r.stderr)[-300:]}")
    with open(out) as f:
        expect(json.loads(f.read()) == {"user_id": "a", "c": 3}, "its count is right")
    dead = os.path.join(TMP, "long-dead.jsonl")
    r = subprocess.run([SLUICE, "run", "--source", "file:-", "--max-record-bytes", "1000000",
                        "--dead-letter", "jsonl:" + dead, "--sink", "jsonl:" + out, COUNT_SQL],
                       input=data, capture_output=True, timeout=120, env=CLEAN_ENV)
    s = summary_of(r.stderr)
    expect(r.returncode == 0 and s and s["input_records"] == 3 and s["malformed_records"] == 2,
           "lines over --max-record-bytes are malformed, not split", f"{s} {text(r.stderr)[-300:]}")
    with open(dead) as f:
        reasons = [json.loads(l)["error"] for l in f]
    expect(reasons == ["record longer than --max-record-bytes"] * 2, "with the reason", str(reasons))


def test_a_file_truncated_while_read_exits_1_with_a_message():
    src = gen_file("shrinks.jsonl", 2_000_000)
    p = subprocess.Popen([SLUICE, "run", "--threads", "1", "--source", "file:" + src, "--sink",
                          "jsonl:" + os.path.join(TMP, "shrinks-out.jsonl"), COUNT_SQL],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CLEAN_ENV)
    time.sleep(0.2)
    os.truncate(src, 1_000_000)
    out, err = p.communicate(timeout=60)
    err = text(err)
    if p.returncode == 0:
        print("  (the run finished before the truncation: nothing to check)")
        return
    expect(p.returncode == 1 and "shrank while it was read" in err,
           "a truncated file gives exit 1 and a message, not SIGBUS", f"exit {p.returncode}: {err[-300:]}")


def test_update_mode_with_trigger_0_gives_the_same_output_every_run():
    src = gen_file("update.jsonl", 400_000, "--jitter", "3s")
    sql = ("SELECT window.start AS ws, user_id, count(*) AS c FROM logs "
           "GROUP BY window(timestamp, '10 seconds'), user_id")
    outputs = []
    for threads in ("1", "2", "2", "1"):
        out = os.path.join(TMP, f"update-{len(outputs)}.jsonl")
        r = sluice("run", "--source", "file:" + src, "--output-mode", "update", "--trigger", "0",
                   "--threads", threads, "--sink", "jsonl:" + out, sql, timeout=120)
        expect(r.returncode == 0, "update mode with --trigger 0 runs", text(r.stderr)[-300:])
        with open(out) as f:
            outputs.append(f.read())
    expect(len(outputs[0]) > 0 and all(o == outputs[0] for o in outputs),
           "update mode with --trigger 0 writes the same rows in the same order every run",
           str([len(o) for o in outputs]))


def test_bad_json_anywhere_and_out_of_range_times_are_malformed():
    good = '{"timestamp": %d, "status": %s, "severity": "High", "source_ip": "10.0.0.1", ' \
           '"user_id": "u", "content": "crash"}'
    lines = [good % (1000, '"200"'), good % (1001, "tru"), good % (1002, "NaN"), good % (1003, "01"),
             good % (1004, '"\\q"'), good % (1005, "[1,]"), good % (1006, "1e400"),
             good % (1007, "123456789012345678901234567890"), good % (9223372036854775807, '"200"'),
             good % (-9223372036854775808, '"200"'), good % (253402300799999, '"200"')]
    path = write("bad-json.jsonl", ("\n".join(lines) + "\n").encode())
    r = sluice("run", "--source", "file:" + path, "--sink", "jsonl:" + os.path.join(TMP, "bj.jsonl"),
               Q2_SQL.replace("HAVING count(*) > 2", ""))
    s = summary_of(r.stderr)
    # Malformed: tru, NaN, 01, \q, [1,] (bad JSON in a field Q2 does not read) and the ends of
    # int64 (outside 0001..9999); 1e400 and the long integer are valid JSON there.
    expect(r.returncode == 0 and s and s["input_records"] == 11 and s["malformed_records"] == 7,
           "bad JSON in unread fields and out-of-range times are malformed", f"{s} {text(r.stderr)[-300:]}")


def test_complete_mode_never_replaces_what_is_not_a_regular_file():
    src = gen_file("complete-in.jsonl", 30_000)
    sql = "SELECT severity, count(*) AS c FROM logs GROUP BY severity"
    # A symlink: its target gets the table, the link stays a link.
    target = write("complete-target.jsonl", b"old\n")
    link = os.path.join(TMP, "complete-link.jsonl")
    os.symlink(target, link)
    r = sluice("run", "--source", "file:" + src, "--sink", "jsonl:" + link, sql)
    expect(r.returncode == 0 and os.path.islink(link), "a symlink sink stays a symlink", text(r.stderr)[-300:])
    with open(target) as f:
        rows = [json.loads(l) for l in f if l.strip()]
    expect(sum(row["c"] for row in rows) == 30_000, "the symlink's target holds the table", str(rows))
    # A FIFO: its reader gets the table.
    fifo = os.path.join(TMP, "complete-fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
    r = sluice("run", "--source", "file:" + src, "--sink", "jsonl:" + fifo, sql)
    got = reader.communicate(timeout=30)[0]
    expect(r.returncode == 0 and os.path.exists(fifo) and not os.path.isfile(fifo),
           "a FIFO sink stays a FIFO", text(r.stderr)[-300:])
    last = [json.loads(l) for l in got.decode().splitlines() if l.strip()][-4:]
    expect(sum(row["c"] for row in last) == 30_000, "the FIFO's reader gets the table", str(last))
    # A device: /dev/null stays a device (this matters when run as root).
    r = sluice("run", "--source", "file:" + src, "--sink", "jsonl:/dev/null", sql)
    expect(r.returncode == 0 and not os.path.isfile("/dev/null"), "/dev/null stays a device")


def test_complete_mode_on_a_full_disk_leaves_no_temporary_file():
    mnt = os.path.join(TMP, "tiny")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt],
                      capture_output=True).returncode != 0:
        print("  (cannot mount a small tmpfs here: skipped)")
        return
    try:
        src = gen_file("tiny-in.jsonl", 50_000, "--users", "100000")
        r = sluice("run", "--source", "file:" + src, "--sink", "jsonl:" + os.path.join(mnt, "t.jsonl"),
                   "SELECT user_id, count(*) AS c FROM logs GROUP BY user_id")
        expect(r.returncode == 1 and "No space left on device" in text(r.stderr),
               "complete mode on a full disk exits 1", f"exit {r.returncode}: {text(r.stderr)[-300:]}")
        left = [n for n in os.listdir(mnt) if n.endswith(".tmp")]
        expect(left == [], "no .tmp file is left behind", str(left))
    finally:
        subprocess.run(["umount", mnt], capture_output=True)


def main():
    global SLUICE, TMP
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sluice", required=True)
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    args = ap.parse_args()
    SLUICE = args.sluice
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and args.k in n]
    with tempfile.TemporaryDirectory(prefix="sluice-cli-") as tmp:
        TMP = tmp
        for name, fn in tests:
            print(name, flush=True)
            before = len(FAILURES)
            try:
                fn()
            except Exception as e:  # a crash of one test is a failure, the others still run
                expect(False, f"{name} raised {type(e).__name__}: {e}")
            if len(FAILURES) == before:
                print("  ok")
    if FAILURES:
        print(f"FAILED: {len(FAILURES)} check(s)")
        return 1
    print(f"cli test passed: {len(tests)} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
