// Opens every page of a live sluice UI in headless Chromium (Debian's, via playwright-core),
// checks that charts are drawn and tables hold data, and saves a screenshot of each page.
// With --group (a member of a group-mode run, see docs/scaling.md) it checks the Workers page's
// Group section against /api/workers instead, and saves workers-group.png.
// Usage: node ui_test.cjs URL OUT_DIR [--group]   (ui_test.py installs playwright-core and starts the run)
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const [url, outDir, mode] = process.argv.slice(2);
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

  if (mode === "--group") await checkGroup(page);
  else await checkPages(page);
  check(errors.length === 0, "no console errors" + (errors.length ? ": " + errors.join("; ") : ""));
  check(foreign.length === 0, "no request leaves the server's origin" + (foreign.length ? ": " + foreign.join(", ") : ""));
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  console.log(failures.length ? `${failures.length} check(s) failed` : "all checks passed; screenshots in " + outDir);
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });

// Every page of a run: live updates, charts drawn, tables filled.
async function checkPages(page) {
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
  await checkNumbers(page);
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
}

// The cards show the numbers of /api/progress for the batch they name, formatted as the page
// formats them, and those numbers mean what docs/monitoring.md says: a trigger's execution time
// excludes waiting for the trigger (so it is well under the interval), and a query that keeps up
// processes faster than its input arrives.
async function checkNumbers(page) {
  const cardsOf = () => Object.fromEntries([...document.querySelectorAll("#stream-cards .card")].map((c) =>
    [c.querySelector(".label").textContent, { value: c.querySelector(".value").textContent, sub: c.querySelector(".sub").textContent }]));
  let cards, p;
  for (let i = 0; i < 5 && !p; i++) {  // the page and the API may be a trigger apart: retry
    cards = await page.evaluate(cardsOf);
    const m = /batch (\d+)/.exec(cards["Last trigger"].sub);
    const history = await (await page.request.get(url + "api/progress/history")).json();
    p = m && history.find((h) => h.batchId === Number(m[1]));
    if (!p) await page.waitForTimeout(700);
  }
  check(!!p, "streaming: the batch the cards name is in /api/progress/history");
  if (!p) return;
  const shown = await page.evaluate((x) => ({
    input: rate(x.inputRowsPerSecond) + "/s", processed: rate(x.processedRowsPerSecond) + "/s",
    trigger: secs(x.durationMs.triggerExecution), state: num(x.stateOperators[0].numRowsTotal) + " rows",
  }), p);
  check(cards["Input rate"].value === shown.input, `streaming: input rate card ${cards["Input rate"].value} = API ${shown.input}`);
  check(cards["Process rate"].value === shown.processed, `streaming: process rate card ${cards["Process rate"].value} = API ${shown.processed}`);
  check(cards["Last trigger"].value === shown.trigger, `streaming: last trigger card ${cards["Last trigger"].value} = API ${shown.trigger}`);
  check(cards.State.value === shown.state, `streaming: state card ${cards.State.value} = API ${shown.state}`);
  const q = await (await page.request.get(url + "api/query")).json();
  if (q.triggerIntervalMs > 0) {
    check(p.durationMs.triggerExecution < q.triggerIntervalMs,
      `streaming: trigger execution ${p.durationMs.triggerExecution} ms < trigger interval ${q.triggerIntervalMs} ms`);
  }
  check(p.numInputRows === 0 || p.processedRowsPerSecond > p.inputRowsPerSecond,
    `streaming: processed ${Math.round(p.processedRowsPerSecond)}/s > input ${Math.round(p.inputRowsPerSecond)}/s`);
  const name = await page.$eval("#q-name", (e) => e.textContent);
  check(name !== "sluice" && name.length > 0, `streaming: the header names the query ("${name}"), not "sluice" twice`);
  // Every y axis is wide enough for its longest tick label (uPlot passes labels to axisSize).
  const cut = await page.evaluate(() => Object.entries(charts).flatMap(([id, u]) => u.axes.slice(1).map((a, i) => {
    const labels = (a._values || []).map(String);
    const need = labels.length ? Math.max(...labels.map((l) => { u.ctx.font = a.font[0]; return u.ctx.measureText(l).width / devicePixelRatio; })) : 0;
    return need > a._size ? `${id} axis ${i + 1}: ${need.toFixed(0)} px of labels in ${a._size} px` : null;
  })).filter(Boolean));
  check(cut.length === 0, "streaming: no y-axis label is cut" + (cut.length ? ": " + cut.join("; ") : ""));
}

// What the Workers page's Group section shows, read from the DOM.
function groupView() {
  const rows = (id) => [...document.querySelectorAll("#" + id + " tbody tr")].filter((tr) => !tr.querySelector("td.empty"))
    .map((tr) => ({ cls: tr.className, cells: [...tr.children].map((td) => td.textContent) }));
  const cards = {};
  for (const c of document.querySelectorAll("#group-cards .card")) {
    cards[c.querySelector(".label").textContent] = c.querySelector(".value").textContent;
  }
  return { shown: !document.getElementById("group").hidden, cards, members: rows("group-members"), units: rows("group-units"),
    rebalances: rows("group-rebalances"), marks: document.querySelectorAll("#group-timeline .mark").length };
}

// Group mode: the section matches /api/workers (polled once a second, so compare a few times
// until a poll has caught up with the API's answer).
async function checkGroup(page) {
  await page.goto(url + "#workers");
  await page.waitForFunction(() => document.querySelectorAll("#group-members tbody tr:not(:has(td.empty))").length >= 2,
    null, { timeout: 20000 });
  let view, g;
  for (let i = 0; i < 8; i++) {
    await page.waitForTimeout(1200);
    g = (await (await page.request.get(url + "api/workers")).json()).group;
    view = await page.evaluate(groupView);
    if (view.units.length === g.units.length && view.rebalances.length === g.rebalances.length) break;
  }
  check(view.shown, "workers: the Group section is shown");
  check(view.cards.Group === g.id, `workers: group id shown (${view.cards.Group})`);
  check(view.cards["Exchange topic"] === (g.exchangeTopic || "none"), `workers: exchange topic shown (${view.cards["Exchange topic"]})`);
  check(view.members.length === 2 && g.members.length === 2, `workers: ${view.members.length} members shown, /api/workers has ${g.members.length}`);
  const self = view.members.filter((m) => /\bself\b/.test(m.cls));
  const apiSelf = g.members.find((m) => m.self);
  check(self.length === 1 && apiSelf && self[0].cells[0] === apiSelf.memberId + "this process",
    `workers: this process marked (${self.map((m) => m.cells[0]).join(", ")})`);
  check(view.members.every((m) => /^\d+s ago$/.test(m.cells[2]) && !/gone/.test(m.cls)),
    "workers: members seen seconds ago, none gone: " + view.members.map((m) => m.cells[2]).join(", "));
  const owned = view.members.map((m) => m.cells[3]).join(" ");
  check(/input \d/.test(owned) && /shard \d/.test(owned), "workers: members own inputs and shards: " + owned);
  check(view.units.length > 0 && view.units.length === g.units.length,
    `workers: ${view.units.length} units of this member shown, /api/workers has ${g.units.length}`);
  const unitsShown = view.units.map((u) => u.cells[0]).sort().join(",");
  const unitsApi = g.units.map((u) => u.kind + " " + u.partition).sort().join(",");
  check(unitsShown === unitsApi, `workers: units shown are the API's (${unitsShown})`);
  check(view.rebalances.length >= 1 && view.rebalances.length === g.rebalances.length,
    `workers: ${view.rebalances.length} rebalance rows, /api/workers has ${g.rebalances.length}`);
  const newest = g.rebalances[g.rebalances.length - 1];
  check(view.rebalances.length && view.rebalances[0].cells[2] === newest.change &&
    (newest.change.startsWith("assigned") ? view.rebalances[0].cells[3] === newest.restoreMs + " ms" : true),
    `workers: newest rebalance first (${view.rebalances.length && view.rebalances[0].cells.join(" | ")})`);
  check(view.marks === g.rebalances.length, `workers: timeline has ${view.marks} marks`);
  check(await page.isVisible("#work-cards .card"), "workers: the thread workers view is still shown");
  const px = await chartPixels(page, ["ch-memory"]);
  check(px[0] > 500, `workers: chart ch-memory drawn (${px[0]} px)`);
  await page.screenshot({ path: path.join(outDir, "workers-group.png"), fullPage: true });
}
