/*
 * The kernel's own floor for a cross-process wake-up on this machine: two C processes, one
 * blocked in futex(2) on a word in a shared mapping, the other bumping and waking it at 1k/s.
 * bench:journal compiles and runs it (cc -O2) beside the Node measurements, so each hop's
 * latency can be read against what no user-space code can go below on the same machine.
 *   futex-floor <file> reader <count> <warmup>   prints "p50 p99 p999" (us)
 *   futex-floor <file> writer <count>
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  int32_t* word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (word == MAP_FAILED) return 1;
  volatile int64_t* stamp = (int64_t*)(word + 2);
  int count = atoi(argv[3]);
  if (strcmp(argv[2], "reader") == 0) {
    int warmup = argc > 4 ? atoi(argv[4]) : 0;
    int64_t* samples = calloc((size_t)count, sizeof *samples);
    int32_t first = __atomic_load_n(word, __ATOMIC_SEQ_CST), last = first;
    printf("ready\n");
    fflush(stdout);
    /* One sample per wake-up. A reader kept off its core for a while finds several bumps at once:
     * they count as received (a stamp only tells of the latest), so it never waits for bumps
     * that came and went, and a wait ends after a second whatever happens (a writer that died). */
    int taken = 0;
    struct timespec cap = {1, 0};
    while (last - first < count) {
      while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == last) {
        if (syscall(SYS_futex, word, FUTEX_WAIT, last, &cap, NULL, 0) != 0 && __atomic_load_n(word, __ATOMIC_SEQ_CST) == last) goto out;
      }
      last = __atomic_load_n(word, __ATOMIC_SEQ_CST);
      samples[taken++] = now_ns() - *stamp;
    }
  out:
    if (taken <= warmup) return 1;
    int n = taken - warmup;
    qsort(samples + warmup, (size_t)n, sizeof *samples, cmp);
    printf("%.2f %.2f %.2f\n", samples[warmup + n / 2] / 1e3, samples[warmup + n * 99 / 100] / 1e3, samples[warmup + n * 999 / 1000] / 1e3);
  } else {
    int64_t next = now_ns() + 300000000;
    for (int i = 0; i < count + 100; i++) {
      while (now_ns() < next) { /* busy-paced, as the Node writers are */ }
      next += 1000000;
      *stamp = now_ns();
      __atomic_add_fetch(word, 1, __ATOMIC_SEQ_CST);
      syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
  }
  return 0;
}
