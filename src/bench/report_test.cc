#include "bench/report.h"

#include <gtest/gtest.h>

#include <csignal>

#include "bench/bench_context.h"

namespace sluice::bench {
namespace {

Report OneSection() {
  Report r;
  r.title = "T";
  r.Add("S")
      .Text("a `b` c")
      .AddTable({{"x", "y"}, {{"1", "2"}}})
      .AddPlot({"p1", "plot", "xs", "ys", {{"one", {{1, 10}, {2, 20}}}, {"two", {{2, 5}, {3, 6}}}}})
      .Commands({"sluice run 'x'"});
  return r;
}

TEST(ReportTest, MarkdownHasTablesAndCommands) {
  const std::string md = OneSection().Markdown();
  EXPECT_NE(md.find("## S\n"), std::string::npos);
  EXPECT_NE(md.find("| x | y |\n| --- | --- |\n| 1 | 2 |\n"), std::string::npos);
  EXPECT_NE(md.find("```sh\nsluice run 'x'\n```"), std::string::npos);
}

TEST(ReportTest, HtmlMergesSeriesOnTheUnionOfXWithNullGaps) {
  const std::string html = OneSection().Html("", "");
  EXPECT_NE(html.find("\"data\":[[1,2,3],[10,20,null],[null,5,6]]"), std::string::npos) << html;
  EXPECT_NE(html.find("<code>b</code>"), std::string::npos);
  EXPECT_NE(html.find("<div class=plot id=\"p1\">"), std::string::npos);
}

TEST(ReportTest, HtmlDataCannotCloseTheScript) {
  Report r;
  r.title = "T";
  r.Add("S").AddPlot({"p", "</script><b>", "x", "y", {}});
  const std::string html = r.Html("", "");
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);
  EXPECT_NE(html.find("<\\/script><b>"), std::string::npos);
}

TEST(BenchContextTest, ParseSummaryReadsTheLastSummaryLine) {
  auto m = ParseSummary("sluice: 10 records\nsummary input_records=10 output_rows=3\n");
  EXPECT_EQ(m["input_records"], 10);
  EXPECT_EQ(m["output_rows"], 3);
  EXPECT_TRUE(ParseSummary("no summary here").empty());
}

TEST(BenchContextTest, PercentileIsNearestRank) {
  EXPECT_EQ(Percentile({5, 1, 3, 2, 4}, 50), 3);
  EXPECT_EQ(Percentile({5, 1, 3, 2, 4}, 99), 5);
  EXPECT_EQ(Percentile({7}, 1), 7);
}

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
