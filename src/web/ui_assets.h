// The web UI's files, embedded into the binary at build time (src/web/CMakeLists.inc.cmake runs
// embed_assets.py over src/web/ui/ and uPlot's dist files from npm). Static storage: the views
// are valid for the whole life of the process.
#pragma once

#include <string_view>

namespace sluice {

struct UiAsset {
  std::string_view path;  // "/index.html", "/uPlot.iife.min.js", ...
  std::string_view content_type;
  std::string_view data;
};

// The asset served at `path`, or null. uPlot's files are missing when npm was not available
// at build time; the UI then explains that charts are unavailable.
const UiAsset* FindUiAsset(std::string_view path);

}  // namespace sluice
