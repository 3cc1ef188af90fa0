#!/usr/bin/env python3
"""Browser end-to-end test of the web UI: starts a live run (the real `sluice run --ui`, or the
`ui_demo` binary over synthetic data), opens every page in headless Chromium and saves
screenshots. Exit 77 (skipped) when Chromium or npm is missing.

  ui_test.py --demo build/ui_demo --out build/ui-screenshots
  ui_test.py --sluice build/sluice --out build/ui-screenshots [-- extra run arguments]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
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


def wait_ready(url, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the run exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "api/progress", timeout=2) as r:
                if json.loads(r.read() or b"null") is not None:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the UI did not report a trigger within %d s" % timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo")
    ap.add_argument("--sluice")
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
    if a.sluice:
        cmd = [a.sluice, "run", "--ui", f"127.0.0.1:{port}", "--watermark", "5s", "--trigger", "1s"] + \
              (a.run_args or [Q2])
    elif a.demo:
        cmd = [a.demo, f"127.0.0.1:{port}"]
    else:
        ap.error("pass --demo or --sluice")
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(url, proc)
        env = dict(os.environ, NODE_PATH=os.path.join(npm_dir, "node_modules"), CHROMIUM=chromium)
        r = subprocess.run(["node", os.path.join(HERE, "ui_test.cjs"), url, a.out], env=env)
        return r.returncode
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
