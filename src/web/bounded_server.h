// BoundedServer: cpp-httplib's server made safe against slow and idle clients. Every request is
// bounded as a whole (10 s from accept to the answer's last byte; each read or write 5 s), each
// connection is served on a thread of its own (up to 512 at once, then they wait), so a few
// hundred slow or idle connections only sleep in poll() and never keep others from an answer;
// one request per connection; a listen backlog of SOMAXCONN. Handlers are httplib's as usual.
// Owned by the UI server; Start/stop from one thread.
#pragma once

#include <httplib.h>

#include <mutex>
#include <set>

namespace sluice {

class BoundedServer final : public httplib::Server {
 public:
  BoundedServer();

  // Debian's httplib listens with a backlog of 5: connections opened faster than the accept
  // thread runs (a busy machine, a burst of clients) then wait for SYN retries, 1 s and more.
  // Call after binding; listen() again on the bound socket only raises the backlog.
  void WidenBacklog();
  // Cuts off the requests in flight (after stop(), so that stopping does not wait for a slow
  // client's deadline) and refuses connections accepted after it.
  void CloseConnections();

 private:
  // httplib declares the per-connection entry point virtual: serve one request with a deadline.
  bool process_and_close_socket(socket_t sock) override;

  std::mutex mu_;
  std::set<socket_t> open_;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
};

}  // namespace sluice
