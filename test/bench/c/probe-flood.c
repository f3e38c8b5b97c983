/*
 * Load generator for the intake benchmark: behaves like many libtelemetry probes at once.
 * Each of N worker processes opens one unix-socket connection per record, writes the frame
 * and closes, as tm_send_record() does. Written in C so the client, not Node, is never the
 * limit being measured. Usage: probe-flood SOCKET FRAME_FILE TOTAL WORKERS
 * If the frame holds the marker MARKER (24 '@'), each record gets its own "index-sendtime_ms"
 * there, so records are distinct and their end-to-end latency can be measured.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int send_frame(const char *path, const char *frame, size_t size) {
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
  close(fd);
  return written == size ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s SOCKET FRAME_FILE TOTAL WORKERS\n", argv[0]);
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
  for (int w = 0; w < workers; w++) {
    if (fork() == 0) {
      long failures = 0;
      for (long i = w; i < total; i += workers) {
        if (marker) {
          struct timeval now;
          gettimeofday(&now, NULL);
          char stamp[48];
          snprintf(stamp, sizeof stamp, "%010ld-%013lld", i, (long long)now.tv_sec * 1000 + now.tv_usec / 1000);
          memcpy(marker, stamp, 24);
        }
        if (send_frame(argv[1], frame, size) != 0) failures++;
      }
      _exit(failures > 0 ? 1 : 0);
    }
  }
  int status, failed = 0;
  while (wait(&status) > 0)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
  return failed > 0 ? 1 : 0;
}
