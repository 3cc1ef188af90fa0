#include "cli/did_you_mean.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace sluice::cli {
namespace {

// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`: "rnu" is one
// from "run".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The candidate nearest to `word`, or "" when none is close enough to be a typo of it.
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(1, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
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
