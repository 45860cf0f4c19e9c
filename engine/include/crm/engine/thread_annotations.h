// Clang thread-safety annotations and the mutex types that carry them.
//
// Members a mutex guards are declared CRM_GUARDED_BY(mu_); functions that
// must be called with a lock held say CRM_REQUIRES(mu_). Clang checks these
// with -Wthread-safety (one CI build runs it with -Werror); under g++ the
// macros expand to nothing. libstdc++'s std::mutex carries no annotations,
// so crm code locks through Mutex / SharedMutex / RwLock and the guards below.
#pragma once

#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define CRM_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CRM_THREAD_ANNOTATION(x)
#endif

#define CRM_CAPABILITY(x) CRM_THREAD_ANNOTATION(capability(x))
#define CRM_SCOPED_CAPABILITY CRM_THREAD_ANNOTATION(scoped_lockable)
#define CRM_GUARDED_BY(x) CRM_THREAD_ANNOTATION(guarded_by(x))
#define CRM_PT_GUARDED_BY(x) CRM_THREAD_ANNOTATION(pt_guarded_by(x))
#define CRM_ACQUIRED_BEFORE(...) CRM_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define CRM_REQUIRES(...) CRM_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define CRM_REQUIRES_SHARED(...) CRM_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define CRM_ACQUIRE(...) CRM_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define CRM_ACQUIRE_SHARED(...) CRM_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define CRM_RELEASE(...) CRM_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define CRM_RELEASE_SHARED(...) CRM_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define CRM_EXCLUDES(...) CRM_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define CRM_RETURN_CAPABILITY(x) CRM_THREAD_ANNOTATION(lock_returned(x))
#define CRM_NO_THREAD_SAFETY_ANALYSIS CRM_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace crm {

// std::mutex with annotations. Use MutexLock to hold it for a scope, and
// CondVar to wait on it.
class CRM_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() CRM_ACQUIRE() { mu_.lock(); }
  void unlock() CRM_RELEASE() { mu_.unlock(); }
  // For std::condition_variable: the underlying mutex.
  std::mutex& native() CRM_RETURN_CAPABILITY(this) { return mu_; }

 private:
  std::mutex mu_;
};

// std::shared_mutex with annotations (readers share, one writer excludes).
class CRM_CAPABILITY("mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  void lock() CRM_ACQUIRE() { mu_.lock(); }
  void unlock() CRM_RELEASE() { mu_.unlock(); }
  void lock_shared() CRM_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() CRM_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// A reader-writer lock that lets a waiting writer in ahead of new readers
// (a stream of readers cannot starve it), annotated like SharedMutex.
class CRM_CAPABILITY("mutex") RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;
  void lock() CRM_ACQUIRE() { pthread_rwlock_wrlock(&lock_); }
  void unlock() CRM_RELEASE() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() CRM_ACQUIRE_SHARED() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() CRM_RELEASE_SHARED() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

// Holds `mu` exclusively for a scope.
template <typename M>
class CRM_SCOPED_CAPABILITY ExclusiveLock {
 public:
  explicit ExclusiveLock(M& mu) CRM_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~ExclusiveLock() CRM_RELEASE() { mu_.unlock(); }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  M& mu_;
};

// Holds `mu` shared for a scope.
template <typename M>
class CRM_SCOPED_CAPABILITY SharedLock {
 public:
  explicit SharedLock(M& mu) CRM_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~SharedLock() CRM_RELEASE() { mu_.unlock_shared(); }
  SharedLock(const SharedLock&) = delete;
  SharedLock& operator=(const SharedLock&) = delete;

 private:
  M& mu_;
};

// Holds a Mutex for a scope; CondVar waits through it.
class CRM_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) CRM_ACQUIRE(mu) : lock_(mu.native()) {}
  ~MutexLock() CRM_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  // For CondVar only.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

// A condition variable waited on through a MutexLock. The analysis treats the
// mutex as held throughout the wait (it is, whenever the caller runs).
class CondVar {
 public:
  template <typename Pred>
  void Wait(MutexLock& lock, Pred pred) {
    cv_.wait(lock.native(), pred);
  }
  template <typename Duration, typename Pred>
  bool WaitFor(MutexLock& lock, Duration d, Pred pred) {
    return cv_.wait_for(lock.native(), d, pred);
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace crm
