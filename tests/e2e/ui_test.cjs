// Opens every page of a live sluice UI in headless Chromium (Debian's, via playwright-core),
// checks that charts are drawn and tables hold data, and saves a screenshot of each page.
// Usage: node ui_test.cjs URL OUT_DIR   (ui_test.py installs playwright-core and starts the run)
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const [url, outDir] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const failures = [];
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures.push(what);
}

// Non-blank pixels of each chart canvas (uPlot draws on a 2d canvas): > 0 means data was drawn.
async function chartPixels(page, ids) {
  return page.evaluate((chartIds) => chartIds.map((id) => {
    const c = document.querySelector("#" + id + " canvas");
    if (!c || c.width === 0) return 0;
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
    return n;
  }), ids);
}

async function tableRows(page, id) {
  return page.evaluate((tid) => [...document.querySelectorAll("#" + tid + " tbody tr")]
    .filter((tr) => !tr.querySelector("td.empty")).length, id);
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(require("os").tmpdir(), "sluice-ui-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
  const page = context.pages()[0] || await context.newPage();
  const origin = new URL(url).origin;
  const errors = [];
  const foreign = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) foreign.push(r.url()); });

  await page.goto(url + "#streaming");
  // Wait for a few polls so live updates and chart history exist.
  await page.waitForFunction(() => Number(document.body.dataset.updated || 0) > 0, null, { timeout: 15000 });
  await page.waitForTimeout(3500);
  const firstUpdate = await page.evaluate(() => Number(document.body.dataset.updated));
  await page.waitForTimeout(1500);
  check(await page.evaluate((t) => Number(document.body.dataset.updated) > t, firstUpdate), "streaming: page updates live without reload");
  check(await page.evaluate(() => typeof window.uPlot === "function"), "uPlot is bundled and loaded");
  const streamCharts = ["ch-rates", "ch-durations", "ch-rows", "ch-state", "ch-gap", "ch-late"];
  const px = await chartPixels(page, streamCharts);
  streamCharts.forEach((id, i) => check(px[i] > 500, `streaming: chart ${id} drawn (${px[i]} px)`));
  const cards = await page.$$eval("#stream-cards .card .value", (els) => els.map((e) => e.textContent));
  check(cards.length >= 8 && cards[0] !== "–", "streaming: cards show values: " + cards.slice(0, 5).join(" | "));
  const api = await (await page.request.get(url + "api/progress")).json();
  const pageBatch = await page.$eval("#stream-cards .card:nth-child(3) .sub", (e) => e.textContent);
  const m = /batch (\d+)/.exec(pageBatch);
  check(m && Math.abs(Number(m[1]) - api.batchId) <= 2, `streaming: page batch ${m && m[1]} matches /api/progress batch ${api.batchId}`);
  await page.screenshot({ path: path.join(outDir, "streaming.png"), fullPage: true });

  const pages = {
    plan: { tables: ["plan-table"], charts: [], extra: async () => {
      const n = await page.$$eval("#plan-graph .node", (e) => e.length);
      check(n > 0, `plan: graph has ${n} operators`);
      const rowsIn = await page.$$eval("#plan-table tbody tr td:nth-child(5)", (e) => e.map((x) => x.textContent));
      check(rowsIn.some((t) => t !== "0" && t !== "–"), "plan: operators show rows in");
    } },
    partitions: { tables: ["part-table"], charts: ["ch-partitions"] },
    windows: { tables: ["win-table"], charts: [] },
    results: { tables: ["res-table"], charts: [] },
    workers: { tables: ["work-table"], charts: ["ch-busy", "ch-memory"] },
  };
  for (const [name, spec] of Object.entries(pages)) {
    await page.click(`nav a[data-page=${name}]`);
    await page.waitForTimeout(2500);
    check(await page.isVisible("#page-" + name), `${name}: page shown`);
    for (const t of spec.tables) {
      const n = await tableRows(page, t);
      check(n > 0, `${name}: table ${t} has ${n} rows`);
    }
    if (spec.charts.length) {
      const p = await chartPixels(page, spec.charts);
      spec.charts.forEach((id, i) => check(p[i] > 500, `${name}: chart ${id} drawn (${p[i]} px)`));
    }
    if (spec.extra) await spec.extra();
    await page.screenshot({ path: path.join(outDir, name + ".png"), fullPage: true });
  }
  check(errors.length === 0, "no console errors" + (errors.length ? ": " + errors.join("; ") : ""));
  check(foreign.length === 0, "no request leaves the server's origin" + (foreign.length ? ": " + foreign.join(", ") : ""));
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  console.log(failures.length ? `${failures.length} check(s) failed` : "all checks passed; screenshots in " + outDir);
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
