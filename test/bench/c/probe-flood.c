/*
 * Load generator for the intake benchmark: behaves like many libtelemetry probes at once.
 * Each of N worker processes opens one unix-socket connection per record, writes the frame
 * and closes, as tm_send_record() does. Written in C so the client, not Node, is never the
 * limit being measured. Usage: probe-flood SOCKET FRAME_FILE TOTAL WORKERS [IN_FLIGHT]
 * With IN_FLIGHT, a worker shuts down its side after writing instead of closing, and keeps at
 * most IN_FLIGHT connections that the server has not closed yet (the intake closes a connection
 * once its record is durable): before opening another it waits for the oldest to be closed. So a
 * server that is slower than the load holds the load back instead of overflowing its queue,
 * while a server that keeps up never makes a worker wait. Without it (or 0) nothing is waited for.
 * If the frame holds the marker MARKER (24 '@'), each record gets its own "index-sendtime_ms"
 * there, so records are distinct and their end-to-end latency can be measured.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Returns the connected descriptor after writing (shut down for writing when keep), or -1. */
static int send_frame(const char *path, const char *frame, size_t size, int keep) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  size_t written = 0;
  while (written < size) {
    ssize_t n = write(fd, frame + written, size - written);
    if (n <= 0) break;
    written += (size_t)n;
  }
  if (written != size) {
    close(fd);
    return -1;
  }
  if (!keep) {
    close(fd);
    return 0;
  }
  shutdown(fd, SHUT_WR);
  return fd;
}

/* Waits until the server closes the connection (end of file or an error), then closes it. */
static void await_close(int fd) {
  char sink[256];
  while (read(fd, sink, sizeof sink) > 0) {
  }
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s SOCKET FRAME_FILE TOTAL WORKERS [IN_FLIGHT]\n", argv[0]);
    return 2;
  }
  FILE *file = fopen(argv[2], "rb");
  if (!file) { perror(argv[2]); return 2; }
  char frame[16384];
  size_t size = fread(frame, 1, sizeof frame, file);
  fclose(file);
  char *marker = memmem(frame, size, "@@@@@@@@@@@@@@@@@@@@@@@@", 24);
  long total = atol(argv[3]);
  int workers = atoi(argv[4]);
  long in_flight = argc == 6 ? atol(argv[5]) : 0;
  if (in_flight > 0) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  }
  for (int w = 0; w < workers; w++) {
    if (fork() == 0) {
      long failures = 0;
      int *open_fds = in_flight > 0 ? calloc((size_t)in_flight, sizeof(int)) : NULL;
      long oldest = 0, held = 0;
      for (long i = w; i < total; i += workers) {
        if (marker) {
          struct timeval now;
          gettimeofday(&now, NULL);
          char stamp[48];
          snprintf(stamp, sizeof stamp, "%010ld-%013lld", i, (long long)now.tv_sec * 1000 + now.tv_usec / 1000);
          memcpy(marker, stamp, 24);
        }
        if (open_fds && held == in_flight) {
          await_close(open_fds[oldest]);
          oldest = (oldest + 1) % in_flight;
          held--;
        }
        int fd = send_frame(argv[1], frame, size, open_fds != NULL);
        if (fd < 0) failures++;
        else if (open_fds) open_fds[(oldest + held++) % in_flight] = fd;
      }
      for (; held > 0; held--, oldest = (oldest + 1) % in_flight) await_close(open_fds[oldest]);
      _exit(failures > 0 ? 1 : 0);
    }
  }
  int status, failed = 0;
  while (wait(&status) > 0)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
  return failed > 0 ? 1 : 0;
}
