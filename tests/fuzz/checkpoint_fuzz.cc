// libFuzzer target: reading a checkpoint directory that may be damaged. The first byte picks
// what the rest of the input is:
//   0: an EpochRecord body (the manifest's payload), decoded from memory;
//   1: a whole manifest file, read by ReadLatestEpoch as written on disk;
//   2: a manifest body wrapped by the harness in a valid header and checksum, so the fuzzer
//      gets past the checksum into the decoder through the file path;
//   3: the metadata text with a valid checksum line appended, read by CheckpointStore::Inspect.
// A damaged checkpoint must be refused with a Status (Corruption or InvalidArgument), never crash.
#include <unistd.h>
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "checkpoint/checkpoint_store.h"
#include "checkpoint/epoch_record.h"
#include "common/bytes.h"
#include "common/file_util.h"

namespace {

// A scratch checkpoint directory per fuzzing process (tmpfs when there is one), removed at exit.
// Never destroyed: the exit handler that removes the directory still needs its name.
const std::string& ScratchDir() {
  static const std::string* const dir = [] {
    const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    auto* path = new std::string(std::string(base) + "/sluice-fuzz-ckpt-XXXXXX");
    if (mkdtemp(path->data()) == nullptr) std::abort();
    if (!sluice::MakeDirs(*path + "/epochs").ok()) std::abort();
    std::atexit([] {
      const std::string& d = ScratchDir();
      std::remove((d + "/epochs/0000000000000000001.manifest").c_str());
      std::remove((d + "/epochs").c_str());
      std::remove((d + "/metadata").c_str());
      std::remove(d.c_str());
    });
    return path;
  }();
  return *dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void CheckRefused(const sluice::Status& status) {
  if (status.ok()) return;
  if (status.code() != sluice::StatusCode::kCorruption &&
      status.code() != sluice::StatusCode::kInvalidArgument) {
    std::abort();
  }
}

// A decoded record must encode to bytes that decode to a record encoding the same way.
void CheckRoundTrip(const sluice::EpochRecord& rec) {
  std::string first;
  sluice::ByteWriter w(first);
  rec.Encode(w);
  sluice::EpochRecord again;
  sluice::ByteReader r(first);
  if (!again.Decode(r)) std::abort();
  std::string second;
  sluice::ByteWriter w2(second);
  again.Encode(w2);
  if (first != second) std::abort();
}

std::string ManifestPath() { return ScratchDir() + "/epochs/0000000000000000001.manifest"; }

void ReadManifestFile(std::string_view file) {
  WriteFile(ManifestPath(), file);
  auto rec = sluice::ReadLatestEpoch(ScratchDir());
  CheckRefused(rec.status());
  if (rec.ok() && rec->has_value()) CheckRoundTrip(**rec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      sluice::EpochRecord rec;
      sluice::ByteReader r(in);
      if (rec.Decode(r)) CheckRoundTrip(rec);
      break;
    }
    case 1:
      ReadManifestFile(in);
      break;
    case 2: {
      std::string file = "SLUICECK";
      sluice::ByteWriter w(file);
      w.U32(sluice::kCheckpointFormatVersion);
      w.U64(in.size());
      file.append(in);
      w.U64(XXH3_64bits(in.data(), in.size()));
      ReadManifestFile(file);
      break;
    }
    case 3: {
      std::remove(ManifestPath().c_str());
      std::string text(in);
      text += "checksum: " + Hex(XXH3_64bits(in.data(), in.size())) + "\n";
      WriteFile(ScratchDir() + "/metadata", text);
      CheckRefused(sluice::CheckpointStore::Inspect(ScratchDir()).status());
      break;
    }
  }
  return 0;
}
