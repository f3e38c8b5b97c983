/*
 * HTTP load generator for the collector benchmark: N keep-alive connections, each POSTing
 * requests back to back and reading every response (status line, Content-Length body), so a
 * Node client is not the limit being measured. The requests come from a file of complete HTTP
 * requests, each preceded by its length as a decimal line; connection c sends requests
 * c, c+N, c+2N, … Usage: http-flood HOST PORT REQUESTS_FILE WORKERS. Exits 1 if any answer
 * was not 2xx.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_response(int fd, char *buffer, size_t capacity, size_t *held) {
  for (;;) {
    char *end = memmem(buffer, *held, "\r\n\r\n", 4);
    if (end) {
      size_t head = (size_t)(end - buffer) + 4;
      long length = 0;
      char *field = strcasestr(buffer, "\r\ncontent-length:");
      if (field && field < end) length = strtol(field + 17, NULL, 10);
      while (*held < head + (size_t)length) {
        ssize_t n = read(fd, buffer + *held, capacity - *held);
        if (n <= 0) return -1;
        *held += (size_t)n;
      }
      int status = atoi(buffer + 9);
      memmove(buffer, buffer + head + length, *held - head - length);
      *held -= head + length;
      return status;
    }
    if (*held == capacity) return -1;
    ssize_t n = read(fd, buffer + *held, capacity - *held);
    if (n <= 0) return -1;
    *held += (size_t)n;
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s HOST PORT REQUESTS_FILE WORKERS\n", argv[0]);
    return 2;
  }
  FILE *file = fopen(argv[3], "rb");
  if (!file) { perror(argv[3]); return 2; }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  rewind(file);
  char *all = malloc((size_t)size + 1);
  if (fread(all, 1, (size_t)size, file) != (size_t)size) { perror("read"); return 2; }
  fclose(file);
  long count = 0;
  for (long offset = 0; offset < size;) {
    long length = strtol(all + offset, NULL, 10);
    offset = (long)(strchr(all + offset, '\n') - all) + 1 + length;
    count++;
  }
  char **requests = malloc(sizeof(char *) * (size_t)count);
  long *lengths = malloc(sizeof(long) * (size_t)count);
  long index = 0;
  for (long offset = 0; offset < size; index++) {
    lengths[index] = strtol(all + offset, NULL, 10);
    requests[index] = strchr(all + offset, '\n') + 1;
    offset = (long)(requests[index] - all) + lengths[index];
  }
  int workers = atoi(argv[4]);
  for (int w = 0; w < workers; w++) {
    if (fork() != 0) continue;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); _exit(1); }
    static char buffer[1 << 20]; /* a batch answer lists 1,000 results */
    size_t held = 0;
    int failures = 0;
    for (long i = w; i < count; i += workers) {
      for (long sent = 0; sent < lengths[i];) {
        ssize_t n = write(fd, requests[i] + sent, (size_t)(lengths[i] - sent));
        if (n <= 0) _exit(1);
        sent += n;
      }
      int status = read_response(fd, buffer, sizeof buffer, &held);
      if (status < 200 || status > 299) failures++;
    }
    close(fd);
    _exit(failures > 0 ? 1 : 0);
  }
  int status, failed = 0;
  while (wait(&status) > 0)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
  return failed > 0 ? 1 : 0;
}
