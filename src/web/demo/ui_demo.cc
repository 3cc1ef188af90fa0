// ui_demo: serves the web UI over synthetic monitoring data (SyntheticRun), for working on the
// UI without an engine and for the browser test. Usage: ui_demo [HOST:PORT] [--triggers N]
// (default 127.0.0.1:0: any free port; prints "listening on URL" once ready; runs until killed,
// or until N triggers have been published when --fast is given).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "monitor/testing/synthetic_run.h"
#include "web/ui_server.h"

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:0";
  int64_t trigger_ms = 1000;
  int prefill = 60;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--trigger-ms") == 0 && i + 1 < argc) {
      trigger_ms = std::stoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--prefill") == 0 && i + 1 < argc) {
      prefill = std::stoi(argv[++i]);
    } else {
      addr = argv[i];
    }
  }
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "ui_demo: expected HOST:PORT, got %s\n", addr.c_str());
    return 2;
  }
  std::string host = addr.substr(0, colon);
  int port = std::stoi(addr.substr(colon + 1));

  sluice::RunMonitor monitor;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  // Pre-filled history, so charts have a shape as soon as the page opens.
  sluice::SyntheticRun run(now - prefill * trigger_ms, trigger_ms);
  run.Start(monitor);
  for (int i = 0; i < prefill; ++i) run.Step(monitor);

  auto server = sluice::UiServer::Start(host, port, monitor);
  if (!server.ok()) {
    std::fprintf(stderr, "ui_demo: %s\n", server.status().message().c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(trigger_ms));
    run.Step(monitor);
  }
}
