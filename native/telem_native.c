/*
 * Linux system calls (and one C library call) that Node has no API for, exposed through Node-API (ABI-stable, so the
 * addon keeps working across Node upgrades without a rebuild):
 *
 *   peerCred(fd)                         getsockopt(SO_PEERCRED): who is on the other end of an
 *                                        accepted unix-socket connection, as the kernel recorded
 *                                        it at connect() time; the peer cannot forge it.
 *   flock(fd, exclusive, nonBlocking)    flock(2): a lock the kernel drops when the last
 *                                        descriptor of the open file goes away, also when the
 *                                        process is killed -9, so no stale lock survives.
 *   unlock(fd)                           flock(LOCK_UN).
 *   recv(fd, length, peek)               recv(2) without blocking, MSG_PEEK when asked: the intake
 *                                        looks at a frame while the kernel still holds it, and
 *                                        takes it off the socket only once the record is in the
 *                                        spool. A Buffer (empty at end of stream), or null when
 *                                        nothing is there yet (EAGAIN).
 *   peerShutdown(fd)                     poll(POLLRDHUP): true once the peer has closed its
 *                                        sending side, so a frame that is not complete never will be.
 *   trimHeap()                           malloc_trim(0) where the C library is glibc: gives the
 *                                        free pages inside malloc's heap back to the kernel. A burst
 *                                        of records leaves tens of MiB of freed buffers there that
 *                                        glibc returns only from the top of the heap by itself.
 *                                        False when nothing was returned or the library has none.
 *
 * Failures throw an Error whose `code` is the errno name ('EBADF', 'ENOTSOCK', ...), with
 * `errno` (the positive number) and `syscall`, like Node's own system errors.
 */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/file.h>
#include <sys/socket.h>

#include <node_api.h>

/* Node-API has no errno names; these are the ones getsockopt and flock can return. */
static const char *errno_name(int err) {
  switch (err) {
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    case ENOLCK: return "ENOLCK";
    case EWOULDBLOCK: return "EWOULDBLOCK";
    case ENOMEM: return "ENOMEM";
    case ECONNRESET: return "ECONNRESET";
    default: return "UNKNOWN";
  }
}

/* Throws a Node-style system error; returns NULL so callers can `return throw_errno(...)`. */
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char text[160];
  napi_value code, message, error, value;
  snprintf(text, sizeof text, "%s: %s, %s", errno_name(err), strerror(err), syscall);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  napi_throw(env, error);
  return NULL;
}

/* Reads up to three arguments: an int descriptor, then booleans. False (a TypeError is pending) on bad input. */
static bool read_args(napi_env env, napi_callback_info info, int *fd, bool *flags, size_t flag_count) {
  size_t argc = 3;
  napi_value args[3];
  int32_t number;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 1 + flag_count) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", flag_count ? "expected (fd, exclusive, nonBlocking)" : "expected (fd)");
    return false;
  }
  if (napi_get_value_int32(env, args[0], &number) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fd must be a number");
    return false;
  }
  for (size_t i = 0; i < flag_count; i++) {
    if (napi_get_value_bool(env, args[1 + i], &flags[i]) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "flags must be booleans");
      return false;
    }
  }
  *fd = number;
  return true;
}

static void set_number(napi_env env, napi_value object, const char *name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  int fd;
  if (!read_args(env, info, &fd, NULL, 0)) return NULL;
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return throw_errno(env, errno, "getsockopt");
  /* A socket with no unix peer (TCP, say) reports uid and gid (uid_t)-1: JS sees 4294967295. */
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "pid", cred.pid);
  set_number(env, result, "uid", cred.uid);
  set_number(env, result, "gid", cred.gid);
  return result;
}

static napi_value flock_fd(napi_env env, napi_callback_info info) {
  int fd;
  bool flags[2]; /* exclusive, nonBlocking */
  if (!read_args(env, info, &fd, flags, 2)) return NULL;
  int operation = (flags[0] ? LOCK_EX : LOCK_SH) | (flags[1] ? LOCK_NB : 0);
  int status;
  do status = flock(fd, operation); while (status != 0 && errno == EINTR);
  napi_value taken;
  if (status != 0 && !(flags[1] && errno == EWOULDBLOCK)) return throw_errno(env, errno, "flock");
  napi_get_boolean(env, status == 0, &taken);
  return taken;
}

static napi_value unlock_fd(napi_env env, napi_callback_info info) {
  int fd;
  if (!read_args(env, info, &fd, NULL, 0)) return NULL;
  if (flock(fd, LOCK_UN) != 0) return throw_errno(env, errno, "flock");
  return NULL; /* undefined */
}

static napi_value recv_fd(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  int32_t fd, length;
  bool peek;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 3 || napi_get_value_int32(env, args[0], &fd) != napi_ok || napi_get_value_int32(env, args[1], &length) != napi_ok ||
      napi_get_value_bool(env, args[2], &peek) != napi_ok || length < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (fd, length > 0, peek)");
    return NULL;
  }
  char *bytes = malloc((size_t)length);
  if (bytes == NULL) return throw_errno(env, ENOMEM, "recv");
  ssize_t count;
  do count = recv(fd, bytes, (size_t)length, MSG_DONTWAIT | (peek ? MSG_PEEK : 0)); while (count < 0 && errno == EINTR);
  if (count < 0) {
    int err = errno;
    free(bytes);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value nothing;
      napi_get_null(env, &nothing);
      return nothing;
    }
    return throw_errno(env, err, "recv");
  }
  napi_value result;
  napi_create_buffer_copy(env, (size_t)count, bytes, NULL, &result);
  free(bytes);
  return result;
}

static napi_value peer_shutdown(napi_env env, napi_callback_info info) {
  int fd;
  if (!read_args(env, info, &fd, NULL, 0)) return NULL;
  struct pollfd entry = { .fd = fd, .events = POLLRDHUP, .revents = 0 };
  int ready;
  do ready = poll(&entry, 1, 0); while (ready < 0 && errno == EINTR);
  if (ready < 0) return throw_errno(env, errno, "poll");
  napi_value result;
  napi_get_boolean(env, ready > 0 && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0, &result);
  return result;
}

static napi_value trim_heap(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  bool trimmed = malloc_trim(0) != 0;
#else
  bool trimmed = false;
#endif
  napi_value result;
  napi_get_boolean(env, trimmed, &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor functions[] = {
    { "peerCred", NULL, peer_cred, NULL, NULL, NULL, napi_enumerable, NULL },
    { "flock", NULL, flock_fd, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unlock", NULL, unlock_fd, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recv", NULL, recv_fd, NULL, NULL, NULL, napi_enumerable, NULL },
    { "peerShutdown", NULL, peer_shutdown, NULL, NULL, NULL, napi_enumerable, NULL },
    { "trimHeap", NULL, trim_heap, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
