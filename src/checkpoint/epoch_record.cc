#include "checkpoint/epoch_record.h"

namespace sluice {

void EpochRecord::Encode(ByteWriter& w) const {
  w.I64(epoch);
  w.I64(committed_ms);
  w.U8(input_finished ? 1 : 0);
  w.Varint(positions.size());
  for (const auto& p : positions) {
    w.I64(p.partition.value);
    w.I64(p.next_offset.value);
    w.I64(p.next_byte);
  }
  w.Varint(source_values.size());
  for (const auto& [name, v] : source_values) {
    w.Bytes(name);
    w.I64(v);
  }
  w.I64(watermark_ms);
  w.I64(max_event_ms);
  w.Varint(partition_watermarks.size());
  for (const auto& p : partition_watermarks) {
    w.I64(p.partition.value);
    w.I64(p.max_event_ms);
  }
  for (int64_t c : {input_records, malformed_records, filtered_records, late_records, late_rows,
                    output_rows, triggers, projected_rows_emitted}) {
    w.I64(c);
  }
  w.Varint(sinks.size());
  for (const auto& [name, s] : sinks) {
    w.Bytes(name);
    w.Bytes(s);
  }
  w.U32(state_partitions);
  w.Varint(state.size());
  for (const auto& s : state) {
    w.U32(s.state_partition);
    w.I64(s.file_epoch);
    w.U64(s.offset);
    w.U64(s.length);
    w.U64(s.checksum);
    w.I64(s.rows);
  }
}

bool EpochRecord::Decode(ByteReader& r) {
  epoch = r.I64();
  committed_ms = r.I64();
  input_finished = r.U8() != 0;
  positions.resize(r.Count(24));
  for (auto& p : positions) {
    p.partition = PartitionId(static_cast<int32_t>(r.I64()));
    p.next_offset = Offset(r.I64());
    p.next_byte = r.I64();
  }
  source_values.resize(r.Count(9));
  for (auto& [name, v] : source_values) {
    name = std::string(r.Bytes());
    v = r.I64();
  }
  watermark_ms = r.I64();
  max_event_ms = r.I64();
  partition_watermarks.resize(r.Count(16));
  for (auto& p : partition_watermarks) {
    p.partition = PartitionId(static_cast<int32_t>(r.I64()));
    p.max_event_ms = r.I64();
  }
  for (int64_t* c : {&input_records, &malformed_records, &filtered_records, &late_records,
                     &late_rows, &output_rows, &triggers, &projected_rows_emitted}) {
    *c = r.I64();
  }
  sinks.resize(r.Count(2));
  for (auto& [name, s] : sinks) {
    name = std::string(r.Bytes());
    s = std::string(r.Bytes());
  }
  state_partitions = r.U32();
  state.resize(r.Count(44));
  for (auto& s : state) {
    s.state_partition = r.U32();
    s.file_epoch = r.I64();
    s.offset = r.U64();
    s.length = r.U64();
    s.checksum = r.U64();
    s.rows = r.I64();
  }
  return r.ok() && r.at_end() && epoch >= 0;
}

}  // namespace sluice
