/*
 * wire-proxy: a pass-through TCP proxy for the benches that tells when the last byte of each
 * order request was written to the exchange's side of the wire. It forwards the bytes untouched
 * and prints "<monotonic ns> <newClientOrderId>" for every order request it has seen whole:
 * `POST /api/v3/order` (HTTP) and WebSocket text frames with "order.place" (unmasked here; the
 * bytes forwarded stay masked). How it stamps:
 *   spin    (default) it spins on non-blocking sockets (no sleep, no epoll wake-up between the
 *           bytes and the stamp) and reads CLOCK_MONOTONIC as soon as recv() returns bytes; one
 *           core stays busy.
 *   kernel  it sleeps in poll() and takes the kernel's receive timestamp of the bytes
 *           (SO_TIMESTAMPNS: on loopback the skb is stamped inside the sender's write(), so this
 *           is when the sender wrote its last byte), converted to CLOCK_MONOTONIC; no busy core,
 *           and its own wake-up is not in the stamp.
 *
 *   wire-proxy <listen port> <target port> [spin|kernel]   (127.0.0.1 both; prints "listening")
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 64
#define BUF (1 << 20)

typedef struct {
  int client, upstream;
  int ws; /* after an HTTP Upgrade: WebSocket frames */
  size_t len;
  unsigned char *buf; /* client -> server bytes not yet parsed */
} conn_t;

static conn_t conns[MAX_CONN];

static uint64_t mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t realtime(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/*
 * recv() with the kernel's receive timestamp of the last bytes read (for TCP, that of the newest
 * segment read: the one with the last byte), as CLOCK_MONOTONIC ns in *at. The kernel stamps in
 * CLOCK_REALTIME; the two clocks are read back to back to convert (an NTP slew between the stamp
 * and now, microseconds later, changes nothing measurable). Without a stamp, *at is now.
 */
static ssize_t recv_stamped(int fd, unsigned char *buf, size_t n, uint64_t *at) {
  char control[256];
  struct iovec iov = {.iov_base = buf, .iov_len = n};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT);
  uint64_t real = realtime(), now = mono();
  *at = now;
  if (r <= 0) return r;
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SO_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(h), sizeof ts);
      uint64_t stamped = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
      if (stamped <= real && real - stamped < now) *at = now - (real - stamped);
    }
  }
  return r;
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void send_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) { p += w; n -= (size_t)w; }
    else if (w < 0 && errno != EAGAIN && errno != EINTR) return;
  }
}

/* Prints the stamp of a request whose text holds newClientOrderId (=value or ":"value"). */
static void report(const char *text, size_t n, uint64_t at) {
  const char *k = memmem(text, n, "newClientOrderId", 16);
  if (!k) return;
  const char *p = k + 16, *end = text + n;
  while (p < end && (*p == '=' || *p == '"' || *p == ':')) p++;
  const char *q = p;
  while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '-' || *q == '_')) q++;
  printf("%llu %.*s\n", (unsigned long long)at, (int)(q - p), p);
  fflush(stdout);
}

/* Consumes whole requests from c->buf; returns bytes used (0: need more). */
static size_t parse_one(conn_t *c, uint64_t at) {
  unsigned char *b = c->buf;
  size_t n = c->len;
  if (!c->ws) {
    unsigned char *e = memmem(b, n, "\r\n\r\n", 4);
    if (!e) return 0;
    size_t head = (size_t)(e - b) + 4, body = 0;
    const char *cl = memmem(b, head, "ontent-Length:", 14);
    if (!cl) cl = memmem(b, head, "ontent-length:", 14);
    if (cl) body = strtoul(cl + 14, NULL, 10);
    if (n < head + body) return 0;
    if (n >= 4 && memcmp(b, "GET ", 4) == 0 && (memmem(b, head, "pgrade: websocket", 17) || memmem(b, head, "pgrade: WebSocket", 17))) c->ws = 1;
    if (n >= 19 && memcmp(b, "POST /api/v3/order", 18) == 0 && (b[18] == '?' || b[18] == ' ')) report((const char *)b, head + body, at);
    return head + body;
  }
  if (n < 2) return 0;
  uint64_t len = b[1] & 0x7f;
  size_t off = 2;
  if (len == 126) { if (n < 4) return 0; len = ((uint64_t)b[2] << 8) | b[3]; off = 4; }
  else if (len == 127) { if (n < 10) return 0; len = 0; for (int i = 0; i < 8; i++) len = (len << 8) | b[2 + i]; off = 10; }
  int masked = (b[1] & 0x80) != 0;
  size_t total = off + (masked ? 4 : 0) + (size_t)len;
  if (n < total) return 0;
  if ((b[0] & 0x0f) == 1 && len < BUF) {
    static char text[BUF];
    const unsigned char *m = b + off, *p = b + total - len;
    for (uint64_t i = 0; i < len; i++) text[i] = (char)(masked ? p[i] ^ m[i & 3] : p[i]);
    if (memmem(text, len, "\"order.place\"", 13)) report(text, len, at);
  }
  return total;
}

static void close_conn(conn_t *c) {
  close(c->client);
  close(c->upstream);
  free(c->buf);
  memset(c, 0, sizeof *c);
  c->client = -1;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "spin") && strcmp(argv[3], "kernel"))) {
    fprintf(stderr, "usage: wire-proxy <listen port> <target port> [spin|kernel]\n");
    return 2;
  }
  int kernel = argc == 4 && strcmp(argv[3], "kernel") == 0;
  for (int i = 0; i < MAX_CONN; i++) conns[i].client = -1;
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 64)) { perror("wire-proxy: listen"); return 1; }
  nonblock(ls);
  struct sockaddr_in t = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  printf("listening\n");
  fflush(stdout);
  static unsigned char chunk[65536];
  static struct pollfd fds[1 + 2 * MAX_CONN];
  for (;;) {
    if (kernel) { /* sleep until a socket has something: the stamps do not depend on when we wake */
      int n = 0;
      fds[n++] = (struct pollfd){.fd = ls, .events = POLLIN};
      for (int i = 0; i < MAX_CONN; i++) {
        if (conns[i].client < 0) continue;
        fds[n++] = (struct pollfd){.fd = conns[i].client, .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = conns[i].upstream, .events = POLLIN};
      }
      if (poll(fds, (nfds_t)n, -1) < 0 && errno != EINTR) { perror("wire-proxy: poll"); return 1; }
    }
    int fd = accept(ls, NULL, NULL);
    if (fd >= 0) {
      int up = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(up, (struct sockaddr *)&t, sizeof t)) { close(fd); close(up); continue; }
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (kernel) setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
      nonblock(fd);
      nonblock(up);
      for (int i = 0; i < MAX_CONN; i++) if (conns[i].client < 0) { conns[i].client = fd; conns[i].upstream = up; conns[i].buf = malloc(BUF); break; }
    }
    for (int i = 0; i < MAX_CONN; i++) {
      conn_t *c = &conns[i];
      if (c->client < 0) continue;
      uint64_t at;
      ssize_t r = kernel ? recv_stamped(c->client, chunk, sizeof chunk, &at) : recv(c->client, chunk, sizeof chunk, MSG_DONTWAIT);
      if (r > 0) {
        if (!kernel) at = mono(); /* the stamp: before anything else happens to these bytes */
        if (c->len + (size_t)r <= BUF) { memcpy(c->buf + c->len, chunk, (size_t)r); c->len += (size_t)r; }
        for (size_t used; (used = parse_one(c, at)) > 0;) { memmove(c->buf, c->buf + used, c->len - used); c->len -= used; }
        send_all(c->upstream, chunk, (size_t)r);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) { close_conn(c); continue; }
      r = recv(c->upstream, chunk, sizeof chunk, MSG_DONTWAIT);
      if (r > 0) send_all(c->client, chunk, (size_t)r);
      else if (r == 0 || (errno != EAGAIN && errno != EINTR)) close_conn(c);
    }
  }
}
