#include "plan/query_identity.h"

#include "plan/expr_printer.h"

namespace sluice {
namespace {

const char* AggName(AggKind k) {
  switch (k) {
    case AggKind::kCountStar:
      return "count(*)";
    case AggKind::kCount:
      return "count";
    case AggKind::kSum:
      return "sum";
    case AggKind::kMin:
      return "min";
    case AggKind::kMax:
      return "max";
    case AggKind::kAvg:
      return "avg";
  }
  return "?";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> QueryStateParts(const BoundQuery& q,
                                                                 OutputMode mode) {
  std::vector<std::string> input;
  for (const auto& f : q.input_fields) input.push_back(f.name);
  std::vector<std::pair<std::string, std::string>> parts;
  parts.emplace_back("where", q.where ? ExprToSql(*q.where, input) : "-");
  std::string keys;
  for (const auto& k : q.group_keys) {
    if (!keys.empty()) keys += ", ";
    keys += ExprToSql(*k, input) + " " + std::string(TypeName(k->type));
  }
  parts.emplace_back("group by", keys.empty() ? "-" : keys);
  std::string window = "-";
  if (q.window) {
    window = "size " + std::to_string(q.window->size_ms) + " ms, slide " +
             std::to_string(q.window->slide_ms) + " ms, offset " +
             std::to_string(q.window->offset_ms) + " ms";
  }
  parts.emplace_back("window", window);
  parts.emplace_back("event time", q.event_time_slot >= 0
                                       ? q.input_fields[static_cast<size_t>(q.event_time_slot)].name
                                       : "-");
  std::string aggs;
  for (const auto& a : q.aggregates) {
    if (!aggs.empty()) aggs += ", ";
    aggs += AggName(a.kind);
    if (a.arg) aggs += "(" + ExprToSql(*a.arg, input) + ")";
    aggs += " " + std::string(TypeName(a.result_type));
  }
  parts.emplace_back("aggregates", aggs.empty() ? "-" : aggs);
  parts.emplace_back("output mode", std::string(OutputModeName(mode)));
  return parts;
}

}  // namespace sluice
