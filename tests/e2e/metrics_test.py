#!/usr/bin/env python3
"""The monitoring numbers of a real `sluice run` against runs whose right values are known
(docs/monitoring.md defines each number):

- a file of 5 windows x 10,000 lines (50 users, 10 malformed lines per window) and 10 late
  records, read one batch of 10,000 per trigger: every trigger's input rows, offsets, state rows
  total/updated/removed, per-window input rows, late and malformed counts, the end summary, and
  the event log served again by `sluice ui --event-log` (the history server);
- the generator at 20,000 records/s with `--trigger 5s --ui`: trigger execution well under 5 s,
  processing rate above the input rate, full 1-second windows with 20,000 input rows each, state
  rows removed, and a Ctrl-C that emits what was read and prints one consistent summary.

Timing only enters as coarse bounds. Usage: metrics_test.py --sluice PATH
"""

import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SLUICE = None
FAILURES = []
T0 = 1767225600000  # 2026-01-01T00:00:00Z, a window boundary
WINDOWS, LINES_PER_WINDOW, USERS, MALFORMED_PER_WINDOW, LATE = 5, 10_000, 50, 10, 10
QUERY = ("SELECT window.start AS ws, user_id, count(*) AS n FROM logs "
         "GROUP BY window(timestamp, '10 seconds'), user_id")


def expect(cond, what, detail=""):
    print(("  ok   " if cond else "  FAIL ") + what + (f"\n    {detail}" if detail and not cond else ""))
    if not cond:
        FAILURES.append(what)
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def wait_json(url, ready, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            doc = get_json(url)
            if ready(doc):
                return doc
        except OSError:
            pass
        time.sleep(0.2)
    return None


def record(ts, user):
    return json.dumps({"timestamp": ts, "user_id": f"user_{user}", "severity": "High",
                       "content": "ok", "source_ip": "10.0.0.1"})


def write_known_file(path):
    """Window w holds lines w*10,000 .. w*10,000+9,999 (one file batch each), event times
    T0 + w*10s + j ms; line j % 1000 == 999 of each is malformed. Then 10 records of window 0,
    late behind the watermark of everything before them."""
    with open(path, "w") as f:
        for w in range(WINDOWS):
            for j in range(LINES_PER_WINDOW):
                f.write("not json\n" if j % 1000 == 999 else record(T0 + w * 10_000 + j, j % USERS) + "\n")
        for i in range(LATE):
            f.write(record(T0 + 5 + i, i) + "\n")


def test_file_run_has_the_known_numbers(tmp):
    print("file run: 5 windows x 10,000 lines, 50 malformed, 10 late")
    path = os.path.join(tmp, "known.jsonl")
    write_known_file(path)
    events = os.path.join(tmp, "events")
    r = subprocess.run([SLUICE, "run", "--source", f"file:{path}", "--sink", f"jsonl:{tmp}/out.jsonl",
                        "--watermark", "5s", "--trigger", "0s", "--max-records-per-trigger", "10000",
                        "--name", "known-file", "--event-log", events, "--progress", QUERY],
                       capture_output=True, text=True, timeout=60)
    expect(r.returncode == 0, "the run exits 0", r.stderr[-2000:])
    logs = glob.glob(os.path.join(events, "*.jsonl"))
    if not expect(len(logs) == 1, "one event log written", str(logs)):
        return
    lines = [json.loads(l) for l in open(logs[0])]
    expect(lines[0]["event"] == "QueryStarted" and lines[0]["query"]["name"] == "known-file",
           "the event log starts with QueryStarted and the query's name")
    expect(lines[-1]["event"] == "QueryTerminated" and lines[-1]["state"] == "finished",
           "the event log ends with QueryTerminated finished")
    prog = [l for l in lines if l["event"] == "QueryProgress"]
    # Triggers 0-4: one window's batch each; 5: the late records; 6: the end closes window 4.
    if not expect(len(prog) == WINDOWS + 2, f"{WINDOWS + 2} triggers logged", str(len(prog))):
        return
    valid = LINES_PER_WINDOW - MALFORMED_PER_WINDOW
    for k in range(WINDOWS):
        p = prog[k]["progress"]
        st = p["stateOperators"][0]
        src = p["sources"][0]
        expect(p["numInputRows"] == LINES_PER_WINDOW, f"trigger {k}: numInputRows {p['numInputRows']}")
        expect(src["startOffset"] == {"0": k * LINES_PER_WINDOW} and src["endOffset"] == {"0": (k + 1) * LINES_PER_WINDOW},
               f"trigger {k}: offsets {src['startOffset']} .. {src['endOffset']}")
        expect(st["numRowsUpdated"] == USERS, f"trigger {k}: numRowsUpdated {st['numRowsUpdated']} = {USERS}")
        expect(st["numRowsRemoved"] == (USERS if k > 0 else 0),
               f"trigger {k}: numRowsRemoved {st['numRowsRemoved']} (the window before closed)")
        expect(st["numRowsTotal"] == USERS, f"trigger {k}: numRowsTotal {st['numRowsTotal']}")
        expect(p["sluice"]["malformedRows"] == MALFORMED_PER_WINDOW, f"trigger {k}: malformed {p['sluice']['malformedRows']}")
        expect(p["sink"]["numOutputRows"] == (USERS if k > 0 else 0), f"trigger {k}: output rows {p['sink']['numOutputRows']}")
        wins = prog[k]["windows"]["windows"]
        expect([(w["startMs"], w["groups"], w["inputRows"]) for w in wins] == [(T0 + k * 10_000, USERS, valid)],
               f"trigger {k}: the open window has {USERS} groups and {valid} input rows", str(wins))
        expect(p["durationMs"]["triggerExecution"] <= p["sluice"]["triggerIntervalMs"] + 1,
               f"trigger {k}: execution {p['durationMs']['triggerExecution']} ms within its interval")
    late = prog[WINDOWS]["progress"]
    expect(late["numInputRows"] == LATE and late["sluice"]["lateRows"] == LATE and
           late["stateOperators"][0]["numRowsDroppedByWatermark"] == LATE and
           late["stateOperators"][0]["numRowsUpdated"] == 0,
           f"trigger {WINDOWS}: {LATE} late records dropped, nothing updated", json.dumps(late)[:600])
    end = prog[-1]["progress"]
    expect(end["stateOperators"][0]["numRowsRemoved"] == USERS and end["stateOperators"][0]["numRowsTotal"] == 0,
           "the last trigger closes the last window")
    # The newest valid event is line 9,998 of the last window (line 9,999 is malformed).
    expect(end["sluice"]["watermarkMs"] == T0 + WINDOWS * 10_000 - 2 - 5000,
           f"the last watermark is the data's ({end['sluice']['watermarkMs']}), not +inf")
    total = WINDOWS * LINES_PER_WINDOW + LATE
    expect(prog[-1]["partitions"]["partitions"][0]["recordsTotal"] == total,
           f"partition 0 recordsTotal = {total}", json.dumps(prog[-1]["partitions"]))
    # The summary: one count of records, the right totals, a processing rate from busy time.
    err = r.stderr
    expect(f"summary input_records={total} malformed_records={WINDOWS * MALFORMED_PER_WINDOW} late_records={LATE}" in err,
           "machine summary counts", err[-1500:])
    expect(f"input rows:       {total:,} in" in err, "summary input rows", err[-1500:])
    expect(f"output rows:      {WINDOWS * USERS}" in err, "summary output rows")
    expect(f"{WINDOWS * USERS} removed" in err and f"at most {2 * USERS} rows" in err, "summary state removed and peak")
    m = re.search(r"processing rate:  (\S+) rows/s \(input rows / time busy in triggers, ([\d.]+) s\)", err)
    expect(m and m.group(1) != "0" and float(m.group(2)) > 0, "summary processing rate from busy time",
           m.group(0) if m else err[-800:])
    expect(re.search(r"final watermark:  2026-01-01 00:00:44\.998", err) is not None, "summary final watermark")

    # The history server serves the same triggers.
    port = free_port()
    ui = subprocess.Popen([SLUICE, "ui", "--event-log", events, "--ui", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        q = wait_json(f"http://127.0.0.1:{port}/api/query", lambda d: True)
        expect(q is not None and q["state"] == "finished" and q["name"] == "known-file" and
               q["totals"]["inputRows"] == total and q["totals"]["triggers"] == WINDOWS + 2,
               "sluice ui --event-log: /api/query shows the finished run and its totals", json.dumps(q)[:600])
        hist = get_json(f"http://127.0.0.1:{port}/api/progress/history")
        same = [(h["batchId"], h["numInputRows"], h["stateOperators"][0], h["sources"][0]["endOffset"]) for h in hist]
        want = [(p["progress"]["batchId"], p["progress"]["numInputRows"], p["progress"]["stateOperators"][0],
                 p["progress"]["sources"][0]["endOffset"]) for p in prog]
        expect(same == want, "sluice ui --event-log: /api/progress/history = the logged triggers")
        uptime = q["uptimeMs"] if q else None
        time.sleep(1.2)
        q2 = get_json(f"http://127.0.0.1:{port}/api/query")
        expect(q2["uptimeMs"] == uptime, "a finished run's uptime does not grow")
    finally:
        ui.send_signal(signal.SIGINT)
        ui.wait(timeout=10)
    expect(ui.returncode == 0, "sluice ui exits 0 on Ctrl-C")


def test_generator_with_long_trigger(tmp):
    print("generator at 20,000/s, --trigger 5s, --ui, then Ctrl-C")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    out = os.path.join(tmp, "gen-out.jsonl")
    proc = subprocess.Popen([SLUICE, "run", "--rate", "20000", "--trigger", "5s", "--watermark", "3s",
                             "--ui", f"127.0.0.1:{port}", "--progress", "--sink", f"jsonl:{out}",
                             "SELECT window.start AS ws, user_id, count(*) AS n FROM logs "
                             "GROUP BY window(timestamp, '1 second'), user_id"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        p = wait_json(url + "api/progress", lambda d: d is not None and d["batchId"] >= 1, timeout=25)
        if not expect(p is not None, "two triggers within 25 s"):
            return
        d = p["durationMs"]
        expect(d["triggerExecution"] < 2500, f"trigger execution {d['triggerExecution']} ms is well under 5 s",
               json.dumps(d))
        expect(p["batchDuration"] == d["triggerExecution"], "batchDuration = triggerExecution")
        expect(4000 <= p["sluice"]["triggerIntervalMs"] <= 6500, f"interval {p['sluice']['triggerIntervalMs']} ms ~ 5 s")
        expect(10_000 < p["inputRowsPerSecond"] < 30_000, f"input rate {p['inputRowsPerSecond']:.0f}/s ~ 20,000/s")
        expect(p["processedRowsPerSecond"] > p["inputRowsPerSecond"],
               f"processing rate {p['processedRowsPerSecond']:.0f}/s > input rate {p['inputRowsPerSecond']:.0f}/s")
        st = p["stateOperators"][0]
        expect(st["numRowsRemoved"] > 0, f"state rows removed {st['numRowsRemoved']} > 0")
        expect(st["numRowsUpdated"] > 0 and st["numRowsUpdated"] <= st["numRowsTotal"] + st["numRowsRemoved"],
               f"state rows updated {st['numRowsUpdated']}")
        src = p["sources"][0]
        expect(src["endOffset"]["0"] - src["startOffset"]["0"] == p["numInputRows"],
               f"offsets {src['startOffset']} .. {src['endOffset']} span numInputRows {p['numInputRows']}")
        wins = get_json(url + "api/windows")["windows"]
        # Event time advances 1000/20000 ms per record: a whole second holds 20,000 records. The
        # first window may be partial (the generator starts mid-second), the newest still filling.
        full = [w["inputRows"] for w in wins[1:-1]]
        expect(full and all(n == 20_000 for n in full), f"full windows hold 20,000 input rows: {full[:6]}")
        parts = get_json(url + "api/partitions")["partitions"]
        expect(parts[0]["recordsTotal"] == parts[0]["nextOffset"],
               f"partition recordsTotal {parts[0]['recordsTotal']} = next offset {parts[0]['nextOffset']}")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    expect(proc.returncode == 0, "Ctrl-C: exit 0", err[-1500:])
    m1 = re.search(r"sluice: (\d+) records in", err)
    m2 = re.search(r"input rows:\s+([\d,]+) in", err)
    m3 = re.search(r"summary input_records=(\d+) .* output_rows=(\d+)", err)
    expect(m1 and m2 and m3 and int(m1.group(1)) == int(m2.group(1).replace(",", "")) == int(m3.group(1)),
           "Ctrl-C: one record count in the summary", err[-1500:])
    rows = sum(1 for _ in open(out)) if os.path.exists(out) else 0
    counted = sum(json.loads(l)["n"] for l in open(out)) if rows else 0
    expect(m3 and counted == int(m3.group(1)),
           f"Ctrl-C: every record read is in an emitted window ({counted} counted)")


def main():
    global SLUICE
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    SLUICE = os.path.abspath(ap.parse_args().sluice)
    with tempfile.TemporaryDirectory(prefix="sluice-metrics-") as tmp:
        test_file_run_has_the_known_numbers(tmp)
        test_generator_with_long_trigger(tmp)
    print(f"{len(FAILURES)} failure(s)" if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
