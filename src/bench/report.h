// The benchmark report as a document: sections of paragraphs, tables, plots and the exact
// command lines that produced the figures. It is rendered twice from the same model, as
// Markdown (report.md) and as one self-contained HTML page (report.html, uPlot inlined from the
// binary's embedded UI assets: opening it needs no network). Built by the bench thread only.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sluice::bench {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// A line plot: each series is its own (x, y) points; the HTML merges their x values.
struct Plot {
  std::string id;  // HTML element id, unique in the report
  std::string title;
  std::string x_label;
  std::string y_label;
  struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points;
  };
  std::vector<Series> series;
};

// A block of a section, in order. Text is Markdown-lite: paragraphs, `code`, lists ("- ").
struct Block {
  enum class Kind { kText, kTable, kPlot, kCommands };
  Kind kind = Kind::kText;
  std::string text;
  Table table;
  Plot plot;
  std::vector<std::string> commands;
};

struct Section {
  std::string title;
  std::vector<Block> blocks;

  Section& Text(std::string t);
  Section& AddTable(Table t);
  Section& AddPlot(Plot p);
  Section& Commands(std::vector<std::string> lines);
  Section& Push(Block b);
};

struct Report {
  std::string title;
  std::vector<Section> sections;

  Section& Add(std::string section_title);
  std::string Markdown() const;
  // uplot_js / uplot_css empty: the page says plots are unavailable and shows the tables.
  std::string Html(std::string_view uplot_js, std::string_view uplot_css) const;
};

// Number formatting shared by the sections: "1.23 M", "456 k", "0.123".
std::string FormatRate(double per_s);
std::string FormatFixed(double v, int decimals);

}  // namespace sluice::bench
