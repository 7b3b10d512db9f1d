/*
 * cas-compile's fast path for compiles: a small native client, like Nailgun's `ng`, that hands the command to the
 * running worker daemon over its Unix-domain socket and prints the answer, without starting a JVM. Anything else
 * (no worker running, a worker of another build, subcommands such as `stats`) is handed to the Java launcher, which
 * starts or replaces the worker. It speaks the format of dev.cas.worker.WorkerProtocol.
 *
 * Built by bin/cas-compile on first use:  cc -O2 -DCAS_BUILD_ID='"..."' -o cas-compile-client cas-compile-client.c
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef CAS_BUILD_ID
#error "compile with -DCAS_BUILD_ID='\"version@timestamp\"'"
#endif

#define MAGIC 0xCA5C0001u
#define STALE (-100)

extern char **environ;

typedef struct {
    char *data;
    size_t length;
    size_t capacity;
} buffer;

static void put(buffer *b, const void *bytes, size_t n) {
    if (b->length + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + n) {
            capacity *= 2;
        }
        b->data = realloc(b->data, capacity);
        if (!b->data) {
            perror("cas-compile");
            exit(1);
        }
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, bytes, n);
    b->length += n;
}

static void put_u32(buffer *b, uint32_t v) {
    unsigned char be[4] = {v >> 24, v >> 16, v >> 8, v};
    put(b, be, 4);
}

static void put_string(buffer *b, const char *s) {
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

static int read_fully(int fd, void *into, size_t n) {
    char *p = into;
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static int read_u32(int fd, uint32_t *v) {
    unsigned char be[4];
    if (read_fully(fd, be, 4) != 0) {
        return -1;
    }
    *v = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
    return 0;
}

/* Copies one length-prefixed field of the response to the given output stream. */
static int relay(int fd, FILE *to) {
    uint32_t n;
    if (read_u32(fd, &n) != 0) {
        return -1;
    }
    char chunk[65536];
    while (n > 0) {
        size_t want = n < sizeof chunk ? n : sizeof chunk;
        if (read_fully(fd, chunk, want) != 0) {
            return -1;
        }
        fwrite(chunk, 1, want, to);
        n -= (uint32_t)want;
    }
    fflush(to);
    return 0;
}

static void exec_java_launcher(const char *java_launcher, int argc, char **argv) {
    char **args = calloc((size_t)argc + 2, sizeof *args);
    args[0] = (char *)java_launcher;
    for (int i = 1; i < argc; i++) {
        args[i] = argv[i];
    }
    execv(java_launcher, args);
    fprintf(stderr, "cas-compile: cannot run %s: %s\n", java_launcher, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    const char *java_launcher = getenv("CAS_JAVA_LAUNCHER");
    const char *cache_dir = getenv("CAS_CACHE_DIR");
    const char *home = getenv("HOME");
    if (!java_launcher) {
        fprintf(stderr, "cas-compile: CAS_JAVA_LAUNCHER is not set (run bin/cas-compile)\n");
        return 1;
    }
    const char *disable = getenv("CAS_DISABLE");
    static const char *const java_words[] = {"stats", "explain", "clear", "stop", "help", "-h", "--help", "-V", "--version"};
    int java_only = argc < 2 || (disable && *disable);
    for (size_t i = 0; !java_only && i < sizeof java_words / sizeof java_words[0]; i++) {
        java_only = strcmp(argv[1], java_words[i]) == 0;
    }
    if (java_only) {
        exec_java_launcher(java_launcher, argc, argv);
    }

    char socket_path[PATH_MAX];
    int n;
    if (cache_dir && *cache_dir) {
        if (cache_dir[0] == '/') {
            n = snprintf(socket_path, sizeof socket_path, "%s/worker.sock", cache_dir);
        } else {
            exec_java_launcher(java_launcher, argc, argv); /* relative: let Java resolve it */
            return 1;
        }
    } else {
        n = snprintf(socket_path, sizeof socket_path, "%s/.cache/cas/worker.sock", home ? home : "");
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (n < 0 || (size_t)n >= sizeof address.sun_path) {
        exec_java_launcher(java_launcher, argc, argv);
    }
    memcpy(address.sun_path, socket_path, (size_t)n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        exec_java_launcher(java_launcher, argc, argv); /* no worker yet: Java starts one */
    }

    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        exec_java_launcher(java_launcher, argc, argv);
    }
    buffer request = {0};
    put_u32(&request, MAGIC);
    const char *command = "COMPILE";
    unsigned char utf_length[2] = {0, (unsigned char)strlen(command)};
    put(&request, utf_length, 2);
    put(&request, command, strlen(command));
    put_string(&request, CAS_BUILD_ID);
    put_string(&request, cwd);
    uint32_t env_count = 0;
    for (char **e = environ; *e; e++) {
        if (strchr(*e, '=')) {
            env_count++;
        }
    }
    put_u32(&request, env_count);
    for (char **e = environ; *e; e++) {
        char *eq = strchr(*e, '=');
        if (!eq) {
            continue;
        }
        put_u32(&request, (uint32_t)(eq - *e));
        put(&request, *e, (size_t)(eq - *e));
        put_string(&request, eq + 1);
    }
    put_u32(&request, (uint32_t)(argc - 1));
    for (int i = 1; i < argc; i++) {
        put_string(&request, argv[i]);
    }
    for (size_t sent = 0; sent < request.length;) {
        ssize_t w = write(fd, request.data + sent, request.length - sent);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            exec_java_launcher(java_launcher, argc, argv);
        }
        sent += (size_t)w;
    }
    uint32_t exit_code;
    if (read_u32(fd, &exit_code) != 0) {
        exec_java_launcher(java_launcher, argc, argv); /* the worker went away: Java retries or compiles */
    }
    if ((int32_t)exit_code == STALE) {
        exec_java_launcher(java_launcher, argc, argv); /* a worker of another build: Java replaces it */
    }
    if (relay(fd, stdout) != 0 || relay(fd, stderr) != 0) {
        fprintf(stderr, "cas-compile: the worker's answer was cut short\n");
        return 1;
    }
    close(fd);
    return (int)exit_code;
}
