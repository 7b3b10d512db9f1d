/*
 * cas-compile's fast path for compiles: a small native client, like Nailgun's `ng`, that hands the command to the
 * running worker daemon over its Unix-domain socket and prints the answer, without starting a JVM. A compiler probe
 * (--version, -E, a program read from standard input: what the worker would only hand to clang) it runs with the
 * bundled clang itself, starting a worker in the background when none runs, so that the probes that begin a build
 * neither wait for a JVM nor for the worker. Anything else (no worker running, a worker of another build,
 * subcommands such as `stats`) is handed to the Java launcher, which starts or replaces the worker. It speaks the
 * format of dev.cas.worker.daemon.WorkerProtocol.
 *
 * Built by bin/cas-compile on first use, with the lists it shares with the Java side
 * (dev.cas.client.NativeClientDefines):
 *   cc -O2 -DCAS_BUILD_ID='"..."' -DCAS_OWN_WORDS='"stats", ...' -DCAS_CLANG='"..."' ... -o cas-compile-client ...
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(CAS_BUILD_ID) || !defined(CAS_CLANG) || !defined(CAS_PROBE_FLAGS)
#error "compile with the defines java dev.cas.client.NativeClientDefines prints (see bin/cas-compile)"
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

static int among(const char *word, const char *const *words, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (strcmp(word, words[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

#define AMONG(word, words) among((word), (words), sizeof(words) / sizeof(words)[0])

static const char *const probe_flags[] = {CAS_PROBE_FLAGS};
static const char *const valued_options[] = {CAS_VALUED_OPTIONS};
static const char *const not_linking[] = {CAS_NOT_LINKING};
static const char *const linker_flags[] = {CAS_LINKER_FLAGS};

/* The last component of a path. */
static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* What a command asks for, as far as this client decides anything about it. */
enum kind { PROBE, COMPILE_AND_LINK, OTHER };

/*
 * By CompilerInvocation.parse's rules: a probe (PASSTHROUGH) has a probe flag or -print-*, a `-` input (standard
 * input), or no input at all; a command with inputs and without -c compiles and links (or only links) in one go.
 * Only when argv[1] is plainly a compiler's name (no dot in it, not an option): the Java launcher decides about
 * `cas-compile foo.c ...`.
 */
static enum kind kind_of(int argc, char **argv) {
    if (argv[1][0] == '-' || strchr(base_name(argv[1]), '.')) {
        return OTHER;
    }
    int inputs = 0, compile_only = 0;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (AMONG(arg, valued_options)) {
            i++;
        } else if (strcmp(arg, "-") == 0 || AMONG(arg, probe_flags) || strncmp(arg, "-print-", 7) == 0) {
            return PROBE;
        } else if (strcmp(arg, "-c") == 0) {
            compile_only = 1;
        } else if (arg[0] != '-') {
            inputs++;
        }
    }
    return inputs == 0 ? PROBE : compile_only ? OTHER : COMPILE_AND_LINK;
}

/* SourceFile.isCxxDriver: "++" in the compiler's name, or "cxx" as a word of it. */
static int cxx_driver(const char *compiler) {
    const char *name = base_name(compiler);
    char lower[256];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof lower; n++) {
        lower[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ? name[n] - 'A' + 'a' : name[n]);
    }
    lower[n] = '\0';
    if (strstr(lower, "++")) {
        return 1;
    }
    for (const char *at = strstr(lower, "cxx"); at; at = strstr(at + 1, "cxx")) {
        int before = at == lower || !(isalnum((unsigned char)at[-1]) || at[-1] == '_');
        int after = !(isalnum((unsigned char)at[3]) || at[3] == '_');
        if (before && after) {
            return 1;
        }
    }
    return 0;
}

/* DirectClang.links: whether clang links on these arguments (an input, and no flag that stops it before). */
static int links(int argc, char **argv) {
    int input = 0;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (AMONG(arg, not_linking)) {
            return 0;
        }
        if (AMONG(arg, valued_options)) {
            i++;
        } else if (strcmp(arg, "-") == 0 || arg[0] != '-') {
            input = 1;
        }
    }
    return input;
}

/* Runs the probe as DirectClang.command does: the bundled clang in the compiler's driver mode, linking with lld. */
static void run_clang(int argc, char **argv) {
    size_t extra = sizeof linker_flags / sizeof linker_flags[0];
    char **args = calloc((size_t)argc + extra + 2, sizeof *args);
    size_t n = 0;
    args[n++] = CAS_CLANG;
    args[n++] = cxx_driver(argv[1]) ? CAS_CXX_DRIVER : CAS_C_DRIVER;
    int links_too = links(argc, argv);
    for (size_t i = 0; links_too && i < extra; i++) {
        args[n++] = (char *)linker_flags[i];
    }
    for (int i = 2; i < argc; i++) {
        args[n++] = argv[i];
    }
    execv(CAS_CLANG, args);
    fprintf(stderr, "cas-compile: cannot run %s: %s\n", CAS_CLANG, strerror(errno));
    exit(1);
}

/* Whether the worker noted in worker.starting (by dev.cas.client.WorkerConnection) is alive and a worker. */
static int worker_starting(const char *cache_dir) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/worker.starting", cache_dir);
    FILE *noted = fopen(path, "r");
    long pid = 0;
    if (!noted) {
        return 0;
    }
    int read = fscanf(noted, "%ld", &pid);
    fclose(noted);
    if (read != 1 || pid <= 0) {
        return 0;
    }
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *cmdline = fopen(path, "r");
    if (!cmdline) {
        return 0;
    }
    char text[8192];
    size_t got = fread(text, 1, sizeof text - 1, cmdline);
    fclose(cmdline);
    for (size_t i = 0; i < got; i++) {
        text[i] = text[i] ? text[i] : ' ';
    }
    text[got] = '\0';
    return strstr(text, "dev.cas.worker.daemon.WorkerDaemon") != NULL;
}

static const char *const worker_options[] = {CAS_WORKER_OPTIONS};
static const char *const worker_defaults[] = {CAS_WORKER_DEFAULTS};
static const char *const worker_environment[] = {CAS_WORKER_ENVIRONMENT}; /* NAME=value, or one "" */

/* WorkerCommand.environment, in the worker's process: each variable unless the environment has it already. */
static void set_worker_environment(void) {
    for (size_t i = 0; i < sizeof worker_environment / sizeof worker_environment[0]; i++) {
        const char *equals = strchr(worker_environment[i], '=');
        if (equals) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(equals - worker_environment[i]), worker_environment[i]);
            setenv(name, equals + 1, 0);
        }
    }
}

/*
 * WorkerConnection.spawn without a JVM: the worker's command (WorkerCommand) with the default settings, its output
 * appended to worker.log, its pid noted in worker.starting once the process runs the worker (the exec closes a pipe).
 */
static void spawn_worker(const char *cache_dir) {
    size_t options = sizeof worker_options / sizeof worker_options[0];
    char **command = calloc(options + 6, sizeof *command); /* java, archive, options, 3 arguments, NULL */
    size_t n = 0;
    command[n++] = CAS_WORKER_JAVA;
    char archive[PATH_MAX + 32];
    if (*CAS_WORKER_ARCHIVE && access(CAS_WORKER_ARCHIVE, R_OK) == 0) {
        snprintf(archive, sizeof archive, "-XX:SharedArchiveFile=%s", CAS_WORKER_ARCHIVE);
        command[n++] = archive;
    }
    for (size_t i = 0; i < options; i++) {
        command[n++] = (char *)worker_options[i];
    }
    command[n++] = (char *)cache_dir;
    command[n++] = (char *)worker_defaults[0];
    command[n++] = (char *)worker_defaults[1];
    char path[PATH_MAX + 32];
    int exec_done[2];
    if (pipe2(exec_done, O_CLOEXEC) != 0) {
        return;
    }
    pid_t worker = fork();
    if (worker == 0) {
        snprintf(path, sizeof path, "%s/worker.log", cache_dir);
        int log = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (log >= 0) {
            dup2(log, 1), dup2(log, 2);
        }
        set_worker_environment();
        execv(CAS_WORKER_JAVA, command);
        _exit(127);
    }
    close(exec_done[1]);
    if (worker < 0) {
        return;
    }
    char ignored;
    while (read(exec_done[0], &ignored, 1) < 0 && errno == EINTR) {
    }
    snprintf(path, sizeof path, "%s/worker.starting", cache_dir);
    FILE *noted = fopen(path, "w");
    if (noted) {
        fprintf(noted, "%ld", (long)worker);
        fclose(noted);
    }
}

/* A socket connected to the worker, or -1 when none answers. */
static int connect_to_worker(const struct sockaddr_un *address) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)address, sizeof *address) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int answers(const struct sockaddr_un *address) {
    int fd = connect_to_worker(address);
    if (fd >= 0) {
        close(fd);
    }
    return fd >= 0;
}

/*
 * Starts a worker in a detached grandchild, as WorkerConnection.answersOrStartsInBackground does, holding its start
 * lock (a POSIX record lock, so the probes that follow this one find it taken and start nothing): unless one answers
 * or is starting. Settings other than the defaults are parsed by Java: `cas-compile start`, which keeps the lock
 * across the exec.
 */
static void start_worker_in_background(const char *cache_dir, const struct sockaddr_un *address,
                                       const char *java_launcher) {
    pid_t child = fork();
    if (child < 0) {
        return;
    }
    if (child > 0) {
        waitpid(child, NULL, 0);
        return;
    }
    if (fork() != 0) {
        _exit(0);
    }
    setsid(); /* its own session, as the Java launcher's setsid gives it: a Ctrl-C in the build does not reach it */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
    }
    mkdir(cache_dir, 0755);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/worker.start.lock", cache_dir);
    int lock = open(path, O_WRONLY | O_CREAT, 0644);
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (lock >= 0 && (fcntl(lock, F_SETLK, &whole) != 0 || answers(address) || worker_starting(cache_dir))) {
        _exit(0);
    }
    if (getenv("CAS_CACHE_MAX_SIZE") || getenv("CAS_WORKER_IDLE_SECONDS") || lock < 0) {
        execl(java_launcher, java_launcher, "start", (char *)NULL);
        _exit(1);
    }
    fcntl(lock, F_SETFD, FD_CLOEXEC);
    spawn_worker(cache_dir);
    _exit(0);
}

/*
 * Starts a worker as above and waits for it to answer, as WorkerConnection.send does but without a JVM of its own
 * (the first compiles of a build wait for the worker: ~0.5 s less than through the Java launcher). Returns the
 * connected socket, or -1 when no worker is noted as starting (it exited, or settings of its own are being parsed by
 * Java): the Java launcher then starts one or reports why it cannot.
 */
static int worker_started_here(const char *cache_dir, const struct sockaddr_un *address, const char *java_launcher) {
    start_worker_in_background(cache_dir, address, java_launcher);
    for (int absent = 0, waited = 0; absent < 20 && waited < 12000; waited++) { /* 10 ms each, as long as Java */
        int fd = connect_to_worker(address);
        if (fd >= 0) {
            return fd;
        }
        absent = worker_starting(cache_dir) ? 0 : absent + 1;
        usleep(10000);
    }
    return -1;
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

    char directory[PATH_MAX];
    if (cache_dir && *cache_dir) {
        if (cache_dir[0] != '/') {
            exec_java_launcher(java_launcher, argc, argv); /* relative: let Java resolve it */
        }
        snprintf(directory, sizeof directory, "%s", cache_dir);
    } else {
        snprintf(directory, sizeof directory, "%s/.cache/cas", home ? home : "");
    }
    char socket_path[PATH_MAX + 16];
    int n = snprintf(socket_path, sizeof socket_path, "%s/worker.sock", directory);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (n < 0 || (size_t)n >= sizeof address.sun_path) {
        exec_java_launcher(java_launcher, argc, argv);
    }
    memcpy(address.sun_path, socket_path, (size_t)n + 1);
    int fd = connect_to_worker(&address);
    int connected = fd >= 0;
    enum kind kind = kind_of(argc, argv);
    if (kind == PROBE && access(CAS_CLANG, X_OK) == 0) {
        if (!connected) {
            start_worker_in_background(directory, &address, java_launcher);
        }
        if (connected) {
            close(fd); /* the worker sees a connection without a request, as from WorkerConnection.answers */
        }
        run_clang(argc, argv);
    }
    if (kind == COMPILE_AND_LINK && !connected && worker_starting(directory) && access(CAS_CLANG, X_OK) == 0) {
        /* a configure-style test program while the worker starts: clang at once (as ccache runs every such command)
           rather than waiting for the worker; the first command of a build, which starts it, still waits */
        run_clang(argc, argv);
    }
    if (!connected && kind != PROBE) {
        fd = worker_started_here(directory, &address, java_launcher);
        connected = fd >= 0;
    }
    if (!connected) {
        exec_java_launcher(java_launcher, argc, argv); /* Java starts one, or says why it cannot */
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
