#!/usr/bin/env python3
"""Browser end-to-end test of the web UI: starts a live run (the real `sluice run --ui`, or the
`ui_demo` binary over synthetic data), opens every page in headless Chromium and saves
screenshots. Exit 77 (skipped) when Chromium or npm is missing.

  ui_test.py --demo build/ui_demo --out build/ui-screenshots
  ui_test.py --sluice build/sluice --out build/ui-screenshots [-- extra run arguments]
  ui_test.py --sluice build/sluice --group --out build/ui-screenshots
  ui_test.py --report build/bench-quick/report.html --out build/ui-screenshots

--report opens the report.html of `sluice bench` (bench_report_test.cjs): every plot drawn.

--group runs a real group-mode query (docs/scaling.md): `sluice dev-kafka` with a 4-partition
topic, 20,000 unkeyed records, and two `sluice run --group-id g --checkpoint DIR` processes (the
first with --ui) aggregating through the exchange. Once /api/workers lists both members and this
member's units and rebalances, it checks the Workers page's Group section against /api/workers
and saves workers-group.png; then stops every process with SIGTERM (each must exit 0).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
Q2 = ("SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS crash_count "
      "FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical') "
      "GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2")


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install_playwright(npm_dir):
    if os.path.exists(os.path.join(npm_dir, "node_modules", "playwright-core", "package.json")):
        return
    npm = shutil.which("npm")
    if not npm:
        skip("npm not found (needed for playwright-core)")
    os.makedirs(npm_dir, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, f), npm_dir)
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                       cwd=npm_dir, capture_output=True, text=True)
    if r.returncode != 0:
        skip("npm ci failed: " + r.stderr.strip()[-500:])


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.loads(r.read() or b"null")
    except (OSError, ValueError):
        return None


def wait_for(what, ready, procs, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"{' '.join(p.args[:2])} exited early with {p.returncode}")
        value = ready()
        if value:
            return value
        time.sleep(0.3)
    raise SystemExit(f"{what} within {timeout} s")


def wait_ready(url, proc, timeout=30):
    wait_for("the UI did not report a trigger", lambda: get_json(url + "api/progress") is not None, [proc], timeout)


def stop(procs):
    """SIGTERM, in order; returns the exit codes (None: killed after 15 s)."""
    codes = []
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            codes.append(p.wait(timeout=15))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            codes.append(None)
    return codes


def start_group(sluice, port, work):
    """dev-kafka, 20,000 records in logs (4 partitions), two members of group g; returns
    ([member with --ui, other member], dev-kafka)."""
    bootstrap_file = os.path.join(work, "bootstrap")

    def log(name):
        return open(os.path.join(work, name), "w")

    kafka = subprocess.Popen([sluice, "dev-kafka", "--no-stdin", "--bootstrap-file", bootstrap_file,
                              "--topic", "logs:4"], stdout=log("dev-kafka.out"), stderr=log("dev-kafka.err"))
    members = []
    try:
        wait_for("dev-kafka did not start", lambda: os.path.exists(bootstrap_file) and
                 open(bootstrap_file).read().strip(), [kafka], 15)
        topic = "kafka://%s/logs" % open(bootstrap_file).read().strip()
        subprocess.run([sluice, "gen", "--to", topic, "--count", "20000", "--rate", "max", "--key", "none"],
                       check=True, stdout=subprocess.DEVNULL, stderr=log("gen.err"), timeout=30)
        run = [sluice, "run", "--source", topic, "--group-id", "g", "--checkpoint", os.path.join(work, "ckpt"),
               "--starting-offsets", "earliest", "--trigger", "500ms",
               "--sink", "jsonl:" + os.path.join(work, "out") + "/"]
        sql = "SELECT user_id, count(*) AS n FROM logs GROUP BY user_id"
        for i, ui in enumerate([["--ui", f"127.0.0.1:{port}"], []]):
            members.append(subprocess.Popen(run + ui + [sql], stdout=log(f"run{i}.out"), stderr=log(f"run{i}.err")))
    except BaseException:
        stop(members + [kafka])
        raise
    return members, kafka


def group_ready(url):
    g = (get_json(url + "api/workers") or {}).get("group") or {}
    return len(g.get("members", [])) == 2 and g.get("units") and g.get("rebalances")


def run_group(sluice, port, url, out, env):
    """The --group test; returns its exit code."""
    work = tempfile.mkdtemp(prefix="sluice-ui-group-")
    members, kafka = start_group(sluice, port, work)
    rc = 1
    try:
        wait_for("/api/workers did not list 2 members with units and rebalances",
                 lambda: group_ready(url), members + [kafka], 40)
        rc = subprocess.run(["node", os.path.join(HERE, "ui_test.cjs"), url, out, "--group"], env=env).returncode
    finally:
        codes = stop(members + [kafka])
        print("exit codes after SIGTERM (members, dev-kafka):", codes)
        if rc == 0 and any(c != 0 for c in codes[:2]):
            print("FAIL a member did not exit 0 on SIGTERM")
            rc = 1
        if rc == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("logs in " + work)
    return rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo")
    ap.add_argument("--sluice")
    ap.add_argument("--group", action="store_true", help="a group-mode run of two processes (needs --sluice)")
    ap.add_argument("--report", help="a report.html written by `sluice bench`")
    ap.add_argument("--out", required=True)
    ap.add_argument("--npm-dir")
    ap.add_argument("run_args", nargs="*")
    a = ap.parse_args()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        skip(chromium + " not found (SLUICE_WITH_BROWSER=1 scripts/install-deps.sh installs it)")
    if not shutil.which("node"):
        skip("node not found")
    npm_dir = a.npm_dir or os.path.join(os.path.dirname(os.path.abspath(a.out)), "e2e-npm")
    install_playwright(npm_dir)

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, NODE_PATH=os.path.join(npm_dir, "node_modules"), CHROMIUM=chromium)
    if a.report:
        return subprocess.run(["node", os.path.join(HERE, "bench_report_test.cjs"), a.report, a.out],
                              env=env).returncode
    if a.group:
        if not a.sluice:
            ap.error("--group needs --sluice")
        return run_group(a.sluice, port, url, a.out, env)
    if a.sluice:
        cmd = [a.sluice, "run", "--ui", f"127.0.0.1:{port}", "--watermark", "5s", "--trigger", "1s"] + \
              (a.run_args or [Q2])
    elif a.demo:
        cmd = [a.demo, f"127.0.0.1:{port}"]
    else:
        ap.error("pass --demo or --sluice")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(url, proc)
        r = subprocess.run(["node", os.path.join(HERE, "ui_test.cjs"), url, a.out], env=env)
        return r.returncode
    finally:
        stop([proc])


if __name__ == "__main__":
    sys.exit(main())
