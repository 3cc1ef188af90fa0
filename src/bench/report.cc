#include "bench/report.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <string_view>

#include "monitor/json_text.h"

namespace sluice::bench {
namespace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// `code` spans of escaped text become <code> elements.
std::string InlineHtml(std::string_view s) {
  std::string escaped = HtmlEscape(s), out;
  bool open = false;
  for (char c : escaped) {
    if (c == '`') {
      out += open ? "</code>" : "<code>";
      open = !open;
    } else {
      out += c;
    }
  }
  if (open) out += "</code>";
  return out;
}

// Paragraphs separated by blank lines; a paragraph whose lines start with "- " is a list.
std::string TextHtml(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view para(text.data() + pos, end - pos);
    pos = end + 2;
    if (para.empty()) continue;
    if (para.rfind("- ", 0) == 0) {
      out += "<ul>";
      size_t p = 0;
      while (p < para.size()) {
        size_t nl = para.find("\n- ", p);
        if (nl == std::string_view::npos) nl = para.size();
        out += "<li>" + InlineHtml(para.substr(p + 2, nl - p - 2)) + "</li>";
        p = nl + 1;
      }
      out += "</ul>\n";
    } else {
      out += "<p>" + InlineHtml(para) + "</p>\n";
    }
  }
  return out;
}

std::string TableMarkdown(const Table& t) {
  auto row = [](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (const auto& c : cells) s += " " + c + " |";
    return s + "\n";
  };
  std::string s = row(t.header);
  s += "|";
  for (size_t i = 0; i < t.header.size(); ++i) s += " --- |";
  s += "\n";
  for (const auto& r : t.rows) s += row(r);
  return s;
}

std::string TableHtml(const Table& t) {
  std::string s = "<table><thead><tr>";
  for (const auto& h : t.header) s += "<th>" + InlineHtml(h) + "</th>";
  s += "</tr></thead><tbody>";
  for (const auto& r : t.rows) {
    s += "<tr>";
    for (const auto& c : r) s += "<td>" + InlineHtml(c) + "</td>";
    s += "</tr>";
  }
  return s + "</tbody></table>\n";
}

// {id, title, x_label, y_label, names, data}: data in uPlot's columnar form, the union of the
// series' x values first, null where a series has no point.
void PlotJson(JsonText& j, const Plot& p) {
  std::map<double, std::vector<double>> columns;
  for (size_t i = 0; i < p.series.size(); ++i) {
    for (const auto& [x, y] : p.series[i].points) {
      auto& col = columns[x];
      col.resize(p.series.size(), std::nan(""));
      col[i] = y;
    }
  }
  j.BeginObject()
      .Field("id", p.id)
      .Field("title", p.title)
      .Field("x_label", p.x_label)
      .Field("y_label", p.y_label);
  j.Key("names").BeginArray();
  for (const auto& s : p.series) j.String(s.name);
  j.EndArray().Key("data").BeginArray().BeginArray();
  for (const auto& [x, _] : columns) j.Double(x);
  j.EndArray();
  for (size_t i = 0; i < p.series.size(); ++i) {
    j.BeginArray();
    for (const auto& [_, col] : columns) j.Double(col[i]);
    j.EndArray();
  }
  j.EndArray().EndObject();
}

constexpr std::string_view kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; }
h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 10px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
code, pre { font: 12px ui-monospace, monospace; background: #f4f4f4; }
pre { padding: 8px; white-space: pre-wrap; word-break: break-all; }
.plot { margin: 12px 0; min-height: 340px; }
.note { color: #a00; }
)";

// Draws every plot with uPlot; a plot's element gets data-drawn="1" once drawn.
constexpr std::string_view kPlotScript = R"(
(function () {
  var colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"];
  PLOTS.forEach(function (p) {
    var el = document.getElementById(p.id);
    if (typeof uPlot !== "function") {
      el.innerHTML = "<p class=note>Plots unavailable: this sluice was built without uPlot (npm).</p>";
      return;
    }
    var series = [{ label: p.x_label }];
    p.names.forEach(function (n, i) {
      series.push({ label: n, stroke: colors[i % colors.length], width: 2, spanGaps: true,
                    points: { show: true, size: 6 } });
    });
    new uPlot({ title: p.title, width: Math.min(960, el.clientWidth || 960), height: 300,
                scales: { x: { time: false } },
                axes: [{ label: p.x_label }, { label: p.y_label, size: 70 }], series: series },
              p.data, el);
    el.dataset.drawn = "1";
  });
  document.body.dataset.plots = String(PLOTS.length);
})();
)";

}  // namespace

Section& Section::Push(Block b) {
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::Text(std::string t) { return Push({.text = std::move(t)}); }

Section& Section::AddTable(Table t) {
  return Push({.kind = Block::Kind::kTable, .table = std::move(t)});
}

Section& Section::AddPlot(Plot p) {
  return Push({.kind = Block::Kind::kPlot, .plot = std::move(p)});
}

Section& Section::Commands(std::vector<std::string> lines) {
  return Push({.kind = Block::Kind::kCommands, .commands = std::move(lines)});
}

Section& Report::Add(std::string section_title) {
  sections.push_back(Section{std::move(section_title), {}});
  return sections.back();
}

std::string Report::Markdown() const {
  std::string s = "# " + title + "\n";
  for (const auto& sec : sections) {
    s += "\n## " + sec.title + "\n";
    for (const auto& b : sec.blocks) {
      s += "\n";
      switch (b.kind) {
        case Block::Kind::kText:
          s += b.text + "\n";
          break;
        case Block::Kind::kTable:
          s += TableMarkdown(b.table);
          break;
        case Block::Kind::kPlot:
          s += "Plot (in report.html): " + b.plot.title + "\n";
          break;
        case Block::Kind::kCommands:
          s += "```sh\n";
          for (const auto& c : b.commands) s += c + "\n";
          s += "```\n";
          break;
      }
    }
  }
  return s;
}

std::string Report::Html(std::string_view uplot_js, std::string_view uplot_css) const {
  JsonText plots;
  plots.BeginArray();
  std::string body = "<h1>" + HtmlEscape(title) + "</h1>\n";
  for (const auto& sec : sections) {
    body += "<h2>" + HtmlEscape(sec.title) + "</h2>\n";
    for (const auto& b : sec.blocks) {
      switch (b.kind) {
        case Block::Kind::kText:
          body += TextHtml(b.text);
          break;
        case Block::Kind::kTable:
          body += TableHtml(b.table);
          break;
        case Block::Kind::kPlot:
          body += "<div class=plot id=\"" + HtmlEscape(b.plot.id) + "\"></div>\n";
          PlotJson(plots, b.plot);
          break;
        case Block::Kind::kCommands:
          body += "<pre>";
          for (const auto& c : b.commands) body += HtmlEscape(c) + "\n";
          body += "</pre>\n";
          break;
      }
    }
  }
  plots.EndArray();
  std::string s = "<!doctype html>\n<html><head><meta charset=utf-8><title>" + HtmlEscape(title) +
                  "</title>\n<style>" + std::string(uplot_css) + "</style>\n<style>" +
                  std::string(kStyle) + "</style>\n";
  // uPlot's minified code holds no "</script"; the plot data is JSON escaped below.
  if (!uplot_js.empty()) s += "<script>" + std::string(uplot_js) + "</script>\n";
  std::string data = plots.Take();
  for (size_t p = 0; (p = data.find("</", p)) != std::string::npos; p += 3)
    data.replace(p, 2, "<\\/");
  s += "</head><body>\n" + body + "<script>var PLOTS = " + data + ";\n" + std::string(kPlotScript) +
       "</script>\n</body></html>\n";
  return s;
}

std::string FormatRate(double per_s) {
  if (per_s >= 1e6) return fmt::format("{:.2f} M", per_s / 1e6);
  if (per_s >= 1e3) return fmt::format("{:.0f} k", per_s / 1e3);
  return fmt::format("{:.0f}", per_s);
}

std::string FormatFixed(double v, int decimals) {
  if (std::isnan(v)) return "n/a";
  return fmt::format("{:.{}f}", v, decimals);
}

}  // namespace sluice::bench
