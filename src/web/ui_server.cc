#include "web/ui_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "monitor/progress_json.h"
#include "monitor/prometheus.h"
#include "web/bounded_server.h"
#include "web/ui_assets.h"

namespace sluice {

namespace {

// A GET carries no body; headers beyond these are hostile or broken (httplib itself refuses a
// single header line over 8 KiB and a request line over 8 KiB).
constexpr size_t kMaxHeaderCount = 64;
constexpr size_t kMaxHeaderBytes = size_t{16} * 1024;
constexpr size_t kMaxPayloadBytes = 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A path we serve is short, absolute and plain: no dot segments, backslashes, control bytes or
// doubled slashes (httplib has already percent-decoded it).
bool IsPlainPath(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() > 256) return false;
  if (path.find("..") != std::string::npos || path.find("//") != std::string::npos) return false;
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '\\') return false;
  }
  return true;
}

void SetError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  std::string body = "{\"error\":";
  AppendJsonQuoted(body, message);
  body += "}";
  res.set_content(body, "application/json; charset=utf-8");
}

// "sourceStatus": the input's connection state, added to /api/progress as a field of its own.
void AppendSourceStatusJson(std::string& body, const SourceStatus& st) {
  if (body.empty() || body.back() != '}') return;
  body.pop_back();
  if (body.back() != '{') body += ',';
  body += "\"sourceStatus\":{\"reachable\":";
  body += st.reachable ? "true" : "false";
  body += ",\"unreachableSinceMs\":";
  body += st.reachable ? "null" : std::to_string(st.unreachable_since_ms);
  body += ",\"error\":";
  AppendJsonQuoted(body, st.error);
  body += ",\"skippedRecords\":" + std::to_string(st.skipped_records) + "}}";
}

void AppendSourceStatusMetrics(std::string& body, const SourceStatus& st, int64_t now_ms) {
  const int64_t down_ms = st.reachable ? 0 : std::max<int64_t>(0, now_ms - st.unreachable_since_ms);
  body +=
      "# HELP sluice_source_reachable 1 while the source's brokers answer, 0 while none does\n"
      "# TYPE sluice_source_reachable gauge\n"
      "sluice_source_reachable " +
      std::string(st.reachable ? "1" : "0") +
      "\n"
      "# HELP sluice_source_unreachable_seconds how long no broker of the source has answered\n"
      "# TYPE sluice_source_unreachable_seconds gauge\n"
      "sluice_source_unreachable_seconds " +
      std::to_string(down_ms / 1000) +
      "\n"
      "# HELP sluice_source_skipped_records_total records deleted from Kafka before they were "
      "read and skipped (--fail-on-data-loss false)\n"
      "# TYPE sluice_source_skipped_records_total counter\n"
      "sluice_source_skipped_records_total " +
      std::to_string(st.skipped_records) + "\n";
}

}  // namespace

struct UiServer::Impl {
  explicit Impl(RunMonitor& m) : monitor(m) {}

  RunMonitor& monitor;
  std::shared_ptr<const SourceStatusBoard> source_status;  // may be null
  BoundedServer server;
  std::thread thread;
  std::string host;
  int port = 0;
  // path -> document builder; built once in Start, read-only while serving.
  std::map<std::string, std::function<std::string(const httplib::Request&, int&)>> api;

  httplib::Server::HandlerResponse Handle(const httplib::Request& req, httplib::Response& res);
};

httplib::Server::HandlerResponse UiServer::Impl::Handle(const httplib::Request& req,
                                                        httplib::Response& res) {
  using httplib::Server;
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  if (req.method != "GET" && req.method != "HEAD") {
    res.set_header("Allow", "GET, HEAD");
    SetError(res, 405, "read-only: only GET and HEAD are allowed");
    return Server::HandlerResponse::Handled;
  }
  size_t header_bytes = 0;
  for (const auto& [k, v] : req.headers) header_bytes += k.size() + v.size() + 4;
  if (req.headers.size() > kMaxHeaderCount || header_bytes > kMaxHeaderBytes) {
    SetError(res, 431, "request headers too large");
    return Server::HandlerResponse::Handled;
  }
  // Routing happens before httplib reads a body (and checks payload_max_length), so a body
  // would be left unread and the request answered as if it had none.
  if (req.has_header("Transfer-Encoding") ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0")) {
    SetError(res, 413, "a GET or HEAD request carries no body");
    return Server::HandlerResponse::Handled;
  }
  if (!IsPlainPath(req.path)) {
    SetError(res, 400, "bad path");
    return Server::HandlerResponse::Handled;
  }
  if (auto it = api.find(req.path); it != api.end()) {
    int status = 200;
    std::string body = it->second(req, status);
    // /api/query carries it too: /api/progress is null until the first trigger, and an
    // unreachable broker is what keeps the first trigger from coming.
    if (source_status != nullptr && (it->first == "/api/progress" || it->first == "/api/query")) {
      AppendSourceStatusJson(body, source_status->Get());
    } else if (source_status != nullptr && it->first == "/metrics") {
      AppendSourceStatusMetrics(body, source_status->Get(), NowMs());
    }
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::move(body), it->first == "/metrics" ? std::string(kPrometheusContentType)
                                                             : "application/json; charset=utf-8");
    return Server::HandlerResponse::Handled;
  }
  const UiAsset* asset = FindUiAsset(req.path == "/" ? "/index.html" : std::string_view(req.path));
  if (asset == nullptr) {
    SetError(res, 404, "not found");
    return Server::HandlerResponse::Handled;
  }
  res.set_header("Cache-Control", "no-cache");
  if (asset->path == "/index.html") {
    // Everything the page loads comes from this server; no inline script, no other origin.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  }
  res.set_content(asset->data.data(), asset->data.size(), std::string(asset->content_type).c_str());
  return Server::HandlerResponse::Handled;
}

UiServer::UiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UiServer::~UiServer() { Stop(); }

Result<std::unique_ptr<UiServer>> UiServer::Start(
    std::string host, int port, RunMonitor& monitor,
    std::shared_ptr<const SourceStatusBoard> source_status) {
  if (host.empty()) return Status::InvalidArgument("--ui: empty host; pass e.g. 127.0.0.1:4040");
  if (port < 0 || port > 65535) return Status::InvalidArgument("--ui: port must be 0..65535");
  auto impl = std::make_unique<Impl>(monitor);
  impl->source_status = std::move(source_status);
  Impl* self = impl.get();
  RunMonitor& m = monitor;
  auto simple = [&m](std::string (*fn)(const RunMonitor&)) {
    return [&m, fn](const httplib::Request&, int&) { return fn(m); };
  };
  impl->api["/api/progress"] = simple(&ProgressJson);
  impl->api["/api/plan"] = simple(&PlanJson);
  impl->api["/api/partitions"] = simple(&PartitionsJson);
  impl->api["/api/windows"] = simple(&WindowsJson);
  impl->api["/api/results"] = simple(&ResultsJson);
  impl->api["/api/workers"] = simple(&WorkersJson);
  impl->api["/metrics"] = simple(&PrometheusText);
  impl->api["/api/query"] = [&m](const httplib::Request&, int&) { return QueryJson(m, NowMs()); };
  impl->api["/api/progress/history"] = [&m](const httplib::Request& req, int& status) {
    std::optional<int64_t> after;
    if (req.has_param("after")) {
      std::string v = req.get_param_value("after");
      int64_t x = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc() || end != v.data() + v.size()) {
        status = 400;
        return std::string("{\"error\":\"after must be a batch id (an integer)\"}");
      }
      after = x;
    }
    return HistoryJson(m, after);
  };

  BoundedServer& s = impl->server;
  s.set_payload_max_length(kMaxPayloadBytes);
  // httplib's default also sets SO_REUSEPORT, which would let a second run bind the same port
  // and silently take half the requests; SO_REUSEADDR alone allows a quick restart.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
    return self->Handle(req, res);
  });
  // Errors httplib produces itself (400, 413, 414, ...) get a small JSON body too.
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) SetError(res, res.status, "HTTP error " + std::to_string(res.status));
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                             const std::exception_ptr&) { SetError(res, 500, "internal error"); });

  int bound = 0;
  if (port == 0) {
    bound = s.bind_to_any_port(host);
  } else if (s.bind_to_port(host, port)) {
    bound = port;
  } else {
    bound = -1;
  }
  if (bound <= 0) {
    return Status::Unavailable("--ui: cannot listen on " + host + ":" + std::to_string(port) +
                               " (is the port in use, or the address not local?); pass another "
                               "--ui HOST:PORT");
  }
  s.WidenBacklog();
  impl->host = std::move(host);
  impl->port = bound;
  impl->thread = std::thread([self] { self->server.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs, so make sure it does before anyone
  // can call Stop().
  for (int i = 0; i < 2000 && !impl->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<UiServer>(new UiServer(std::move(impl)));
}

void UiServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->server.CloseConnections();
  impl_->thread.join();
}

int UiServer::port() const { return impl_->port; }

std::string UiServer::url() const {
  const std::string& h = impl_->host;
  bool v6 = h.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port) + "/";
}

}  // namespace sluice
