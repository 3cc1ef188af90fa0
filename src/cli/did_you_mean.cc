#include "cli/did_you_mean.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "sql/sql_error.h"

namespace sluice::cli {
namespace {

// The candidate nearest to `word` (sql/sql_error.h's measure of a typo), or "".
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::vector<std::string_view> views(candidates.begin(), candidates.end());
  return std::string(ClosestMatch(word, views));
}

}  // namespace

std::string DidYouMean(CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
  }
  if (argc < 2) return {};
  const std::string first = argv[1];
  CLI::App* sub = nullptr;
  for (CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (s->get_name() == first) sub = s;
  }
  if (sub == nullptr) {
    if (first.rfind('-', 0) == 0) return {};
    const std::string near = Nearest(first, commands);
    return near.empty() ? std::string()
                        : "sluice: unknown command " + first + "; did you mean " + near + "?\n";
  }
  std::vector<std::string> options;
  for (const CLI::Option* opt : sub->get_options()) {
    for (const std::string& name : opt->get_lnames()) options.push_back("--" + name);
  }
  std::string hints;
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0 || word == "--") continue;
    word = word.substr(0, word.find('='));
    if (std::find(options.begin(), options.end(), word) != options.end()) continue;
    const std::string near = Nearest(word, options);
    hints += "sluice: unknown option " + word +
             (near.empty() ? std::string("; see sluice ") + sub->get_name() + " --help"
                           : "; did you mean " + near + "?") +
             "\n";
  }
  return hints;
}

}  // namespace sluice::cli
