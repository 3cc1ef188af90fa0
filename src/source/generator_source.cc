#include "source/generator_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace sluice {

GeneratorSource::GeneratorSource(const GeneratorOptions& options, const PartitionPosition* start)
    : gen_(options), started_(std::chrono::steady_clock::now()) {
  if (start != nullptr && start->next_offset.value > 0) {
    gen_.Skip(start->next_offset.value);
    paced_from_ = gen_.produced();
    started_ = std::chrono::steady_clock::now();  // skipping took time that is not pacing
    if (options.count && gen_.produced() >= *options.count) finished_ = true;
  }
}

std::vector<std::pair<std::string, int64_t>> GeneratorSource::RestoreValues() const {
  return {{"generator.start_ms", gen_.start_ms()}};
}

bool GeneratorSource::ReplayCuts(const std::vector<BatchCut>& cuts) {
  replay_.assign(cuts.begin(), cuts.end());
  return true;
}

size_t GeneratorSource::AddBatch(size_t want, std::vector<RawBatch>& out) {
  RawBatch batch;
  batch.first_offset = Offset(gen_.produced());
  batch.data.reserve(want * 160);
  batch.starts.reserve(want + 1);
  const size_t made =
      gen_.NextEach(want, [&](std::string_view rec, std::string_view) { batch.Add(rec); });
  if (made == 0) {
    finished_ = true;
    return 0;
  }
  batch.Seal();
  out.push_back(std::move(batch));
  return made;
}

Status GeneratorSource::Poll(std::vector<RawBatch>& out, size_t max_batches,
                             std::chrono::milliseconds timeout) {
  const auto& opt = gen_.options();
  if (!replay_.empty()) {
    // A replay: the planned batches at once (their records are long due); pacing goes on after.
    for (; max_batches > 0 && !replay_.empty(); --max_batches) {
      const int64_t records = replay_.front().end.value - replay_.front().first.value;
      replay_.pop_front();
      if (AddBatch(static_cast<size_t>(std::max<int64_t>(records, 0)), out) == 0) break;
    }
    if (opt.count && gen_.produced() >= *opt.count) finished_ = true;
    return Status::Ok();
  }
  int64_t budget = static_cast<int64_t>(max_batches * kMaxBatchRecords);
  if (opt.paced) {
    // Records due by now at the target rate; wait for the next one if none is due yet.
    auto due_at = [&](std::chrono::steady_clock::time_point t) {
      const double secs = std::chrono::duration<double>(t - started_).count();
      return paced_from_ + static_cast<int64_t>(secs * opt.rate);
    };
    // Hand out at least ~50 ms of records at a time (or whatever is due when the timeout
    // ends): one record per poll would cost a whole round of the engine per record.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const int64_t want = std::clamp<int64_t>(static_cast<int64_t>(opt.rate * 0.05), 1,
                                             static_cast<int64_t>(kMaxBatchRecords));
    int64_t due = due_at(std::chrono::steady_clock::now()) - gen_.produced();
    if (due < want) {
      const auto ready =
          started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(
                             static_cast<double>(gen_.produced() - paced_from_ + want) / opt.rate));
      std::this_thread::sleep_until(std::min(ready, deadline));
      due = due_at(std::chrono::steady_clock::now()) - gen_.produced();
    }
    budget = std::min(budget, std::max<int64_t>(due, 0));
  }
  while (budget > 0) {
    const size_t made =
        AddBatch(static_cast<size_t>(std::min<int64_t>(budget, kMaxBatchRecords)), out);
    if (made == 0) break;
    budget -= static_cast<int64_t>(made);
  }
  if (opt.count && gen_.produced() >= *opt.count) finished_ = true;
  return Status::Ok();
}

bool GeneratorSource::Finished() const { return finished_; }

std::vector<PartitionInfo> GeneratorSource::Partitions() const {
  PartitionInfo p;
  p.id = PartitionId(0);
  p.next_offset = Offset(gen_.produced());
  if (gen_.options().count) p.end_offset = *gen_.options().count;
  return {p};
}

std::string GeneratorSource::Describe() const {
  const auto& o = gen_.options();
  return fmt::format("generator (rate {}, term '{}' at {})",
                     o.paced ? fmt::format("{:.0f}/s", o.rate) : std::string("max"),
                     o.additional_term, o.additional_term_rate);
}

}  // namespace sluice
