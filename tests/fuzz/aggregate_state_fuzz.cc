// libFuzzer target: aggregation state read back from a checkpoint (AggregateState::Deserialize)
// or from another process's exchange message (ExchangeMessage::Decode, then the partial state).
// The first byte picks one of a few queries (tumbling, sliding, no window; every aggregate
// function and key type) and whether the rest is a state or an exchange message. Damaged bytes
// must be refused with Corruption; a state that decodes must serialize, decode again, merge and
// produce its rows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "exec/aggregate_state.h"
#include "exec/exchange_message.h"
#include "sql/binder.h"
#include "sql/schema_parser.h"

namespace {

constexpr std::string_view kQueries[] = {
    "SELECT window.start, s, count(*) FROM t GROUP BY window(ts, '10 seconds'), s",
    "SELECT window.start, window.end, s, i, count(*), sum(d) FROM t "
    "GROUP BY window(ts, '1 minute', '10 seconds'), s, i",
    "SELECT s, b, count(*), count(i), sum(i), sum(d), avg(d), avg(i), min(s), max(s), min(i), "
    "max(d), min(b) FROM t GROUP BY s, b",
    "SELECT count(*), sum(i), min(s), max(d) FROM t",
};
constexpr size_t kNumQueries = sizeof(kQueries) / sizeof(kQueries[0]);

const std::vector<std::unique_ptr<sluice::BoundQuery>>& Queries() {
  static const auto* queries = [] {
    auto* out = new std::vector<std::unique_ptr<sluice::BoundQuery>>;
    sluice::BindOptions options;
    options.schema =
        sluice::ParseSchema("ts BIGINT, s STRING, i BIGINT, d DOUBLE, b BOOLEAN").value();
    options.event_time_field = "ts";
    for (std::string_view sql : kQueries) {
      auto q = sluice::CompileQuery(sql, options);
      if (!q.ok()) std::abort();  // the harness's own queries must compile
      out->push_back(std::make_unique<sluice::BoundQuery>(std::move(q).value()));
    }
    return out;
  }();
  return *queries;
}

void Exercise(const sluice::BoundQuery& query, std::string_view bytes) {
  sluice::AggregateState state(query);
  const sluice::Status st = state.Deserialize(bytes);
  if (!st.ok()) {
    if (st.code() != sluice::StatusCode::kCorruption || !state.empty()) std::abort();
    return;
  }
  std::string again;
  sluice::ByteWriter w(again);
  state.Serialize(w);
  sluice::AggregateState copy(query);
  if (!copy.Deserialize(again).ok() || copy.rows() != state.rows()) std::abort();
  sluice::AggregateState merged(query);
  int64_t late_groups = 0, late_rows = 0;
  merged.MergeFrom(state, sluice::kMinTime, &late_groups, &late_rows);
  merged.MergeFrom(copy, sluice::kMinTime, &late_groups, &late_rows);
  std::vector<sluice::AggregateRow> rows;
  merged.CollectAll(rows);
  state.TakeUpdated(0, rows);
  copy.TakeClosed(sluice::kMaxTime, rows);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& queries = Queries();
  const sluice::BoundQuery& query = *queries[data[0] % kNumQueries];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] / kNumQueries) % 2 == 0) {
    Exercise(query, in);
    return 0;
  }
  sluice::ExchangeMessage msg;
  if (!msg.Decode(in)) return 0;
  if (msg.has_data) Exercise(query, msg.partial);
  std::string encoded;
  msg.Encode(encoded);
  sluice::ExchangeMessage again;
  if (!again.Decode(encoded) || again.epoch != msg.epoch || again.partial != msg.partial) {
    std::abort();
  }
  return 0;
}
