#pragma once
// The dashboard's files, built into the binary: web/ui/ (our pages, plain ES modules)
// and the charting library from web/node_modules (uPlot), embedded at build time by
// cmake/embed_assets.cmake, so the dashboard works offline and from no CDN.
#include <string_view>

namespace sluice::web {

struct Asset {
  std::string_view path;          // "index.html", "pages/pipeline.js", "vendor/uPlot.esm.js"
  std::string_view content_type;  // from the extension
  std::string_view data;
};

// nullptr if no such file.
const Asset* find_asset(std::string_view path);

}  // namespace sluice::web
