// Linked into the TSan build only (SLUICE_SANITIZE=thread). Debian's librdkafka uses C11 threads
// (<threads.h>: thrd_create, mtx_lock, cnd_wait, call_once), which ThreadSanitizer does not
// intercept (google/sanitizers#1603): a thread made by thrd_create crashes TSan at its first
// allocation, and locks taken with mtx_lock are invisible to it, so every hand-over between
// librdkafka's threads and ours would look like a race. These definitions take precedence over
// glibc's for the whole process (the executable's symbols come first) and forward to the pthread
// functions glibc itself uses underneath, which TSan intercepts. glibc's mtx_t, cnd_t and
// once_flag are the pthread types, which is what the casts rely on.
#include <errno.h>
#include <pthread.h>
#include <threads.h>

#include <cstdint>
#include <cstdlib>

namespace {

int FromPthread(int rc) {
  if (rc == 0) return thrd_success;
  if (rc == ENOMEM) return thrd_nomem;
  if (rc == EBUSY) return thrd_busy;
  if (rc == ETIMEDOUT) return thrd_timedout;
  return thrd_error;
}

struct Start {
  thrd_start_t func;
  void* arg;
};

void* RunThread(void* p) {
  const Start start = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  return reinterpret_cast<void*>(static_cast<intptr_t>(start.func(start.arg)));
}

pthread_mutex_t* M(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* C(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

}  // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  auto* start = new Start{func, arg};
  const int rc = pthread_create(thr, nullptr, RunThread, start);
  if (rc != 0) delete start;
  return FromPthread(rc);
}

int thrd_join(thrd_t thr, int* res) {
  void* result = nullptr;
  const int rc = pthread_join(thr, &result);
  if (rc == 0 && res != nullptr) *res = static_cast<int>(reinterpret_cast<intptr_t>(result));
  return FromPthread(rc);
}

int thrd_detach(thrd_t thr) { return FromPthread(pthread_detach(thr)); }

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  const int rc = pthread_mutex_init(M(m), &attr);
  pthread_mutexattr_destroy(&attr);
  return FromPthread(rc);
}
int mtx_lock(mtx_t* m) { return FromPthread(pthread_mutex_lock(M(m))); }
int mtx_trylock(mtx_t* m) { return FromPthread(pthread_mutex_trylock(M(m))); }
int mtx_timedlock(mtx_t* m, const struct timespec* ts) {
  return FromPthread(pthread_mutex_timedlock(M(m), ts));
}
int mtx_unlock(mtx_t* m) { return FromPthread(pthread_mutex_unlock(M(m))); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(M(m)); }

int cnd_init(cnd_t* c) { return FromPthread(pthread_cond_init(C(c), nullptr)); }
int cnd_signal(cnd_t* c) { return FromPthread(pthread_cond_signal(C(c))); }
int cnd_broadcast(cnd_t* c) { return FromPthread(pthread_cond_broadcast(C(c))); }
int cnd_wait(cnd_t* c, mtx_t* m) { return FromPthread(pthread_cond_wait(C(c), M(m))); }
int cnd_timedwait(cnd_t* c, mtx_t* m, const struct timespec* ts) {
  return FromPthread(pthread_cond_timedwait(C(c), M(m), ts));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy(C(c)); }

void call_once(once_flag* flag, void (*func)()) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), func);
}

}  // extern "C"
