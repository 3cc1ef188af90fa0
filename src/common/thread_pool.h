// ThreadPool: a fixed set of worker threads that run one parallel step at a time.
// Owned by the engine; ParallelFor is called from the driver thread only and returns when every
// task of the step has finished, so tasks may touch state owned by their task index without locks.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(threads_.size()); }
  // Runs fn(task, worker) for task in [0, tasks) on the workers; tasks are taken in order.
  void ParallelFor(size_t tasks, const std::function<void(size_t task, int worker)>& fn);
  // Nanoseconds each worker spent running tasks since construction (for the UI's busy share).
  std::vector<int64_t> BusyNanos() const;

 private:
  void WorkerLoop(int worker);

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  // Guarded by mu_:
  const std::function<void(size_t, int)>* fn_ = nullptr;
  size_t tasks_ = 0;
  size_t next_task_ = 0;
  size_t finished_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::vector<int64_t> busy_ns_;
  std::vector<std::thread> threads_;
};

}  // namespace sluice
