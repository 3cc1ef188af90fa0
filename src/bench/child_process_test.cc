#include "bench/child_process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <vector>

namespace sluice::bench {
namespace {

TEST(ChildProcessTest, ShellQuoteQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(ShellQuote({"sluice", "run", "--sink", "jsonl:/dev/null", "it's a b"}),
            "sluice run --sink jsonl:/dev/null 'it'\\''s a b'");
}

TEST(ChildProcessTest, RunChildReportsExitCodeAndStderr) {
  auto r = RunChild({"sh", "-c", "echo oops >&2; exit 3"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_GT(r->peak_rss_kib, 0);
}

TEST(ChildProcessTest, RunChildSamplesAnonymousMemory) {
  auto r = RunChild({"python3", "-c", "import time; b = bytearray(64 << 20); time.sleep(0.2)"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0);
  EXPECT_GT(r->peak_anon_kib, 60 << 10);
}

TEST(ChildProcessTest, PeakRssIsTheChildsOwnNotTheForkedParents) {
  std::vector<char> big(256 << 20, 1);  // this process's resident set, copied by fork
  auto r = RunChild({"sleep", "0.1"});
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->peak_rss_kib, 0);
  EXPECT_LT(r->peak_rss_kib, 64 << 10) << "the parent's " << big.size() << " bytes counted";
}

TEST(ChildProcessTest, StopDrainsAChildBlockedOnAFullPipe) {
  auto c = RunningChild::Start({"sh", "-c", "trap '' INT; yes | head -c 1000000; sleep 0.1"},
                               RunningChild::Stdout::kPipe);
  ASSERT_TRUE(c.ok());
  std::string line;
  ASSERT_TRUE(c->ReadLine(line, 5000));
  const ChildResult r = c->Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
}  // namespace sluice::bench
