#include "web/bounded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <string>
#include <thread>

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// Each connection gets a thread of its own, so slow or idle clients (which only wait in poll())
// never keep the UI from answering others; past this many at once, new connections wait.
constexpr size_t kMaxConnectionThreads = 512;
// A whole request, from accepting the connection to the last byte of the answer, and each read
// or write within it. A client trickling a byte now and then is cut off at the deadline.
constexpr auto kRequestDeadline = std::chrono::seconds(10);
constexpr auto kIoTimeout = std::chrono::seconds(5);

// The socket of one request, read and written with poll() bounded by both the per-operation
// timeout and the request's deadline (httplib's own stream bounds only each read).
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, Clock::time_point deadline) : sock_(sock), deadline_(deadline) {}

  bool is_readable() const override { return Wait(POLLIN); }
  bool is_writable() const override { return Wait(POLLOUT); }
  ssize_t read(char* ptr, size_t size) override {
    if (!Wait(POLLIN)) return -1;
    ssize_t n;
    do n = ::recv(sock_, ptr, size, 0);
    while (n < 0 && errno == EINTR);
    return n;
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!Wait(POLLOUT)) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(&getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(&getsockname, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  bool Wait(short events) const {
    const auto left = std::min<Clock::duration>(kIoTimeout, deadline_ - Clock::now());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
    if (ms <= 0) return false;
    pollfd p{sock_, events, 0};
    int r;
    do r = ::poll(&p, 1, static_cast<int>(ms));
    while (r < 0 && errno == EINTR);
    return r > 0;
  }
  void Address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    ip.clear();
    port = 0;
    if (get(sock_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char buf[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
      port = ntohs(a->sin6_port);
    }
    ip = buf;
  }

  socket_t sock_;
  Clock::time_point deadline_;
};

// httplib's task queue, one thread per connection up to kMaxConnectionThreads (then tasks wait
// for a thread). httplib's accept loop enqueues; shutdown() waits for every thread to finish,
// which the request deadline bounds (and BoundedServer::CloseConnections shortens).
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
    if (threads_ < kMaxConnectionThreads) {
      ++threads_;
      std::thread([this] { Work(); }).detach();
    }
  }
  void shutdown() override {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return threads_ == 0; });
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!tasks_.empty()) {
      std::function<void()> fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
      fn = nullptr;
      lock.lock();
    }
    // Notified under the lock: shutdown() (and the queue's deletion after it) cannot run before
    // this thread has stopped touching the queue.
    if (--threads_ == 0) done_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable done_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  size_t threads_ = 0;                       // guarded by mu_
};

}  // namespace

BoundedServer::BoundedServer() {
  new_task_queue = [] { return new ConnectionThreads(); };
}

void BoundedServer::WidenBacklog() { ::listen(svr_sock_, SOMAXCONN); }

void BoundedServer::CloseConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  for (socket_t s : open_) ::shutdown(s, SHUT_RDWR);
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  bool ok = false;
  bool serve;
  {
    std::lock_guard<std::mutex> lock(mu_);
    serve = !stopping_;
    if (serve) open_.insert(sock);
  }
  if (serve) {
    DeadlineStream stream(sock, Clock::now() + kRequestDeadline);
    bool closed = false;
    ok = process_request(stream, /*close_connection=*/true, closed, nullptr);
    std::lock_guard<std::mutex> lock(mu_);
    open_.erase(sock);
  }
  // Lingering close: a request left partly unread (a refused body) would otherwise make the
  // kernel reset the connection, and the client could lose the answer.
  ::shutdown(sock, SHUT_WR);
  char sink[4096];
  const Clock::time_point linger_end = Clock::now() + std::chrono::milliseconds(200);
  for (size_t drained = 0; serve && drained < 64 * 1024;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(linger_end - Clock::now());
    pollfd p{sock, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(sock, sink, sizeof(sink), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  ::close(sock);
  return ok;
}

}  // namespace sluice
