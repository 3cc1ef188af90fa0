#include "bench/report.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sluice::bench
