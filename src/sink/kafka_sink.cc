#include "sink/kafka_sink.h"

#include <string>

#include "format/json_writer.h"
#include "kafka/producer.h"

namespace sluice {
namespace {

// How long Close() waits for outstanding deliveries before counting them as failed.
constexpr int kCloseFlushTimeoutMs = 60'000;

class KafkaSink final : public Sink {
 public:
  KafkaSink(std::unique_ptr<KafkaProducer> producer, TimeZone tz)
      : producer_(std::move(producer)), tz_(std::move(tz)) {}

  Status Write(const OutputBatch& batch) override {
    // The epoch in a header: a consumer that deduplicates by key can also tell a replay.
    header_.value = std::to_string(batch.batch_id);
    for (size_t i = 0; i < batch.num_rows(); ++i) {
      std::string_view value;
      if (batch.preformatted) {
        value = batch.formatted.row(i);
      } else {
        value_.clear();
        AppendJsonObject(value_, batch.column_names, batch.rows[i], tz_);
        value = value_;
      }
      std::string_view key = i < batch.keys.size() ? std::string_view(batch.keys[i]) : "";
      SLUICE_RETURN_IF_ERROR(producer_->Send(key, value, nullptr, &header_));
    }
    producer_->Poll();
    return Status::Ok();
  }

  // Each message's value is one JSON object, formatted by the engine's workers for projections.
  std::unique_ptr<RowFormatter> MakeRowFormatter(
      const std::vector<std::string>& column_names) const override {
    return std::make_unique<JsonRowFormatter>(column_names, tz_, JsonRowFormatter::Newline::kNo);
  }

  // At least once: an epoch commits only after the broker acknowledged all of its rows, so a
  // replay after a crash can only repeat rows (same keys), never lose them.
  Result<std::string> Prepare(int64_t /*epoch*/) override {
    SLUICE_RETURN_IF_ERROR(FlushAll());
    return std::string();
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    return FlushAll();
  }

  std::string Describe() const override {
    const KafkaEndpoint& ep = producer_->endpoint();
    return "kafka://" + ep.bootstrap + "/" + ep.topic;
  }

 private:
  // Waits for every queued row; an error if any could not be delivered.
  Status FlushAll() {
    producer_->Flush(kCloseFlushTimeoutMs);
    if (producer_->failed() > 0) {
      return Status::Unavailable(
          std::to_string(producer_->failed()) + " of " + std::to_string(producer_->sent()) +
          " output rows were not delivered to " + Describe() + ": " + producer_->first_error());
    }
    return Status::Ok();
  }

  std::unique_ptr<KafkaProducer> producer_;
  TimeZone tz_;
  std::string value_;  // reused per row
  KafkaHeader header_{"sluice.epoch", ""};
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeKafkaSink(std::string_view url, const KafkaClientOptions& options,
                                            const TimeZone& tz) {
  Result<KafkaEndpoint> ep = ResolveKafkaEndpoint(url, options);
  if (!ep.ok()) return ep.status();
  // Idempotence: librdkafka's retries never duplicate or reorder a row.
  KafkaProperties defaults = {{"client.id", "sluice-sink"},
                              {"enable.idempotence", "true"},
                              {"linger.ms", "5"},
                              {"compression.type", "zstd"}};
  Result<std::unique_ptr<KafkaProducer>> producer = KafkaProducer::Open(*ep, defaults);
  if (!producer.ok()) return producer.status();
  return std::unique_ptr<Sink>(std::make_unique<KafkaSink>(std::move(*producer), tz));
}

}  // namespace sluice
