// Opens the report.html that `sluice bench` wrote in headless Chromium (Debian's, via
// playwright-core) and checks that every plot is drawn by the bundled uPlot, with no console
// error and no request outside the file. Saves a screenshot of the page.
// Usage: node bench_report_test.cjs REPORT_HTML OUT_DIR   (ui_test.py --report installs playwright-core)
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

const [report, outDir] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const failures = [];
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures.push(what);
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-report-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1200, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  const foreign = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) foreign.push(r.url()); });
  await page.goto("file://" + path.resolve(report));
  await page.waitForFunction(() => document.body.dataset.plots !== undefined, null, { timeout: 15000 });
  check(await page.evaluate(() => typeof window.uPlot === "function"), "uPlot is inlined and loaded");
  // Non-blank pixels of each plot's canvas: > 0 means uPlot drew axes and data.
  const plots = await page.evaluate(() => [...document.querySelectorAll(".plot")].map((el) => {
    const c = el.querySelector("canvas");
    let px = 0;
    if (c && c.width > 0) {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) px++;
    }
    return { id: el.id, drawn: el.dataset.drawn === "1", px, series: el.querySelectorAll(".u-legend .u-series").length };
  }));
  check(plots.length >= 6, `the report has plots (${plots.length})`);
  for (const p of plots) check(p.drawn && p.px > 500, `plot ${p.id} drawn (${p.px} px, ${p.series} legend entries)`);
  const tables = await page.evaluate(() => document.querySelectorAll("table tbody tr").length);
  check(tables > 10, `tables hold rows (${tables})`);
  await page.screenshot({ path: path.join(outDir, "bench-report.png"), fullPage: true });
  check(errors.length === 0, "no console errors" + (errors.length ? ": " + errors.join("; ") : ""));
  check(foreign.length === 0, "no request leaves the file" + (foreign.length ? ": " + foreign.join(", ") : ""));
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  console.log(failures.length ? `${failures.length} check(s) failed` : "all checks passed; screenshot in " + outDir);
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
