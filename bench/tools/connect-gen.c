// An independent connection-setup load generator in C, for the relay-connect row of
// `npm run bench` (bench/suite.mjs compiles it with gcc when it is there): on a 2-core
// machine the Node generator (`socketkit bench connect`) takes about as much CPU per
// connection as the relay it measures, and that CPU is taken from the relays being
// compared. This one costs a few syscalls per connection.
//
// LANES lanes, each in a closed loop: connect to 127.0.0.1:PORT, write SIZE bytes, read
// them back (every byte compared), half-close, wait for the server's EOF, close, again.
// WARMUP seconds of that first (not counted), then SECONDS measured. Loopback only. A
// connection that fails (refused, reset, an early EOF, a wrong or extra byte, or no
// progress for TIMEOUT seconds) is an error, and the run is not verified.
//   gcc -O2 -o /tmp/connect-gen bench/tools/connect-gen.c
//   /tmp/connect-gen PORT LANES SIZE SECONDS WARMUP [TIMEOUT]    e.g. /tmp/connect-gen 7007 16 64 3 1
// Prints one JSON object on stdout (the fields `socketkit bench --json` has that the
// suite reads); "warm-up ... over, measuring for ..." on stderr when the warm-up ends.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, READING, EOF_WAIT };
#define MAX_SAMPLES 1000000

static int port;
static long size;
static unsigned char pattern[65536];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/** Starts a non-blocking connect; -1 when no socket could be made. */
static int start(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

/** This process's CPU seconds so far (user, system). */
static void cpu(double *user, double *sys) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  *user = u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6;
  *sys = u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: connect-gen PORT LANES SIZE SECONDS WARMUP [TIMEOUT]\n");
    return 2;
  }
  port = atoi(argv[1]);
  int lanes = atoi(argv[2]);
  size = atol(argv[3]);
  double seconds = atof(argv[4]), warmup = atof(argv[5]);
  double timeout = argc > 6 ? atof(argv[6]) : 5.0;
  if (port < 1 || port > 65535 || lanes < 1 || lanes > 10000 || size < 1 || size > 65536 ||
      !(seconds > 0) || seconds > 3600 || warmup < 0 || warmup > 3600 || !(timeout > 0)) {
    fprintf(stderr, "connect-gen: bad arguments\n");
    return 2;
  }
  for (long i = 0; i < size; i++) pattern[i] = (unsigned char)(i * 7 + 3);
  struct pollfd *pf = calloc(lanes, sizeof *pf);
  int *state = calloc(lanes, sizeof *state);
  long *got = calloc(lanes, sizeof *got);
  double *began = calloc(lanes, sizeof *began), *moved = calloc(lanes, sizeof *moved);
  double *samples = malloc(sizeof(double) * MAX_SAMPLES);
  if (!pf || !state || !got || !began || !moved || !samples) return 1;
  unsigned char rb[65536];
  long ops = 0, errors = 0, mismatches = 0, connected = 0, sent = 0, nsamples = 0;
  int measuring = warmup == 0;
  double t0 = now(), measure_from = t0 + warmup, end = measure_from + seconds;
  for (int i = 0; i < lanes; i++) {
    pf[i].fd = start();
    if (pf[i].fd < 0) { perror("connect-gen: socket"); return 1; }
    pf[i].events = POLLOUT;
    began[i] = moved[i] = t0;
  }
  double user0 = 0, sys0 = 0;
  if (measuring) fprintf(stderr, "connect-gen: measuring for %g s\n", seconds);
  char first_error[160] = "";
#define FAIL(i, mism, ...)                                                              \
  do {                                                                                  \
    if (measuring) {                                                                    \
      if (first_error[0] == 0) snprintf(first_error, sizeof first_error, __VA_ARGS__);  \
      if (mism) mismatches++; else errors++;                                            \
    }                                                                                   \
    close(pf[i].fd);                                                                    \
    goto next_connection;                                                               \
  } while (0)
  for (;;) {
    double t = now();
    if (t >= end) break;
    if (!measuring && t >= measure_from) {
      measuring = 1;
      cpu(&user0, &sys0);
      fprintf(stderr, "connect-gen: warm-up of %g s over, measuring for %g s\n", warmup, seconds);
    }
    if (poll(pf, lanes, 50) < 0 && errno != EINTR) { perror("connect-gen: poll"); return 1; }
    t = now();
    for (int i = 0; i < lanes; i++) {
      short ev = pf[i].revents;
      if (ev == 0) {
        if (t - moved[i] > timeout) FAIL(i, 0, "no progress for %g s", timeout);
        continue;
      }
      moved[i] = t;
      int fd = pf[i].fd;
      if (state[i] == CONNECTING) {
        int e = 0;
        socklen_t l = sizeof e;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
        if (e != 0) FAIL(i, 0, "connect: %s", strerror(e));
        if (measuring) { connected++; sent++; }
        if (write(fd, pattern, size) != size) FAIL(i, 0, "write: %s", strerror(errno));
        state[i] = READING;
        got[i] = 0;
        pf[i].events = POLLIN;
        continue;
      }
      ssize_t k = read(fd, rb, sizeof rb);
      if (k < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        FAIL(i, 0, "read: %s", strerror(errno));
      }
      if (state[i] == READING) {
        if (k == 0) FAIL(i, 0, "EOF after %ld of %ld bytes", got[i], size);
        if (got[i] + k > size || memcmp(rb, pattern + got[i], k) != 0)
          FAIL(i, 1, "the reply differs from what was sent");
        got[i] += k;
        if (got[i] == size) { shutdown(fd, SHUT_WR); state[i] = EOF_WAIT; }
        continue;
      }
      if (k > 0) FAIL(i, 1, "bytes after the reply");
      close(fd);
      if (measuring && began[i] >= measure_from) {
        ops++;
        if (nsamples < MAX_SAMPLES) samples[nsamples++] = (t - began[i]) * 1000;
      }
    next_connection:
      pf[i].fd = start();
      if (pf[i].fd < 0) { perror("connect-gen: socket"); return 1; }
      state[i] = CONNECTING;
      pf[i].events = POLLOUT;
      began[i] = moved[i] = now();
    }
  }
  double elapsed = now() - measure_from, user1, sys1;
  cpu(&user1, &sys1);
  qsort(samples, nsamples, sizeof(double), cmp_double);
  double p50 = nsamples ? samples[nsamples / 2] : 0, p99 = nsamples ? samples[(long)(nsamples * 0.99)] : 0;
  int verified = errors == 0 && mismatches == 0 && ops > 0;
  printf("{\"mode\":\"connect\",\"generator\":\"bench/tools/connect-gen.c\",\"elapsed\":%.6f,"
         "\"opsPerSec\":%.3f,\"opsUnit\":\"connections\",\"verified\":%s,"
         "\"counters\":{\"ops\":%ld,\"connected\":%ld,\"sent\":%ld,\"errors\":%ld,\"mismatches\":%ld,\"lost\":0},"
         "\"latency\":{\"count\":%ld,\"p50\":%.3f,\"p99\":%.3f},"
         "\"cpu\":{\"user\":%.3f,\"system\":%.3f,\"percentOfCore\":%.1f},\"firstError\":\"%s\"}\n",
         elapsed, ops / elapsed, verified ? "true" : "false", ops, connected, sent, errors,
         mismatches, nsamples, p50, p99, user1 - user0, sys1 - sys0,
         100 * (user1 - user0 + sys1 - sys0) / elapsed, first_error);
  return verified ? 0 : 1;
}
