#include "common/thread_pool.h"

#include <chrono>

namespace sluice {

ThreadPool::ThreadPool(int threads) : busy_ns_(static_cast<size_t>(threads < 1 ? 1 : threads)) {
  const int n = threads < 1 ? 1 : threads;
  for (int i = 0; i < n; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::ParallelFor(size_t tasks, const std::function<void(size_t, int)>& fn) {
  if (tasks == 0) return;
  std::unique_lock<std::mutex> lock(mu_);
  fn_ = &fn;
  tasks_ = tasks;
  next_task_ = 0;
  finished_ = 0;
  ++generation_;
  work_cv_.notify_all();
  done_cv_.wait(lock, [&] { return finished_ == tasks_; });
  fn_ = nullptr;
}

std::vector<int64_t> ThreadPool::BusyNanos() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_ns_;
}

void ThreadPool::WorkerLoop(int worker) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || (generation_ != seen && next_task_ < tasks_); });
    if (stop_) return;
    while (next_task_ < tasks_) {
      const size_t task = next_task_++;
      const auto* fn = fn_;
      lock.unlock();
      const auto t0 = std::chrono::steady_clock::now();
      (*fn)(task, worker);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      lock.lock();
      busy_ns_[static_cast<size_t>(worker)] += ns;
      if (++finished_ == tasks_) done_cv_.notify_all();
    }
    seen = generation_;
  }
}

}  // namespace sluice
