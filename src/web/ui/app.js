// sluice web UI: polls the read-only JSON endpoints once a second and redraws the visible page.
// Plain JS, no framework; charts with uPlot (bundled into the binary at build time). All text
// from the server goes through textContent, never innerHTML.
"use strict";

const POLL_MS = 1000;
const MAX_POINTS = 300;
const PAGES = ["streaming", "plan", "partitions", "windows", "results", "workers"];
// The phases of a trigger's execution (triggerExecution is their sum; waiting for records is not
// part of it, docs/monitoring.md).
const PHASES = [
  ["parseFilter", "parse + filter"], ["aggregate", "aggregate"],
  ["emit", "emit"], ["sink", "sink"], ["checkpoint", "checkpoint"], ["other", "other"],
];
const COLORS = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#94a3b8", "#ec4899"];
const hasCharts = typeof window.uPlot === "function";

// ---------- formatting ----------
const nf = new Intl.NumberFormat("en-US");
function num(v) { return v == null ? "–" : nf.format(Math.round(v)); }
function rate(v) {
  if (v == null) return "–";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
  return v.toFixed(a < 10 && v !== 0 ? 1 : 0);
}
function bytes(v) {
  if (v == null) return "–";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + u[i];
}
function utc(ms) {
  if (ms == null) return "–";
  const s = new Date(ms).toISOString();
  return s.slice(0, 10) + " " + s.slice(11, ms % 1000 ? 23 : 19);
}
// Time of day for cards (the date goes in the card's subtitle).
function hms(ms) { return ms == null ? "–" : new Date(ms).toISOString().slice(11, 19); }
function day(ms) { return ms == null ? "" : utc(ms).slice(0, 10) + " UTC"; }
function secs(ms) {
  if (ms == null) return "–";
  const a = Math.abs(ms);
  if (a < 1000) return ms + " ms";
  if (a < 120000) return (ms / 1000).toFixed(1) + " s";
  if (a < 7200000) return (ms / 60000).toFixed(1) + " min";
  return (ms / 3600000).toFixed(1) + " h";
}

// ---------- DOM helpers ----------
function $(id) { return document.getElementById(id); }
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c == null) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}
function card(label, value, sub, cls) {
  return el("div", { class: "card" + (cls ? " " + cls : "") },
    el("div", { class: "label" }, label), el("div", { class: "value", title: value }, value),
    sub ? el("div", { class: "sub" }, sub) : null);
}
function bar(fraction, hot) {
  const pct = Math.max(0, Math.min(1, fraction || 0)) * 100;
  return el("div", { class: "bar" + (hot ? " hot" : "") }, el("span", { style: "width:" + pct.toFixed(1) + "%" }));
}
// Replaces a table's content: cols = [[title, numeric?]], rows = arrays of cells (node or text).
function fillTable(table, cols, rows, emptyText, rowClass) {
  const thead = el("thead", {}, el("tr", {}, ...cols.map(([t, n]) => el("th", n ? { class: "num" } : {}, t))));
  const tbody = el("tbody");
  if (rows.length === 0) {
    tbody.append(el("tr", {}, el("td", { class: "empty", colspan: String(cols.length) }, emptyText)));
  }
  rows.forEach((r, i) => {
    const tr = el("tr", rowClass ? { class: rowClass(i) || "" } : {});
    r.forEach((c, j) => tr.append(el("td", cols[j] && cols[j][1] ? { class: "num" } : {}, c)));
    tbody.append(tr);
  });
  table.replaceChildren(thead, tbody);
}

// ---------- charts ----------
const charts = {};  // id -> {plot, make}
function chartWidth(div) { return Math.max(300, div.clientWidth - 4); }
// Width of a y axis: room for its longest tick label (uPlot passes them formatted), so that a
// label such as "10.06 s" is never cut to "0.06 s".
function axisSize(u, values) {
  if (!values || !values.length) return 40;
  return Math.ceil(16 + 7.5 * Math.max(...values.map((v) => String(v).length)));
}
function yAxis(fmt, extra) {
  return Object.assign({ size: axisSize, values: (u, vals) => vals.map((v) => (v == null ? "" : fmt(v))) }, extra || {});
}
// Counts, rates, durations and sizes are never negative: their axes start at zero.
const FROM_ZERO = { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
function makeChart(id, series, opts) {
  const div = $(id);
  if (!hasCharts) {
    if (!div.firstChild) div.append(el("div", { class: "nochart" }, "charts unavailable (uPlot was not bundled at build time); the tables still work"));
    return null;
  }
  if (charts[id]) return charts[id];
  if (div.clientWidth === 0) return null;  // page hidden: build when shown
  const o = Object.assign({
    width: chartWidth(div), height: 220,
    series: [{}].concat(series.map((s, i) => Object.assign({ stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false } }, s))),
    axes: [{}, yAxis(rate)],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  }, opts || {});
  // Every y scale starts at zero unless the chart says otherwise (a log scale cannot).
  o.scales = Object.assign({ x: { time: true } }, o.scales);
  for (const key of ["y"].concat(series.map((s) => s.scale).filter(Boolean))) {
    if (!o.scales[key]) o.scales[key] = FROM_ZERO;
  }
  o.axes = o.axes.map((a, i) => (i === 0 || a.size ? a : Object.assign({ size: axisSize }, a)));
  const plot = new uPlot(o, [[]].concat(series.map(() => [])), div);
  charts[id] = plot;
  return plot;
}
function setChart(id, data, series, opts) {
  const plot = makeChart(id, series, opts);
  if (plot) plot.setData(data);
}
window.addEventListener("resize", () => {
  for (const [id, plot] of Object.entries(charts)) {
    const div = $(id);
    if (div.clientWidth > 0) plot.setSize({ width: chartWidth(div), height: 220 });
  }
});

// ---------- state kept from polling ----------
const hist = [];           // trigger progress objects, oldest first (bounded)
let lastBatch = null;
let query = null;
const partSeries = { t: [], byId: new Map() };   // per-partition records/s over time
const workSeries = { t: [], busy: new Map(), rss: [], state: [] };
let lastCpu = null;

function pushBounded(arr, v) { arr.push(v); if (arr.length > MAX_POINTS) arr.shift(); }

// ---------- Streaming ----------
function renderStreaming() {
  const last = hist[hist.length - 1];
  const q = query || {};
  const s = last ? last.sluice : {};
  const st = last ? last.stateOperators[0] : {};
  const tot = (last && s.totals) || q.totals || {};
  const lagging = last && last.inputRowsPerSecond > last.processedRowsPerSecond;
  $("stream-cards").replaceChildren(
    card("Input rate", last ? rate(last.inputRowsPerSecond) + "/s" : "–", "avg " + rate(q.avgInputRowsPerSecond) + "/s over the run"),
    card("Process rate", last ? rate(last.processedRowsPerSecond) + "/s" : "–", "avg " + rate(q.avgProcessedRowsPerSecond) + "/s while busy", lagging ? "warn" : ""),
    card("Last trigger", last ? secs(last.durationMs.triggerExecution) : "–", last ? "batch " + last.batchId + " · " + num(last.numInputRows) + " rows · " + secs(s.triggerIntervalMs) + " interval" : "no trigger yet"),
    card("Watermark", last && s.watermarkMs != null ? hms(s.watermarkMs) : "–", last ? day(s.watermarkMs) + " · newest event " + hms(s.maxEventTimeMs) : ""),
    card("Watermark gap", last && s.watermarkGapMs != null ? secs(s.watermarkGapMs) : "–", "newest event − watermark"),
    card("State", last ? num(st.numRowsTotal) + " rows" : "–", last ? bytes(st.memoryUsedBytes) + " · " + num(st.numRowsUpdated) + " updated · " + num(st.numRowsRemoved) + " removed" : ""),
    card("Late records", num(tot.lateRows), "behind the watermark, total", tot.lateRows > 0 ? "warn" : ""),
    card("Malformed records", num(tot.malformedRows), "could not be parsed, total", tot.malformedRows > 0 ? "warn" : ""),
    card("Output rows", num(tot.outputRows), "to " + (q.sink || "sink")),
    card("Uptime", secs(q.uptimeMs), num(tot.triggers) + " triggers · " + num(tot.inputRows) + " rows"));
  $("q-sql").textContent = q.sql || "";
  $("q-meta").replaceChildren(el("span", {}, "source ", el("b", {}, q.source || "–"), " · sink ", el("b", {}, q.sink || "–"),
    " · output mode ", el("b", {}, q.outputMode || "–"), " · trigger ", el("b", {}, secs(q.triggerIntervalMs)),
    " · watermark delay ", el("b", {}, secs(q.watermarkDelayMs)), " · workers ", el("b", {}, String(q.numWorkers || "–")),
    " · id ", el("b", {}, q.id || "–"), " · run ", el("b", {}, q.runId || "–")));

  const t = hist.map((p) => Date.parse(p.timestamp) / 1000);
  // A log scale: a 20k/s input and a 2M/s processing rate are both readable (0 is not drawn).
  const positive = (v) => (v > 0 ? v : null);
  setChart("ch-rates", [t, hist.map((p) => positive(p.inputRowsPerSecond)), hist.map((p) => positive(p.processedRowsPerSecond))],
    [{ label: "input rows/s", value: (u, v) => rate(v) }, { label: "processed rows/s", value: (u, v) => rate(v) }],
    { scales: { y: { distr: 3, log: 10 } } });

  // Stacked phases: each series is the cumulative sum; the legend shows the phase's own value.
  const raw = PHASES.map(([k]) => hist.map((p) => {
    const d = p.durationMs;
    if (k !== "other") return d[k] || 0;
    const sum = PHASES.slice(0, -1).reduce((a, [kk]) => a + (d[kk] || 0), 0);
    return Math.max(0, d.triggerExecution - sum);
  }));
  const stacked = raw.map((_, i) => t.map((_, j) => raw.slice(0, i + 1).reduce((a, r) => a + r[j], 0)));
  const phaseSeries = PHASES.map(([, label], i) => ({
    label, fill: COLORS[i % COLORS.length] + "55", value: (u, v, si, idx) => idx == null ? "–" : raw[i][idx] + " ms",
  }));
  const bands = PHASES.slice(1).map((_, i) => ({ series: [i + 2, i + 1] }));
  // Draw the top band first so the fills do not cover each other.
  setChart("ch-durations", [t].concat(stacked), phaseSeries, {
    bands, axes: [{}, yAxis((v) => v + " ms")],
  });

  const bars = hasCharts ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
  setChart("ch-rows", [t, hist.map((p) => p.numInputRows), hist.map((p) => p.sink.numOutputRows)],
    [{ label: "input rows", paths: bars, fill: COLORS[0] + "88", value: (u, v) => num(v) },
     { label: "output rows", scale: "out", value: (u, v) => num(v) }],
    { axes: [{}, yAxis(rate), yAxis(rate, { scale: "out", side: 1, grid: { show: false } })] });
  setChart("ch-state", [t, hist.map((p) => p.stateOperators[0].numRowsTotal), hist.map((p) => p.stateOperators[0].memoryUsedBytes)],
    [{ label: "state rows", value: (u, v) => num(v) }, { label: "state bytes", scale: "bytes", value: (u, v) => bytes(v) }],
    { axes: [{}, yAxis(rate), yAxis(bytes, { scale: "bytes", side: 1, grid: { show: false } })] });
  setChart("ch-gap", [t, hist.map((p) => p.sluice.watermarkGapMs == null ? null : p.sluice.watermarkGapMs / 1000)],
    [{ label: "gap (s)", value: (u, v) => v == null ? "–" : v.toFixed(1) + " s" }],
    { axes: [{}, yAxis((v) => v + " s")] });
  setChart("ch-late", [t, hist.map((p) => p.sluice.lateRows), hist.map((p) => p.sluice.malformedRows)],
    [{ label: "late", value: (u, v) => num(v) }, { label: "malformed", value: (u, v) => num(v) }]);
}

// ---------- Plan ----------
function renderPlan(plan) {
  const nodes = plan.nodes || [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const totalNs = nodes.reduce((a, n) => a + n.timeNs, 0) || 1;
  const uptimeS = query && query.uptimeMs ? query.uptimeMs / 1000 : 0;
  // Level: longest path from a source (children are the operator's inputs).
  const level = new Map();
  const depth = (n, seen) => {
    if (level.has(n.id)) return level.get(n.id);
    if (seen.has(n.id)) return 0;
    seen.add(n.id);
    const d = n.children.length ? 1 + Math.max(...n.children.map((c) => byId.has(c) ? depth(byId.get(c), seen) : 0)) : 0;
    level.set(n.id, d);
    return d;
  };
  nodes.forEach((n) => depth(n, new Set()));
  const rows = new Map();
  nodes.forEach((n) => { const l = level.get(n.id); if (!rows.has(l)) rows.set(l, []); rows.get(l).push(n); });
  const W = 360, H = 66, GX = 40, GY = 40, PAD = 30;
  const maxPerRow = Math.max(1, ...[...rows.values()].map((r) => r.length));
  const width = PAD * 2 + maxPerRow * W + (maxPerRow - 1) * GX + 120;
  const pos = new Map();
  [...rows.keys()].sort((a, b) => a - b).forEach((l) => {
    const r = rows.get(l);
    const rowW = r.length * W + (r.length - 1) * GX;
    r.forEach((n, i) => pos.set(n.id, { x: (width - 120 - rowW) / 2 + i * (W + GX), y: PAD + l * (H + GY) }));
  });
  const height = PAD * 2 + rows.size * (H + GY);
  const g = $("plan-graph");
  g.setAttribute("width", width); g.setAttribute("height", height);
  g.setAttribute("viewBox", "0 0 " + width + " " + height);
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#64748b" }));
  defs.append(marker);
  const parts = [defs];
  // Stage boxes around their operators: one box per run of consecutive levels, since a stage
  // (e.g. the driver's) can appear above and below another one.
  const segments = [];
  [...rows.keys()].sort((a, b) => a - b).forEach((l) => {
    for (const n of rows.get(l)) {
      const seg = segments.find((g) => g.stage === n.stage && g.last === l - 1) || segments.find((g) => g.stage === n.stage && g.last === l);
      if (seg) { seg.last = l; seg.ps.push(pos.get(n.id)); } else segments.push({ stage: n.stage, last: l, ps: [pos.get(n.id)] });
    }
  });
  for (const { stage, ps } of segments) {
    const x0 = Math.min(...ps.map((p) => p.x)) - 14, y0 = Math.min(...ps.map((p) => p.y)) - 12;
    const x1 = Math.max(...ps.map((p) => p.x)) + W + 14, y1 = Math.max(...ps.map((p) => p.y)) + H + 10;
    const sg = svg("g", { class: "stage" });
    sg.append(svg("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }), svg("text", { x: x1 + 6, y: y0 + 14 }, "stage " + stage));
    parts.push(sg);
  }
  for (const n of nodes) {
    for (const c of n.children) {
      if (!pos.has(c)) continue;
      const a = pos.get(c), b = pos.get(n.id);
      const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
      parts.push(svg("path", { class: "edge", d: `M ${x1} ${y1} C ${x1} ${(y1 + y2) / 2}, ${x2} ${(y1 + y2) / 2}, ${x2} ${y2 - 2}` }));
      const child = byId.get(c);
      parts.push(svg("text", { class: "edge-label", x: (x1 + x2) / 2 + 8, y: (y1 + y2) / 2 + 4 }, rate(child.rowsOut) + " rows"));
    }
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const share = n.timeNs / totalNs;
    const ng = svg("g", { class: "node" + (share > 0.4 ? " hot" : ""), transform: `translate(${p.x},${p.y})` });
    const detail = n.detail.length > 58 ? n.detail.slice(0, 57) + "…" : n.detail;
    const title = svg("title", {}, n.name + " #" + n.id + "\n" + n.detail);
    ng.append(title, svg("rect", { width: W, height: H }),
      svg("text", { class: "name", x: 10, y: 18 }, n.name + "  #" + n.id),
      svg("text", { class: "detail", x: 10, y: 35 }, detail),
      svg("text", { class: "stats", x: 10, y: 55 },
        "in " + rate(n.rowsIn) + " · out " + rate(n.rowsOut) + " · " + secs(Math.round(n.timeNs / 1e6)) + " (" + (share * 100).toFixed(0) + "%)"));
    parts.push(ng);
  }
  g.replaceChildren(...parts);
  fillTable($("plan-table"),
    [["#", true], ["operator"], ["detail"], ["stage", true], ["rows in", true], ["rows out", true], ["selectivity", true],
     ["time", true], ["time share"], ["rows/s of busy time", true]],
    nodes.map((n) => [String(n.id), n.name, n.detail, String(n.stage), num(n.rowsIn), num(n.rowsOut),
      n.rowsIn ? (100 * n.rowsOut / n.rowsIn).toFixed(2) + " %" : "–", secs(Math.round(n.timeNs / 1e6)),
      bar(n.timeNs / totalNs, n.timeNs / totalNs > 0.4), n.timeNs ? rate(n.rowsIn / (n.timeNs / 1e9)) : "–"]),
    uptimeS ? "no plan reported" : "waiting for the query to start");
}

// ---------- Partitions ----------
// Series are collected on every poll (not only while the page is visible) so the charts have
// history when the page is opened.
function collectPartitions(d) {
  const ps = d.partitions || [];
  pushBounded(partSeries.t, Date.now() / 1000);
  for (const p of ps) {
    if (!partSeries.byId.has(p.partition)) partSeries.byId.set(p.partition, new Array(partSeries.t.length - 1).fill(null));
  }
  for (const [id, arr] of partSeries.byId) {
    const p = ps.find((x) => x.partition === id);
    arr.push(p ? p.recordsPerSecond : null);
    while (arr.length > partSeries.t.length) arr.shift();
  }
}
function renderPartitions(d) {
  const ps = d.partitions || [];
  const active = ps.filter((p) => !p.idle);
  const rates = active.map((p) => p.recordsPerSecond);
  const maxRate = Math.max(0, ...ps.map((p) => p.recordsPerSecond));
  const mean = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
  const skew = mean > 0 ? Math.max(...rates) / mean : 0;
  const lags = ps.filter((p) => p.lag != null).map((p) => p.lag).sort((a, b) => a - b);
  const medianLag = lags.length ? lags[Math.floor(lags.length / 2)] : 0;
  const laggingOf = (p) => p.lag != null && p.lag > 1000 && p.lag > 2 * medianLag;
  $("part-cards").replaceChildren(
    card("Partitions", String(ps.length), ps.filter((p) => p.idle).length + " idle"),
    card("Records/s", rate(ps.reduce((a, p) => a + p.recordsPerSecond, 0)) + "/s", "all partitions, last trigger"),
    card("Skew", skew ? skew.toFixed(2) + "×" : "–", "busiest partition / mean", skew > 1.5 ? "warn" : ""),
    card("Total lag", lags.length ? num(lags.reduce((a, b) => a + b, 0)) : "unknown", "records behind the end", ps.some(laggingOf) ? "warn" : ""),
    card("Global watermark", hms(d.watermarkMs), day(d.watermarkMs) + " · min over non-idle partitions"));
  const series = [...partSeries.byId.keys()].sort((a, b) => a - b);
  setChart("ch-partitions", [partSeries.t].concat(series.map((id) => partSeries.byId.get(id))),
    series.map((id) => ({ label: "partition " + id, value: (u, v) => v == null ? "–" : rate(v) + "/s" })));
  fillTable($("part-table"),
    [["partition", true], ["records/s", true], [""], ["records", true], ["next offset", true], ["end offset", true],
     ["lag", true], ["watermark"], ["newest event"], ["behind global max", true], ["status"]],
    ps.map((p) => [String(p.partition), rate(p.recordsPerSecond), bar(maxRate ? p.recordsPerSecond / maxRate : 0, skew > 1.5 && p.recordsPerSecond === maxRate),
      num(p.recordsTotal), num(p.nextOffset), p.endOffset == null ? "–" : num(p.endOffset), p.lag == null ? "–" : num(p.lag),
      utc(p.watermarkMs), utc(p.maxEventTimeMs),
      p.maxEventTimeMs != null && d.maxEventTimeMs != null ? secs(d.maxEventTimeMs - p.maxEventTimeMs) : "–",
      el("span", {}, p.idle ? el("span", { class: "tag idle" }, "idle") : el("span", { class: "tag" }, "active"), " ",
        laggingOf(p) ? el("span", { class: "tag lag" }, "lagging") : null)]),
    "the source reports no partitions yet",
    (i) => ps[i].idle ? "idle" : laggingOf(ps[i]) ? "warn" : "");
}

// ---------- Windows ----------
function renderWindows(d) {
  const ws = d.windows || [];
  const wm = d.watermarkMs;
  const next = ws.length ? ws[0] : null;
  $("win-cards").replaceChildren(
    card("Watermark", hms(wm), wm == null ? "no event time seen yet" : day(wm) + " · event time"),
    card("Open windows", num(d.openWindows), d.truncated ? "showing the oldest " + ws.length : "holding state"),
    card("Next to fire", next ? hms(next.startMs) + "–" + hms(next.endMs).slice(3) : "–", next ? "fires when the watermark reaches " + hms(next.firesAtMs) : ""),
    card("It waits for", next && next.waitingForMs != null ? secs(next.waitingForMs) : "–", "of event time (watermark advance)"),
    card("Rows in open windows", num(ws.reduce((a, w) => a + w.groups, 0)), num(ws.reduce((a, w) => a + w.inputRows, 0)) + " input records"));
  fillTable($("win-table"),
    [["window start"], ["window end"], ["groups", true], ["input records", true], ["fires at (watermark ≥)"], ["waiting for", true], ["watermark progress"]],
    ws.map((w) => {
      const span = w.firesAtMs - w.startMs;
      const frac = wm == null || span <= 0 ? 0 : (wm - w.startMs) / span;
      return [utc(w.startMs), utc(w.endMs), num(w.groups), num(w.inputRows), utc(w.firesAtMs),
        w.waitingForMs == null ? "–" : w.waitingForMs === 0 ? "fires next trigger" : secs(w.waitingForMs), bar(frac)];
    }), "no open windows (nothing buffered, or the query has no window)");
}

// ---------- Results ----------
function renderResults(d) {
  const cols = d.columns || [];
  $("res-meta").replaceChildren(el("span", {}, cols.length ? "batch " : "no output yet", cols.length ? el("b", {}, String(d.batchId)) : null,
    cols.length ? " · " + d.outputMode + " mode · " + num(d.totalRows) + " rows" + (d.truncated ? " (showing the first " + d.rows.length + ")" : "") : ""));
  fillTable($("res-table"), cols.map((c) => [c]), d.rows || [], "no result rows yet");
}

// ---------- Workers ----------
let cpuPct = null;
function collectWorkers(d) {
  const ws = d.workers || [];
  const pr = d.process || {};
  const now = Date.now() / 1000;
  if (lastCpu && now > lastCpu.t) cpuPct = 100 * (pr.cpuSeconds - lastCpu.v) / (now - lastCpu.t);
  lastCpu = { t: now, v: pr.cpuSeconds };
  pushBounded(workSeries.t, now);
  pushBounded(workSeries.rss, pr.residentMemoryBytes);
  pushBounded(workSeries.state, d.state ? d.state.memoryBytes : null);
  for (const w of ws) if (!workSeries.busy.has(w.id)) workSeries.busy.set(w.id, new Array(workSeries.t.length - 1).fill(null));
  for (const [id, arr] of workSeries.busy) {
    const w = ws.find((x) => x.id === id);
    arr.push(w ? w.busyShare * 100 : null);
    while (arr.length > workSeries.t.length) arr.shift();
  }
}
function renderWorkers(d) {
  const ws = d.workers || [];
  const pr = d.process || {};
  const totalRecords = ws.reduce((a, w) => a + w.recordsLastTrigger, 0);
  $("work-cards").replaceChildren(
    card("Workers", String(ws.length), "threads processing batches"),
    card("Process memory", bytes(pr.residentMemoryBytes), "peak " + bytes(pr.maxResidentMemoryBytes)),
    card("CPU", cpuPct == null ? "–" : cpuPct.toFixed(0) + " %", (pr.cpuSeconds || 0).toFixed(1) + " s total"),
    card("State", bytes(d.state ? d.state.memoryBytes : null), num(d.state ? d.state.rows : null) + " rows"),
    card("Busiest worker", ws.length ? (100 * Math.max(...ws.map((w) => w.busyShare))).toFixed(0) + " %" : "–", "busy share, last trigger"));
  const ids = [...workSeries.busy.keys()].sort((a, b) => a - b);
  setChart("ch-busy", [workSeries.t].concat(ids.map((id) => workSeries.busy.get(id))),
    ids.map((id) => ({ label: "worker " + id, value: (u, v) => v == null ? "–" : v.toFixed(0) + " %" })),
    { scales: { y: { range: [0, 100] } }, axes: [{}, yAxis((v) => v + " %")] });
  setChart("ch-memory", [workSeries.t, workSeries.rss, workSeries.state],
    [{ label: "process RSS", value: (u, v) => bytes(v) }, { label: "state", value: (u, v) => bytes(v) }],
    { axes: [{}, yAxis(bytes)] });
  fillTable($("work-table"),
    [["worker", true], ["busy share", true], [""], ["records last trigger", true], ["share of records", true], ["records total", true]],
    ws.map((w) => [String(w.id), (w.busyShare * 100).toFixed(1) + " %", bar(w.busyShare, w.busyShare > 0.9), num(w.recordsLastTrigger),
      totalRecords ? (100 * w.recordsLastTrigger / totalRecords).toFixed(1) + " %" : "–", num(w.recordsTotal)]),
    "no worker reported yet");
  renderGroup(d.group);
}

// ---------- Workers: group mode ----------
const GONE_AFTER_MS = 15000;  // members write their file about once a second
function ago(ms) {
  if (ms == null) return "–";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));  // a member's clock may be ahead
  return (s < 120 ? s + "s" : s < 7200 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h") + " ago";
}
// "input 3 epoch 12 next 4943 end 4943" -> {kind: "input", partition: 3, epoch: 12, next: 4943, end: 4943}
function parseUnit(text) {
  const w = text.trim().split(/\s+/);
  const u = { kind: w[0], partition: Number(w[1]), text };
  for (let i = 2; i + 1 < w.length; i += 2) u[w[i]] = Number(w[i + 1]);
  return u;
}
function unitTag(kind, partition, title) {
  return el("span", { class: "tag unit " + kind, title: title || "" }, kind + " " + partition);
}
function inputLag(units) {
  const known = units.filter((u) => u.kind === "input" && u.end >= 0 && u.next >= 0);
  return known.length ? known.reduce((a, u) => a + Math.max(0, u.end - u.next), 0) : null;
}
function renderGroup(g) {
  $("group").hidden = !g;
  if (!g) return;
  const members = g.members || [], units = g.units || [];
  const rebalances = (g.rebalances || []).slice().reverse();  // the API lists them oldest first
  const gone = (m) => Date.now() - m.updatedMs > GONE_AFTER_MS;
  const lags = units.filter((u) => u.kind === "input" && u.lag >= 0);
  const count = (kind) => units.filter((u) => u.kind === kind).length;
  const lastRb = rebalances[0];
  const goneCount = members.filter(gone).length;
  $("group-cards").replaceChildren(
    card("Group", g.id, members.length + " member" + (members.length === 1 ? "" : "s")),
    card("Exchange topic", g.exchangeTopic || "none", g.exchangeTopic ? "partial aggregates between members" : "no exchange: nothing travels between members", "wide"),
    card("Members", String(members.length), goneCount ? goneCount + " not seen for over " + GONE_AFTER_MS / 1000 + " s" : "all seen lately", goneCount ? "warn" : ""),
    card("Units here", String(units.length), count("input") + " input · " + count("shard") + " shard"),
    card("Lag here", lags.length ? num(lags.reduce((a, u) => a + u.lag, 0)) : "–", "records behind the end, this member's inputs"),
    card("Rebalances here", String(rebalances.length), lastRb ? "last " + ago(lastRb.atMs) : "none yet"));

  fillTable($("group-members"),
    [["member"], ["host"], ["last seen", true], ["owns"], ["input lag", true]],
    members.map((m) => {
      const us = (m.partitions || []).map(parseUnit);
      const lag = inputLag(us);
      return [el("span", {}, m.memberId, m.self ? el("span", { class: "tag self" }, "this process") : null),
        m.host, el("span", {}, ago(m.updatedMs), gone(m) ? el("span", { class: "tag gone", title: "no update for over " + GONE_AFTER_MS / 1000 + " s: it may have died; what it owns is its last report" }, "gone?") : null),
        us.length ? el("span", { class: "units" }, ...us.map((u) => unitTag(u.kind, u.partition, u.text))) : "nothing",
        lag == null ? "–" : num(lag)];
    }), "no member file yet", (i) => (gone(members[i]) ? "gone" : "") + (members[i].self ? " self" : ""));

  fillTable($("group-units"),
    [["kind"], ["partition", true], ["epoch", true], ["next offset", true], ["end offset", true], ["lag", true],
     ["state rows", true], ["watermark"]],
    units.map((u) => [unitTag(u.kind, u.partition), String(u.partition), num(u.epoch), u.nextOffset < 0 ? "–" : num(u.nextOffset),
      u.endOffset < 0 ? "–" : num(u.endOffset), u.lag < 0 ? "–" : num(u.lag), num(u.stateRows), utc(u.watermarkMs)]),
    "this member owns no unit (yet)");

  renderTimeline($("group-timeline"), rebalances);
  fillTable($("group-rebalances"),
    [["time"], ["ago", true], ["change"], ["restore", true]],
    rebalances.map((r) => {
      const [verb, kind, partition] = r.change.split(" ");
      return [utc(r.atMs), ago(r.atMs),
        el("span", {}, el("span", { class: "tag " + verb }, verb), " ", kind && partition != null ? unitTag(kind, partition) : r.change),
        verb === "assigned" ? r.restoreMs + " ms" : "–"];
    }), "no rebalance yet");
}
// One mark per change on a time axis from the first one to now: assigned above, revoked below.
function renderTimeline(div, rebalances) {
  const width = Math.max(300, div.clientWidth - 2), height = 64, pad = 12, mid = 30;
  const parts = [svg("line", { class: "axis", x1: pad, y1: mid, x2: width - pad, y2: mid })];
  if (rebalances.length) {
    const now = Date.now();
    const t0 = Math.min(...rebalances.map((r) => r.atMs));
    const span = Math.max(1000, now - t0);
    const x = (t) => pad + (width - 2 * pad) * (t - t0) / span;
    for (const r of rebalances) {
      const up = r.change.startsWith("assigned");
      const mark = svg("line", { class: "mark " + (up ? "assigned" : "revoked"), x1: x(r.atMs), x2: x(r.atMs), y1: up ? mid - 16 : mid, y2: up ? mid : mid + 16 });
      mark.append(svg("title", {}, utc(r.atMs) + "  " + r.change + (up ? " · restore " + r.restoreMs + " ms" : "")));
      parts.push(mark);
    }
    parts.push(svg("text", { x: pad, y: height - 4 }, utc(t0)), svg("text", { x: width - pad, y: height - 4, "text-anchor": "end" }, "now"));
  } else {
    parts.push(svg("text", { x: width / 2, y: height - 4, "text-anchor": "middle" }, "no rebalance yet"));
  }
  const s = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "rebalances over time" });
  s.replaceChildren(...parts);
  div.replaceChildren(s);
}

// ---------- polling and routing ----------
const pageEndpoint = {
  plan: ["/api/plan", renderPlan], partitions: ["/api/partitions", renderPartitions], windows: ["/api/windows", renderWindows],
  results: ["/api/results", renderResults], workers: ["/api/workers", renderWorkers],
};
const collected = { partitions: true, workers: true };  // fetched on every poll anyway
function currentPage() {
  const p = location.hash.replace("#", "");
  return PAGES.includes(p) ? p : "streaming";
}
async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
let polling = false;
async function poll() {
  if (polling) return;
  polling = true;
  const page = currentPage();
  try {
    const after = lastBatch == null ? "" : "?after=" + lastBatch;
    const jobs = [getJson("/api/query"), getJson("/api/progress/history" + after),
      getJson("/api/partitions"), getJson("/api/workers")];
    const own = pageEndpoint[page] && !collected[page];
    if (own) jobs.push(getJson(pageEndpoint[page][0]));
    const [q, newer, parts, workers, own_data] = await Promise.all(jobs);
    collectPartitions(parts);
    collectWorkers(workers);
    const pageData = own ? own_data : page === "partitions" ? parts : workers;
    query = q;
    // A restarted run starts again from batch 0 (or its checkpoint): keep ids increasing.
    if (newer.length && lastBatch != null && newer[0].batchId <= lastBatch) hist.length = 0;
    for (const p of newer) pushBounded(hist, p);
    if (hist.length) lastBatch = hist[hist.length - 1].batchId;
    // The header already says "sluice": show the query's name (Spark's queryName) or its id.
    $("q-name").textContent = q.name || (q.id ? "query " + q.id.slice(0, 8) : "query");
    const badge = $("q-state");
    badge.textContent = q.state;
    badge.className = "badge " + q.state;
    document.title = "sluice · " + (q.name || "query") + " · " + q.state;
    showSourceStatus(q.sourceStatus);
    if (page === "streaming") renderStreaming();
    else pageEndpoint[page][1](pageData);
    const conn = $("conn");
    conn.textContent = "updated " + new Date().toLocaleTimeString();
    conn.className = "conn";
    document.body.dataset.updated = String(Date.now());
  } catch (e) {
    const conn = $("conn");
    conn.textContent = "disconnected: " + e.message;
    conn.className = "conn down";
  } finally {
    polling = false;
  }
}
// The Kafka source's reachability (sourceStatus of /api/query and /api/progress).
function showSourceStatus(st) {
  const b = $("source-banner");
  if (!st || (st.reachable && !st.skippedRecords)) {
    b.hidden = true;
    return;
  }
  const parts = [];
  if (!st.reachable) {
    const since = st.unreachableSinceMs ? Math.round((Date.now() - st.unreachableSinceMs) / 1000) : 0;
    parts.push("Kafka unreachable for " + since + " s" + (st.error ? ": " + st.error : "") +
      " (librdkafka keeps retrying)");
  }
  if (st.skippedRecords) parts.push(num(st.skippedRecords) + " records skipped (gone from the topic)");
  b.textContent = parts.join(" · ");
  b.hidden = false;
}
function showPage() {
  const page = currentPage();
  for (const p of PAGES) $("page-" + p).hidden = p !== page;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page);
  poll();
}
window.addEventListener("hashchange", showPage);
if (!hasCharts) {
  const b = $("banner");
  b.textContent = "Charts are unavailable: uPlot was not bundled into this build (npm was not reachable when sluice was built). The tables and numbers still update live.";
  b.hidden = false;
}
showPage();
setInterval(poll, POLL_MS);
