// UiServer: the monitoring web UI and its JSON/Prometheus endpoints over HTTP, read-only.
// Serves on threads of its own (a BoundedServer: a thread per connection, every request bounded
// in time) and only reads the RunMonitor, whose snapshots are copied under its lock in
// nanoseconds, so the engine never waits for a request.
// Owned by the run command; the RunMonitor must outlive it. Start/Stop from one thread.
//
// Endpoints (GET and HEAD only; other methods get 405, unknown paths 404, malformed paths 400):
//   /                      the UI (index.html; app.js, style.css, uPlot beside it)
//   /api/query             query info, run state, totals, average rates
//   /api/progress          the latest trigger, shaped like Spark's StreamingQueryProgress
//   /api/progress/history  recent triggers (?after=BATCH_ID for only the newer ones)
//   /api/plan /api/partitions /api/windows /api/results /api/workers
//   /metrics               Prometheus text format
// With a SourceStatusBoard, /api/progress gains "sourceStatus" and /metrics the
// sluice_source_* series (whether the input's brokers answer, records skipped).
#pragma once

#include <memory>
#include <string>

#include "common/source_status.h"
#include "common/status.h"
#include "monitor/run_monitor.h"

namespace sluice {

class UiServer {
 public:
  // Binds host:port (port 0: any free port, see port()) and starts serving. The caller passes
  // the host; the CLI's default is 127.0.0.1. Unavailable if the address cannot be bound.
  static Result<std::unique_ptr<UiServer>> Start(
      std::string host, int port, RunMonitor& monitor,
      std::shared_ptr<const SourceStatusBoard> source_status = nullptr);
  ~UiServer();  // Stop()s
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  // Stops accepting, finishes in-flight requests and joins the threads. Idempotent.
  void Stop();
  int port() const;
  // "http://127.0.0.1:4040/" (IPv6 hosts in brackets), for the CLI to print.
  std::string url() const;

  struct Impl;

 private:
  explicit UiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
