/*
 * kfts: the few system calls the journal needs that Node does not expose, as a small N-API addon.
 *
 *   map(fd, length, writable)            MAP_SHARED mapping of a file, as a Buffer (unmapped on GC)
 *   futexWait(buf, offset, expected, timeoutNs)
 *                                        blocks while the i32 at buf[offset] equals expected:
 *                                        0 woken (or the value differed), 1 timed out, 2 interrupted
 *   futexWake(buf, offset, count)        wakes up to count waiters on that word; returns how many
 *   watch(buf, offset, callback)         a thread that waits on that word and calls back on the
 *                                        event loop each time it changes; returns a close function
 *   loopWatch(buf, offset)               a thread that bumps and wakes that word when Node's event
 *                                        loop has I/O: returns f(op): f(1) arm (before blocking;
 *                                        the thread disarms itself each time it wakes the word),
 *                                        f(0) disarm, f(2) stop
 *   loopPending()                        whether Node's event loop has I/O watchers not yet in epoll
 *   release(buf, offset, length)         drops the whole pages of that range from this process's
 *                                        memory (MADV_DONTNEED; a shared file mapping keeps its
 *                                        data: a later access reads it back from the page cache)
 *   releaseLater(buf, offset, length)    the same, on a worker thread (the writer's hot path: a
 *                                        madvise that unmaps pages costs it TLB flushes)
 *   sync(buf, offset, length)            writes that range of a shared file mapping to disk and
 *                                        waits (msync MS_SYNC): the journal's fsync policy
 *   flock(fd)                            tries an exclusive lock: true, or false if another holds it
 *   reserve(fd, length)                  allocates the file's blocks (posix_fallocate): a full disk
 *                                        is ENOSPC at a page's creation, not SIGBUS at a store
 *   mkfifo(path, mode)                   creates a named pipe (the doorbell of an event-loop reader)
 *   populate(buf, offset, length)        faults that range of a writable mapping in, on a worker
 *                                        thread (MADV_POPULATE_WRITE), so the writer's stores do
 *                                        not stop for page faults
 *   yieldCpu()                           sched_yield: a spinning loop hands its core over
 *   trimMemory()                         gives the C heap's free pages back to the system (glibc
 *                                        malloc_trim); a no-op elsewhere
 *
 * Futexes here are shared (not FUTEX_PRIVATE): the word lives in a MAP_SHARED file mapping, so a
 * wake by one process reaches a waiter in another, whatever address each mapped it at.
 * Linux only; elsewhere `supported` is false and the journal falls back to polling.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <poll.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#define KFTS_SUPPORTED 1
#else
#define KFTS_SUPPORTED 0
#endif

#define CHECK(call)                                                                 \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error(env, NULL, "kfts: N-API call failed: " #call);               \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  const char* name = "EIO";
  switch (err) {
    case EAGAIN: name = "EAGAIN"; break;
    case EACCES: name = "EACCES"; break;
    case EEXIST: name = "EEXIST"; break;
    case EINVAL: name = "EINVAL"; break;
    case ENOENT: name = "ENOENT"; break;
    case ENOMEM: name = "ENOMEM"; break;
    case ENOSPC: name = "ENOSPC"; break;
    case EPERM: name = "EPERM"; break;
    case EROFS: name = "EROFS"; break;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
  return NULL;
}

/* The i32 at byte `offset` of a Buffer/TypedArray argument, checked for bounds and alignment. */
static int32_t* word_arg(napi_env env, napi_value buf, napi_value off) {
  void* data = NULL;
  size_t length = 0;
  bool is_buffer = false, is_typed = false;
  napi_is_buffer(env, buf, &is_buffer);
  if (is_buffer) {
    napi_get_buffer_info(env, buf, &data, &length);
  } else if (napi_is_typedarray(env, buf, &is_typed) == napi_ok && is_typed) {
    napi_typedarray_type type;
    size_t count, byte_offset;
    napi_value ab;
    napi_get_typedarray_info(env, buf, &type, &count, &data, &ab, &byte_offset);
    length = count * (type == napi_int32_array || type == napi_uint32_array ? 4 : 1);
  } else {
    napi_throw_type_error(env, NULL, "kfts: expected a Buffer or a typed array");
    return NULL;
  }
  int64_t offset;
  if (napi_get_value_int64(env, off, &offset) != napi_ok || offset < 0 || (offset & 3) != 0 || (size_t)offset + 4 > length) {
    napi_throw_range_error(env, NULL, "kfts: word offset out of range or not 4-byte aligned");
    return NULL;
  }
  return (int32_t*)((char*)data + offset);
}

#if KFTS_SUPPORTED
static long futex(int32_t* addr, int op, int32_t val, const struct timespec* timeout) {
  return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}
#endif

static napi_value futex_wait(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* word = word_arg(env, argv[0], argv[1]);
  if (!word) return NULL;
  int32_t expected;
  double timeout_ns;
  CHECK(napi_get_value_int32(env, argv[2], &expected));
  CHECK(napi_get_value_double(env, argv[3], &timeout_ns));
  int result = 0;
#if KFTS_SUPPORTED
  struct timespec ts, *tsp = NULL;
  if (timeout_ns >= 0) {
    int64_t ns = (int64_t)timeout_ns;
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    tsp = &ts;
  }
  if (futex(word, FUTEX_WAIT, expected, tsp) != 0) {
    if (errno == ETIMEDOUT) result = 1;
    else if (errno == EINTR) result = 2;
    else if (errno != EAGAIN) return throw_errno(env, "futex wait", errno);
  }
#else
  (void)word; (void)expected; (void)timeout_ns;
  result = 1;
#endif
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

static napi_value futex_wake(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* word = word_arg(env, argv[0], argv[1]);
  if (!word) return NULL;
  int32_t count;
  CHECK(napi_get_value_int32(env, argv[2], &count));
  long woken = 0;
#if KFTS_SUPPORTED
  woken = futex(word, FUTEX_WAKE, count, NULL);
  if (woken < 0) return throw_errno(env, "futex wake", errno);
#else
  (void)word; (void)count;
#endif
  napi_value out;
  CHECK(napi_create_int32(env, (int32_t)woken, &out));
  return out;
}

/* ---- watch: a thread per watched word, calling back on the event loop ---------------------- */

typedef struct {
  int32_t* word;
  napi_ref keep;                 /* the buffer, so its mapping outlives the thread */
  napi_threadsafe_function tsfn;
  pthread_t thread;
  atomic_int running;
  int joined;
} watcher_t;

static void* watch_thread(void* arg) {
  watcher_t* w = arg;
  int32_t last = __atomic_load_n(w->word, __ATOMIC_SEQ_CST);
  while (atomic_load(&w->running)) {
#if KFTS_SUPPORTED
    /* Wakes when a writer bumps the word (or every second, to notice close()). */
    struct timespec second = {1, 0};
    futex(w->word, FUTEX_WAIT, last, &second);
#else
    usleep(1000);
#endif
    int32_t now = __atomic_load_n(w->word, __ATOMIC_SEQ_CST);
    if (now != last && atomic_load(&w->running)) {
      last = now;
      /* Queue of one: if a call is already pending, this wake-up is covered by it. */
      napi_call_threadsafe_function(w->tsfn, NULL, napi_tsfn_nonblocking);
    }
  }
  return NULL;
}

static void watch_call_js(napi_env env, napi_value callback, void* context, void* data) {
  (void)context; (void)data;
  if (env == NULL || callback == NULL) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 0, NULL, NULL);
}

static void watch_stop(napi_env env, watcher_t* w) {
  if (w->joined) return;
  w->joined = 1;
  atomic_store(&w->running, 0);
#if KFTS_SUPPORTED
  futex(w->word, FUTEX_WAKE, 1 << 30, NULL);
#endif
  pthread_join(w->thread, NULL);
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
  if (env) napi_delete_reference(env, w->keep);
}

static napi_value watch_close(napi_env env, napi_callback_info info) {
  watcher_t* w;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, NULL, (void**)&w));
  watch_stop(env, w);
  return NULL;
}

static void watch_finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  watcher_t* w = data;
  watch_stop(env, w);
  free(w);
}

static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* word = word_arg(env, argv[0], argv[1]);
  if (!word) return NULL;
  watcher_t* w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "watch", ENOMEM);
  w->word = word;
  atomic_store(&w->running, 1);
  napi_value name;
  CHECK(napi_create_string_utf8(env, "kfts.watch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_reference(env, argv[0], 1, &w->keep));
  CHECK(napi_create_threadsafe_function(env, argv[2], NULL, name, 1, 1, NULL, NULL, NULL, watch_call_js, &w->tsfn));
  /* A watcher alone must not keep the process alive (as an unref'd socket would not). */
  CHECK(napi_unref_threadsafe_function(env, w->tsfn));
  int err = pthread_create(&w->thread, NULL, watch_thread, w);
  if (err) {
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    free(w);
    return throw_errno(env, "watch: pthread_create", err);
  }
  napi_value close_fn;
  CHECK(napi_create_function(env, "close", NAPI_AUTO_LENGTH, watch_close, w, &close_fn));
  CHECK(napi_add_finalizer(env, close_fn, w, watch_finalize, NULL, NULL));
  return close_fn;
}

/* ---- loopWatch: wake a futex sleeper when Node's event loop has I/O ----------------------------
 *
 * A journal-driven process blocks its main thread in futex(2) on its wake word. So that sockets,
 * signals, IPC and finished thread-pool work are not left waiting, a helper thread polls the
 * event loop's backend (epoll) descriptor while the main thread is blocked ("armed"), and bumps
 * and wakes the same word as soon as the event loop has something to do. libuv documents this use
 * of uv_backend_fd: poll in one thread, run the loop's callbacks in another.
 */

typedef struct {
  int32_t* word;
  napi_ref keep;
  int backend_fd;
  atomic_int armed;
  atomic_int running;
  pthread_t thread;
  int joined;
} loopwatch_t;

static void* loopwatch_thread(void* arg) {
  loopwatch_t* w = arg;
  while (atomic_load(&w->running)) {
#if KFTS_SUPPORTED
    if (atomic_load(&w->armed) == 0) {
      struct timespec second = {1, 0};
      futex((int32_t*)&w->armed, FUTEX_WAIT_PRIVATE, 0, &second);
      continue;
    }
#endif
    struct pollfd pfd = {w->backend_fd, POLLIN, 0};
    int n = poll(&pfd, 1, 1000);
    if (n > 0 && atomic_exchange(&w->armed, 0) == 1) {
      __atomic_add_fetch(w->word, 1, __ATOMIC_SEQ_CST);
#if KFTS_SUPPORTED
      futex(w->word, FUTEX_WAKE, 1 << 30, NULL);
#endif
    }
  }
  return NULL;
}

static void loopwatch_stop(napi_env env, loopwatch_t* w) {
  if (w->joined) return;
  w->joined = 1;
  atomic_store(&w->running, 0);
  atomic_store(&w->armed, 1);
#if KFTS_SUPPORTED
  futex((int32_t*)&w->armed, FUTEX_WAKE_PRIVATE, 1, NULL);
#endif
  pthread_join(w->thread, NULL);
  if (env) napi_delete_reference(env, w->keep);
}

static napi_value loopwatch_call(napi_env env, napi_callback_info info) {
  loopwatch_t* w;
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, (void**)&w));
  int32_t op = 0;
  if (argc > 0) napi_get_value_int32(env, argv[0], &op);
  if (op == 1) {
    /* arm: the caller is about to block. Usually still armed (the helper disarms only after it
       woke the caller for I/O), then this costs no system call. */
    if (atomic_exchange(&w->armed, 1) == 0) {
#if KFTS_SUPPORTED
      futex((int32_t*)&w->armed, FUTEX_WAKE_PRIVATE, 1, NULL);
#endif
    }
  } else if (op == 0) {
    atomic_store(&w->armed, 0);
  } else {
    loopwatch_stop(env, w);
  }
  return NULL;
}

static void loopwatch_finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  loopwatch_t* w = data;
  loopwatch_stop(env, w);
  free(w);
}

static napi_value loop_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* word = word_arg(env, argv[0], argv[1]);
  if (!word) return NULL;
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  loopwatch_t* w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "loopWatch", ENOMEM);
  w->word = word;
  w->backend_fd = uv_backend_fd(loop);
  atomic_store(&w->running, 1);
  CHECK(napi_create_reference(env, argv[0], 1, &w->keep));
  int err = pthread_create(&w->thread, NULL, loopwatch_thread, w);
  if (err) {
    napi_delete_reference(env, w->keep);
    free(w);
    return throw_errno(env, "loopWatch: pthread_create", err);
  }
  napi_value fn;
  CHECK(napi_create_function(env, "loopWatch", NAPI_AUTO_LENGTH, loopwatch_call, w, &fn));
  CHECK(napi_add_finalizer(env, fn, w, loopwatch_finalize, NULL, NULL));
  return fn;
}

/*
 * Whether Node's event loop has I/O watchers started since its last poll phase: libuv adds them to
 * epoll only at its next poll phase, and until then their events cannot wake a thread blocked in
 * futex (the loop watch polls epoll). A private field of uv_loop_t, read through the headers of the
 * very Node this addon is built against (node-gyp), so its layout matches.
 */
static napi_value loop_pending(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
#if UV_VERSION_HEX >= 0x012d00 && !defined(_WIN32)
  bool pending = loop->watcher_queue.next != &loop->watcher_queue;
#else
  bool pending = false;
#endif
  napi_value out;
  CHECK(napi_get_boolean(env, pending, &out));
  return out;
}

/* ---- map: MAP_SHARED file mappings as Buffers ------------------------------------------------ */

typedef struct {
  void* addr;
  size_t length;
} mapping_t;

static void unmap(napi_env env, void* data, void* hint) {
  (void)env; (void)data;
  mapping_t* m = hint;
  munmap(m->addr, m->length);
  free(m);
}

static napi_value map(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  int64_t length;
  bool writable;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &length));
  CHECK(napi_get_value_bool(env, argv[2], &writable));
  if (length <= 0) {
    napi_throw_range_error(env, NULL, "kfts: map length must be positive");
    return NULL;
  }
  void* addr = mmap(NULL, (size_t)length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, "mmap", errno);
  mapping_t* m = malloc(sizeof *m);
  if (!m) {
    munmap(addr, (size_t)length);
    return throw_errno(env, "mmap", ENOMEM);
  }
  m->addr = addr;
  m->length = (size_t)length;
  napi_value buf;
  if (napi_create_external_buffer(env, (size_t)length, addr, unmap, m, &buf) != napi_ok) {
    munmap(addr, (size_t)length);
    free(m);
    napi_throw_error(env, NULL, "kfts: cannot wrap the mapping in a Buffer");
    return NULL;
  }
  return buf;
}

/* The system's page (4 KiB, 16 KiB, 64 KiB): what madvise and msync align to. */
static uintptr_t page_size(void) {
  static uintptr_t size = 0;
  if (size == 0) size = (uintptr_t)sysconf(_SC_PAGESIZE);
  return size;
}

/* ---- populate, releaseLater: madvise a range of a mapping off the JS thread ------------------- */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

typedef struct {
  napi_async_work work;
  napi_ref keep;
  char* addr;
  size_t length;
  int advice;
  /* The CPU the JS thread was on when it asked (-1: unknown). */
  int caller_cpu;
} advise_t;

#define ADVISE_STEP ((uintptr_t)64 * 1024)

static void advise_execute(napi_env env, void* data) {
  (void)env;
  advise_t* p = data;
  uintptr_t start, end;
  if (p->advice == MADV_POPULATE_WRITE) {
    /* Page-align the start (madvise wants it); the range is inside the caller's mapping. */
    start = (uintptr_t)p->addr & ~(page_size() - 1);
    end = (uintptr_t)p->addr + p->length;
  } else {
    /* Dropping pages: whole pages inside the range only (a page partly outside stays). */
    uintptr_t page = page_size();
    start = ((uintptr_t)p->addr + page - 1) & ~(page - 1);
    end = ((uintptr_t)p->addr + p->length) & ~(page - 1);
  }
  /*
   * Off the JS thread's CPU. The kernel tends to wake this thread on the CPU of the thread that
   * woke it, where it would take the JS thread's place for the whole job (populating faults pages
   * in and zeroes them: milliseconds for a few MB), while another CPU may be idle.
   */
#ifdef __linux__
  cpu_set_t before, others;
  bool moved = false;
  if (p->caller_cpu >= 0 && p->caller_cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof before, &before) == 0) {
    others = before;
    CPU_CLR(p->caller_cpu, &others);
    moved = CPU_COUNT(&others) > 0 && sched_setaffinity(0, sizeof others, &others) == 0;
  }
#endif
  /* In steps: madvise holds the process's mmap lock for its whole range, and the JS thread waits
   * on that lock whenever it maps memory (V8's heap, malloc); 2 MB at once cost it ~0.4 ms. */
  for (uintptr_t at = start; at < end; at += ADVISE_STEP) madvise((void*)at, end - at < ADVISE_STEP ? end - at : ADVISE_STEP, p->advice);
#ifdef __linux__
  /* The thread is libuv's (file system, DNS, crypto work too): as it was, or else as the process is. */
  if (moved && sched_setaffinity(0, sizeof before, &before) != 0 && sched_getaffinity(getpid(), sizeof before, &before) == 0) sched_setaffinity(0, sizeof before, &before);
#endif
}

static void advise_complete(napi_env env, napi_status status, void* data) {
  (void)status;
  advise_t* p = data;
  napi_delete_reference(env, p->keep);
  napi_delete_async_work(env, p->work);
  free(p);
}

/* populate and releaseLater: madvise `advice` over (buffer, offset, length) on a worker thread. */
static napi_value advise_later(napi_env env, napi_callback_info info, int advice) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void* data;
  size_t length;
  bool is_buffer = false;
  CHECK(napi_is_buffer(env, argv[0], &is_buffer));
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, advice == MADV_POPULATE_WRITE ? "kfts: populate expects a Buffer" : "kfts: releaseLater expects a Buffer");
    return NULL;
  }
  CHECK(napi_get_buffer_info(env, argv[0], &data, &length));
  int64_t offset, count;
  CHECK(napi_get_value_int64(env, argv[1], &offset));
  CHECK(napi_get_value_int64(env, argv[2], &count));
  if (offset < 0 || count <= 0 || (size_t)offset >= length) return NULL;
  if ((size_t)(offset + count) > length) count = (int64_t)(length - (size_t)offset);
  advise_t* p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, "populate", ENOMEM);
  p->addr = (char*)data + offset;
  p->length = (size_t)count;
  p->advice = advice;
#ifdef __linux__
  p->caller_cpu = sched_getcpu();
#else
  p->caller_cpu = -1;
#endif
  napi_value name;
  CHECK(napi_create_string_utf8(env, advice == MADV_POPULATE_WRITE ? "kfts.populate" : "kfts.releaseLater", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_reference(env, argv[0], 1, &p->keep));
  CHECK(napi_create_async_work(env, NULL, name, advise_execute, advise_complete, p, &p->work));
  CHECK(napi_queue_async_work(env, p->work));
  return NULL;
}

static napi_value populate(napi_env env, napi_callback_info info) {
  return advise_later(env, info, MADV_POPULATE_WRITE);
}

static napi_value release_later(napi_env env, napi_callback_info info) {
  return advise_later(env, info, MADV_DONTNEED);
}

/* ---- ranges of a mapping: release, sync ------------------------------------------------------ */

/* The (buffer, offset, length) arguments of release and sync: true with the range's address and
 * length if it lies inside the buffer; false (nothing to do) otherwise. */
static bool range_of(napi_env env, napi_callback_info info, uintptr_t* from, uintptr_t* to) {
  size_t argc = 3;
  napi_value argv[3];
  void* data;
  size_t length;
  int64_t offset, count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return false;
  if (napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) return false;
  if (napi_get_value_int64(env, argv[1], &offset) != napi_ok || napi_get_value_int64(env, argv[2], &count) != napi_ok) return false;
  if (offset < 0 || count <= 0 || (size_t)(offset + count) > length) return false;
  *from = (uintptr_t)data + (uintptr_t)offset;
  *to = *from + (uintptr_t)count;
  return true;
}

/* release: drops the whole pages of the range from this process's memory. */
static napi_value release_range(napi_env env, napi_callback_info info) {
  uintptr_t from, to;
  if (!range_of(env, info, &from, &to)) return NULL;
  /* Whole pages inside the range only: a page that is partly outside stays. */
  uintptr_t page = page_size();
  uintptr_t start = (from + page - 1) & ~(page - 1);
  uintptr_t end = to & ~(page - 1);
  if (end > start) madvise((void*)start, end - start, MADV_DONTNEED);
  return NULL;
}

/* sync: writes the range of a shared mapping to disk and waits (msync from the page holding its start). */
static napi_value sync_range(napi_env env, napi_callback_info info) {
  uintptr_t from, to;
  if (!range_of(env, info, &from, &to)) return NULL;
  uintptr_t start = from & ~(page_size() - 1);
  if (msync((void*)start, to - start, MS_SYNC) != 0) return throw_errno(env, "msync", errno);
  return NULL;
}

/* ---- reserve: allocate a file's blocks ------------------------------------------------------- */

/*
 * A page file is mapped and written through memory: a store into a hole of a sparse file on a full
 * disk kills the process with SIGBUS, with no word of why. Reserving the blocks up front (ext4 and
 * xfs: an extent, no data written, about a millisecond for 64 MB) turns that into ENOSPC here.
 */
static napi_value reserve(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  int64_t length;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &length));
  if (length <= 0) return NULL;
#if KFTS_SUPPORTED
  int rc = posix_fallocate(fd, 0, (off_t)length);
  /* A file system that cannot (EOPNOTSUPP, EINVAL on some): the file stays sparse, as before. */
  if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) return throw_errno(env, "fallocate", rc);
#endif
  return NULL;
}

/* ---- flock ------------------------------------------------------------------------------------ */

static napi_value try_flock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int rc;
  do rc = flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EWOULDBLOCK) return throw_errno(env, "flock", errno);
  napi_value out;
  CHECK(napi_get_boolean(env, rc == 0, &out));
  return out;
}

/* ---- mkfifo ----------------------------------------------------------------------------------- */

static napi_value make_fifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t len;
  int32_t mode;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  CHECK(napi_get_value_int32(env, argv[1], &mode));
  if (len >= sizeof path - 1) return throw_errno(env, "mkfifo", EINVAL);
  if (mkfifo(path, (mode_t)mode) != 0) return throw_errno(env, "mkfifo", errno);
  return NULL;
}

/* ---- yieldCpu: sched_yield(2) ------------------------------------------------------------------ */

/*
 * A spinning loop (kfc -x) calls this between looks: when more processes spin than there are cores,
 * a spinner holding a core with nothing to do hands it to one that has work (the next hop of an
 * order) instead of keeping it for the rest of its time slice (milliseconds). With a core to
 * itself it returns at once.
 */
static napi_value yield_cpu(napi_env env, napi_callback_info info) {
  (void)env; (void)info;
  sched_yield();
  return NULL;
}

/* ---- trimMemory: malloc_trim(3) --------------------------------------------------------------- */

/*
 * V8 compiles on worker threads, and each thread allocates its compiler's scratch memory from its own
 * glibc arena. Freed, those pages stay resident (an arena only gives back its top): 4-6 MB per
 * process after start-up, a tenth of its RSS. malloc_trim releases every free page of every arena.
 * It walks the arenas: ~0.2 ms the first time here, a few microseconds after.
 */
static napi_value trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  napi_value undefined;
  CHECK(napi_get_undefined(env, &undefined));
  return undefined;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"futexWait", NULL, futex_wait, NULL, NULL, NULL, napi_enumerable, NULL},
    {"futexWake", NULL, futex_wake, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watch", NULL, watch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"map", NULL, map, NULL, NULL, NULL, napi_enumerable, NULL},
    {"flock", NULL, try_flock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"reserve", NULL, reserve, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mkfifo", NULL, make_fifo, NULL, NULL, NULL, napi_enumerable, NULL},
    {"populate", NULL, populate, NULL, NULL, NULL, napi_enumerable, NULL},
    {"release", NULL, release_range, NULL, NULL, NULL, napi_enumerable, NULL},
    {"releaseLater", NULL, release_later, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sync", NULL, sync_range, NULL, NULL, NULL, napi_enumerable, NULL},
    {"loopWatch", NULL, loop_watch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"loopPending", NULL, loop_pending, NULL, NULL, NULL, napi_enumerable, NULL},
    {"yieldCpu", NULL, yield_cpu, NULL, NULL, NULL, napi_enumerable, NULL},
    {"trimMemory", NULL, trim_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  napi_value supported;
  CHECK(napi_get_boolean(env, KFTS_SUPPORTED, &supported));
  CHECK(napi_set_named_property(env, exports, "supported", supported));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
