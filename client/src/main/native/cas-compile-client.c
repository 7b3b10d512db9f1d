/*
 * cas-compile's fast path for compiles: a small native client, like Nailgun's `ng`, that hands the command to the
 * running worker daemon over its Unix-domain socket and prints the answer, without starting a JVM. Anything else
 * (no worker running, a worker of another build, subcommands such as `stats`) is handed to the Java launcher, which
 * starts or replaces the worker. It speaks the format of dev.cas.worker.daemon.WorkerProtocol.
 *
 * Built by bin/cas-compile on first use:
 *   cc -O2 -DCAS_BUILD_ID='"..."' -DCAS_OWN_WORDS='"stats", ...' -o cas-compile-client cas-compile-client.c
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* The jar's modification time, for the walk below; the walk stops at the first source newer than it. */
static struct timespec jar_time;

static int newer(struct timespec a, struct timespec b) {
    return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int newer_than_jar(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)path, (void)type, (void)ftw;
    return newer(st->st_mtim, jar_time);
}

/*
 * The checks bin/cas-compile made with find, sed and stat on every compile (~12 ms of processes), made here with a few
 * hundred stat calls: is the jar missing or older than a pom or a main source, or is a jar newer than this client
 * (which names the build it was compiled for)? Stale means the script rebuilds first.
 */
static int stale(const char *root) {
    char path[PATH_MAX];
    struct stat st, self;
    snprintf(path, sizeof path, "%s/client/target/cas-compile.jar", root);
    if (stat(path, &st) != 0 || stat("/proc/self/exe", &self) != 0) {
        return 1;
    }
    jar_time = st.st_mtim;
    if (newer(st.st_mtim, self.st_mtim)) {
        return 1;
    }
    snprintf(path, sizeof path, "%s/client/target/lib", root);
    DIR *lib = opendir(path);
    for (struct dirent *e; lib && (e = readdir(lib));) {
        if (strncmp(e->d_name, "compiler-worker-", 16) == 0) {
            snprintf(path, sizeof path, "%s/client/target/lib/%s", root, e->d_name);
            if (stat(path, &st) == 0 && newer(st.st_mtim, self.st_mtim)) {
                closedir(lib);
                return 1;
            }
        }
    }
    if (lib) {
        closedir(lib);
    }
    snprintf(path, sizeof path, "%s/pom.xml", root);
    if (stat(path, &st) == 0 && newer(st.st_mtim, jar_time)) {
        return 1;
    }
    DIR *modules = opendir(root);
    int found = modules == NULL;
    for (struct dirent *e; !found && modules && (e = readdir(modules));) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s/pom.xml", root, e->d_name);
        found = stat(path, &st) == 0 && newer(st.st_mtim, jar_time);
        snprintf(path, sizeof path, "%s/%s/src/main", root, e->d_name);
        if (!found && stat(path, &st) == 0) {
            found = nftw(path, newer_than_jar, 16, FTW_PHYS) != 0;
        }
    }
    if (modules) {
        closedir(modules);
    }
    return found;
}

int main(int argc, char **argv) {
    /* Run by bin/cas-compile's fast path: if the jar or this client is out of date, the script rebuilds them. */
    const char *source_root = getenv("CAS_SOURCE_ROOT");
    if (source_root && *source_root) {
        const char *script = getenv("CAS_JAVA_LAUNCHER");
        if (script && stale(source_root)) {
            unsetenv("CAS_JAVA_LAUNCHER");
            setenv("CAS_STALE_CHECKED", "1", 1);
            argv[0] = (char *)script;
            execv(script, argv);
            fprintf(stderr, "cas-compile: cannot run %s: %s\n", script, strerror(errno));
            return 1;
        }
        unsetenv("CAS_SOURCE_ROOT");
    }
    const char *java_launcher = getenv("CAS_JAVA_LAUNCHER");
    const char *cache_dir = getenv("CAS_CACHE_DIR");
    const char *home = getenv("HOME");
    if (!java_launcher) {
        fprintf(stderr, "cas-compile: CAS_JAVA_LAUNCHER is not set (run bin/cas-compile)\n");
        return 1;
    }
    const char *disable = getenv("CAS_DISABLE");
    /* cas-compile's own first words, from client/src/main/resources/dev/cas/client/own-words.txt (bin/cas-compile) */
    static const char *const java_words[] = {CAS_OWN_WORDS};
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
