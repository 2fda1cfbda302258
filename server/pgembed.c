/*
 * pgembed: the embedded PostgreSQL that `convene serve` runs when no database
 * URL is configured (the demo and a developer's first start). The cluster
 * lives in <data_dir>/pg, listens only on a Unix socket in
 * <data_dir>/pg-socket (listen_addresses is empty, so there is no TCP port to
 * collide with or to expose), trusts local connections (the socket directory
 * is mode 0700, so "local" means this user and root) and logs to
 * <data_dir>/pg.log. PostgreSQL refuses to run as root, so when we are root
 * every PostgreSQL program runs as the "postgres" system user: the child drops
 * privileges between fork and exec. Programs are started with fork/execve and
 * an argument vector, never through a shell string, with a fixed small
 * environment; the convene database and its roles are created over libpq:
 * the superuser "postgres" only sets the cluster up, the owner role
 * migrates, and the service runs as a login with DML only.
 *
 * Settings that depend on where the data directory is (the socket path) are
 * written to <data_dir>/pg/convene.conf on every start, which postgresql.conf
 * includes, so a moved data directory keeps working.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "migrate.h"
#include "pgembed.h"
#include "str.h"

#define PG_OS_USER	"postgres"	/* who runs the server when we are root */
#define PG_SUPERUSER	"postgres"	/* cluster superuser (initdb -U) */
#define PG_PORT		"5432"		/* names the socket file only */
#define PG_WAIT_SECS	"60"		/* pg_ctl -t */
#define PG_LIBDIR	"/usr/lib/postgresql"
#define PG_CONF_FILE	"convene.conf"
#define PG_INCLUDE_LINE	"include_if_exists = '" PG_CONF_FILE "'"
#define PG_SOCK_NAME	"/.s.PGSQL." PG_PORT
#define MAX_ARGV	24
#define CONF_MAX	(1024 * 1024)	/* postgresql.conf we are willing to scan */

/* Who PostgreSQL programs run as. */
struct runas {
	int	 drop;		/* we are root: become uid/gid in the child */
	uid_t	 uid;
	gid_t	 gid;
};

/* Fixed environment for PostgreSQL programs: nothing of ours (PGPORT,
 * PGDATA, LD_PRELOAD, ...) leaks into the server. */
static const char *const child_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"LC_ALL=C",
	"LANG=C",
	NULL
};

static void	 seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
	/* One line: a log line or a path must not split the message. */
	for (p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* snprintf that reports truncation: 0 when all of it fit. */
static int	 fmt(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
fmt(char *dst, size_t n, const char *f, ...)
{
	va_list ap;
	int r;

	va_start(ap, f);
	r = vsnprintf(dst, n, f, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n) {
		if (n > 0)
			dst[0] = '\0';
		return -1;
	}
	return 0;
}

/* Copy a message, cut short if it must be: for error text only. */
static void
copy_trunc(char *dst, const char *src, size_t n)
{
	size_t len;

	if (n == 0)
		return;
	len = strlen(src);
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * pg_ctl hands the data directory and log path to /bin/sh inside double
 * quotes, and we put the socket path in single quotes in convene.conf and in
 * the conninfo: refuse anything those quotes cannot carry.
 */
static int
path_safe(const char *p)
{
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\'' ||
		    c == '\\' || c == '$' || c == '`')
			return 0;
	}
	return 1;
}

static int
is_exec(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (fmt(path, sizeof(path), "%s/%s", dir, name) != 0)
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

static int
has_pg_bins(const char *dir)
{
	return is_exec(dir, "initdb") && is_exec(dir, "pg_ctl") &&
	    is_exec(dir, "postgres");
}

/* "15" or "9.6" (whole string) -> major*1000+minor; -1 when not a version. */
static long
version_rank(const char *s)
{
	long major = 0, minor = 0;
	int digits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (digits >= 4)
			return -1;
		major = major * 10 + (*s - '0');
	}
	if (digits == 0)
		return -1;
	if (*s == '.') {
		s++;
		digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits >= 3)
				return -1;
			minor = minor * 10 + (*s - '0');
		}
		if (digits == 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	return major * 1000 + minor;
}

/* Major version of an existing cluster from its PG_VERSION; 0 when none. */
static long
cluster_version(const char *pgdir)
{
	char path[PATH_MAX], buf[16];
	ssize_t n;
	int fd;

	if (fmt(path, sizeof(path), "%s/PG_VERSION", pgdir) != 0)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n \t")] = '\0';
	return version_rank(buf);
}

/*
 * Find initdb/pg_ctl/postgres without relying on PATH: the directory matching
 * an existing cluster's version first, then the highest
 * /usr/lib/postgresql/<version>/bin (Debian), then PATH.
 */
static int
find_bindir(char *out, size_t outlen, long want)
{
	char best[PATH_MAX], cand[PATH_MAX];
	const char *path, *p, *e;
	struct dirent *de;
	long rank, best_rank = -1;
	DIR *d;
	int r;

	if (want > 0) {
		if (want % 1000 == 0)
			r = fmt(cand, sizeof(cand), PG_LIBDIR "/%ld/bin",
			    want / 1000);
		else
			r = fmt(cand, sizeof(cand), PG_LIBDIR "/%ld.%ld/bin",
			    want / 1000, want % 1000);
		if (r == 0 && has_pg_bins(cand))
			return fmt(out, outlen, "%s", cand);
	}
	if ((d = opendir(PG_LIBDIR)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if ((rank = version_rank(de->d_name)) < 0 ||
			    rank <= best_rank)
				continue;
			if (fmt(cand, sizeof(cand), PG_LIBDIR "/%s/bin",
			    de->d_name) != 0 || !has_pg_bins(cand))
				continue;
			best_rank = rank;
			memcpy(best, cand, sizeof(best));
		}
		closedir(d);
		if (best_rank >= 0)
			return fmt(out, outlen, "%s", best);
	}
	if ((path = getenv("PATH")) == NULL)
		return -1;
	for (p = path; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p || *p != '/')
			continue;	/* relative PATH entries are not trusted */
		if (fmt(cand, sizeof(cand), "%.*s", (int)(e - p), p) == 0 &&
		    has_pg_bins(cand))
			return fmt(out, outlen, "%s", cand);
	}
	return -1;
}

static int
runas_init(struct runas *ra, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char *buf;
	size_t buflen = 16384;
	int r;

	memset(ra, 0, sizeof(*ra));
	if (geteuid() != 0) {
		ra->uid = geteuid();
		ra->gid = getegid();
		return 0;
	}
	if ((buf = malloc(buflen)) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	r = getpwnam_r(PG_OS_USER, &pw, buf, buflen, &res);
	if (r != 0 || res == NULL) {
		free(buf);
		seterr(err, errlen, "running as root, but there is no \"%s\" "
		    "system user to run PostgreSQL as (PostgreSQL refuses to "
		    "run as root; install postgresql or create that user)",
		    PG_OS_USER);
		return -1;
	}
	if (pw.pw_uid == 0) {
		free(buf);
		seterr(err, errlen, "the \"%s\" user has uid 0; PostgreSQL "
		    "refuses to run as root", PG_OS_USER);
		return -1;
	}
	ra->drop = 1;
	ra->uid = pw.pw_uid;
	ra->gid = pw.pw_gid;
	free(buf);
	return 0;
}

/* mkdir -p with mode for the components it creates. */
static int
mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	struct stat st;
	char *p;

	if (fmt(tmp, sizeof(tmp), "%s", path) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) == -1 && errno != EEXIST)
		return -1;
	if (stat(tmp, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * Make dir (one level) exist with mode, owned by whoever runs PostgreSQL.
 * An existing directory owned by someone else is an error when we are root:
 * PostgreSQL insists on owning its directories, and we do not silently take
 * over somebody's files.
 */
static int
own_dir(const char *dir, mode_t mode, const struct runas *ra, int take_over,
    char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, mode) == -1 && errno != EEXIST) {
		seterr(err, errlen, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	if (ra->drop && st.st_uid != ra->uid) {
		if (!take_over && st.st_uid != 0) {
			seterr(err, errlen, "%s is owned by uid %ld, not by the "
			    "\"%s\" user", dir, (long)st.st_uid, PG_OS_USER);
			return -1;
		}
		if (chown(dir, ra->uid, ra->gid) == -1) {
			seterr(err, errlen, "cannot chown %s: %s", dir,
			    strerror(errno));
			return -1;
		}
	}
	if ((st.st_mode & 07777) != mode && chmod(dir, mode) == -1) {
		seterr(err, errlen, "cannot chmod %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 when dir has no entries but . and .., 0 when it has, -1 on error. */
static int
dir_empty(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int empty = 1;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* Create the log file if needed, owned by the PostgreSQL user: pg_ctl's
 * shell opens it after the privilege drop. */
static int
prepare_log(const char *log_path, const struct runas *ra, char *err,
    size_t errlen)
{
	int fd;

	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	if (fd == -1) {
		seterr(err, errlen, "cannot open %s: %s", log_path,
		    strerror(errno));
		return -1;
	}
	if (ra->drop && fchown(fd, ra->uid, ra->gid) == -1) {
		seterr(err, errlen, "cannot chown %s: %s", log_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Does this log line say what went wrong? */
static int
log_line_telling(const char *line)
{
	static const char *const marks[] = { "FATAL", "PANIC", "ERROR",
	    "error", "pgembed:", "could not", "cannot", NULL };
	size_t i;

	/* pg_ctl's own closing words point at the log we are reading, and
	 * a client turned away while the server starts, recovers or stops
	 * (FATAL:  the database system is ...) hides the cause. */
	if (strstr(line, "Examine the log output") != NULL ||
	    strstr(line, "could not start server") != NULL ||
	    strstr(line, "FATAL:  the database system is ") != NULL)
		return 0;
	for (i = 0; marks[i] != NULL; i++)
		if (strstr(line, marks[i]) != NULL)
			return 1;
	return 0;
}

/*
 * The line of the log's last 4 KiB that best explains a failure: the last one
 * that names an error, else the last non-empty one. For err messages.
 */
static void
log_tail(const char *log_path, char *out, size_t outlen)
{
	char buf[4096];
	const char *best = NULL, *last = NULL;
	char *line, *nl;
	ssize_t n;
	off_t end;
	int fd;

	out[0] = '\0';
	if ((fd = open(log_path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)(sizeof(buf) - 1))
		end -= (off_t)(sizeof(buf) - 1);
	else
		end = 0;
	if (lseek(fd, end, SEEK_SET) == -1 ||
	    (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		close(fd);
		return;
	}
	close(fd);
	buf[n] = '\0';
	for (line = buf; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0')
			continue;
		last = line;
		if (log_line_telling(line))
			best = line;
	}
	if (best == NULL)
		best = last;
	if (best != NULL)
		copy_trunc(out, best, outlen);
}

/*
 * Child side of run_prog: only async-signal-safe calls from here on (we may
 * be one thread of a threaded server). Never returns.
 */
static void	 child_exec(const struct runas *, int, int, const char *,
		    const char *, const char *const *) __attribute__((noreturn));

static void
child_exec(const struct runas *ra, int outfd, int errfd, const char *probe,
    const char *probe_msg, const char *const *argv)
{
	static const int sigs[] = { SIGCHLD, SIGPIPE, SIGINT, SIGTERM, SIGHUP,
	    SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM };
	static const char exec_msg[] = "pgembed: execve failed\n";
	struct sigaction sa;
	sigset_t none;
	size_t i;
	int nullfd;

	/* The server's signal handling must not inherit ours. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	if ((nullfd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(outfd == -1 ? nullfd : outfd, STDOUT_FILENO) == -1 ||
	    dup2(errfd == -1 ? nullfd : errfd, STDERR_FILENO) == -1)
		_exit(126);
	/* No listening socket or database connection of ours may end up held
	 * open by the postmaster. */
	closefrom(STDERR_FILENO + 1);

	if (ra->drop) {
		if (setgroups(1, &ra->gid) == -1 || setgid(ra->gid) == -1 ||
		    setuid(ra->uid) == -1 || setuid(0) != -1)
			_exit(126);
	}
	if (probe != NULL && access(probe, R_OK | W_OK | X_OK) == -1) {
		if (write(STDERR_FILENO, probe_msg, strlen(probe_msg)) < 0)
			_exit(126);	/* nobody left to tell */
		_exit(126);
	}
	execve(argv[0], (char *const *)argv, (char *const *)child_env);
	if (write(STDERR_FILENO, exec_msg, sizeof(exec_msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Run argv (argv[0] an absolute path) as the PostgreSQL user, stdout and
 * stderr appended to log_path (stdout discarded when quiet), and wait. probe,
 * if set, is a directory the program must be able to use; a clear line goes
 * to the log when it cannot. Returns the exit status, or -1 when the program
 * could not be run or died of a signal (err written).
 */
static int
run_prog(const struct runas *ra, const char *log_path, int quiet,
    const char *probe, const char *const *argv, char *err, size_t errlen)
{
	char probe_msg[PATH_MAX + 160];
	pid_t pid, w;
	int status, logfd;

	probe_msg[0] = '\0';
	if (probe != NULL && fmt(probe_msg, sizeof(probe_msg),
	    "pgembed: user \"%s\" cannot use %s: check the permissions of "
	    "it and of every directory above it\n",
	    ra->drop ? PG_OS_USER : "running convene", probe) != 0)
		probe_msg[0] = '\0';
	logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (logfd == -1) {
		seterr(err, errlen, "cannot open %s: %s", log_path,
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		seterr(err, errlen, "fork: %s", strerror(errno));
		close(logfd);
		return -1;
	}
	if (pid == 0)
		child_exec(ra, quiet ? -1 : logfd, logfd, probe, probe_msg,
		    argv);
	close(logfd);
	do
		w = waitpid(pid, &status, 0);
	while (w == -1 && errno == EINTR);
	if (w == -1) {
		/* ECHILD: somebody set SIGCHLD to SIG_IGN in this process. */
		seterr(err, errlen, "waitpid for %s: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	seterr(err, errlen, "%s died of signal %d", argv[0],
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/* "<what> failed (exit N): <last log line> (log: path)" */
static void
prog_failed(const char *what, int code, const char *log_path, char *err,
    size_t errlen)
{
	char tail[512];

	if (code < 0)
		return;		/* run_prog already said why */
	log_tail(log_path, tail, sizeof(tail));
	seterr(err, errlen, "%s failed (exit %d): %s (log: %s)", what, code,
	    tail[0] != '\0' ? tail : "no output", log_path);
}

/* Write all of buf to a new file at path (0600, PostgreSQL's owner). */
static int
write_file(const char *path, const char *buf, size_t len,
    const struct runas *ra, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	ssize_t n;
	size_t off = 0;
	int fd;

	if (fmt(tmp, sizeof(tmp), "%s.tmp", path) != 0) {
		seterr(err, errlen, "path too long: %s", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		goto fail;
	if (ra->drop && fchown(fd, ra->uid, ra->gid) == -1)
		goto fail;
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return 0;
fail:
	seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	return -1;
}

/* Ensure postgresql.conf includes convene.conf (once). */
static int
ensure_include(const char *pgdir, char *err, size_t errlen)
{
	static const char line[] = "\n# Added by convene (pgembed).\n"
	    PG_INCLUDE_LINE "\n";
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t off = 0;
	int fd = -1, rc = -1;

	if (fmt(path, sizeof(path), "%s/postgresql.conf", pgdir) != 0) {
		seterr(err, errlen, "path too long: %s", pgdir);
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size > CONF_MAX) {
		seterr(err, errlen, "%s is larger than %d bytes", path,
		    CONF_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	if (strstr(buf, PG_INCLUDE_LINE) == NULL) {
		if (write(fd, line, sizeof(line) - 1) !=
		    (ssize_t)(sizeof(line) - 1))
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	seterr(err, errlen, "cannot update %s: %s", path, strerror(errno));
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

/* (Re)write convene.conf: the settings that depend on where we live. */
static int
write_conf(const struct pgembed *pg, const struct runas *ra, char *err,
    size_t errlen)
{
	char path[PATH_MAX], buf[1024];

	if (fmt(path, sizeof(path), "%s/" PG_CONF_FILE, pg->data_dir) != 0 ||
	    fmt(buf, sizeof(buf),
	    "# Written by convene (server/pgembed.c) on every start; edits "
	    "are lost.\n"
	    "listen_addresses = ''\n"
	    "port = " PG_PORT "\n"
	    "unix_socket_directories = '%s'\n"
	    "unix_socket_permissions = 0700\n"
	    "# A refused row (a constraint error's DETAIL) can hold a child's\n"
	    "# name: log errors without DETAIL, HINT, QUERY or CONTEXT.\n"
	    "log_error_verbosity = terse\n", pg->sock_dir) != 0) {
		seterr(err, errlen, "path too long: %s", pg->data_dir);
		return -1;
	}
	return write_file(path, buf, strlen(buf), ra, err, errlen);
}

/* First line of a libpq error, for err. */
static const char *
pq_line(PGconn *c, char *buf, size_t len)
{
	copy_trunc(buf, PQerrorMessage(c), len);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* Connect to database dbname as the cluster's superuser over the socket. */
static PGconn *
connect_super(const struct pgembed *pg, const char *dbname, char *err,
    size_t errlen)
{
	char ci[sizeof(pg->conninfo)], msg[256];
	PGconn *c;

	if (fmt(ci, sizeof(ci), "host='%s' port=" PG_PORT " dbname=%s "
	    "user=" PG_SUPERUSER " connect_timeout=10", pg->sock_dir,
	    dbname) != 0) {
		seterr(err, errlen, "socket path too long");
		return NULL;
	}
	c = PQconnectdb(ci);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		seterr(err, errlen, "cannot connect to the embedded PostgreSQL "
		    "in %s: %s", pg->sock_dir,
		    c != NULL ? pq_line(c, msg, sizeof(msg)) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Run one statement of ours (no parameters); a failure with SQLSTATE
 * tolerated (e.g. 42710, the role exists) counts as success. */
static int
run_sql(PGconn *c, const char *sql, const char *tolerated, char *err,
    size_t errlen)
{
	char msg[256];
	const char *state;
	PGresult *res;
	int ok;

	res = PQexec(c, sql);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || (tolerated != NULL &&
	    state != NULL && strcmp(state, tolerated) == 0);
	if (!ok)
		seterr(err, errlen, "embedded PostgreSQL: %.60s...: %s", sql,
		    pq_line(c, msg, sizeof(msg)));
	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * The roles (docs/security.md, "Least privilege"): the owner, which owns a
 * new database and runs migrations; the serving group role; the serving
 * login, made a plain member of it again on every start in case an older
 * version or a person gave it more. Names are compile-time constants.
 */
static int
ensure_roles(PGconn *c, char *err, size_t errlen)
{
	static const char *const sql[] = {
		"CREATE ROLE " MIGRATE_SERVE_ROLE " NOLOGIN",
		"CREATE ROLE " PGEMBED_OWNER " LOGIN",
		"CREATE ROLE " PGEMBED_SERVE " LOGIN",
		"ALTER ROLE " PGEMBED_OWNER " NOSUPERUSER NOCREATEDB "
		    "NOCREATEROLE NOREPLICATION NOBYPASSRLS",
		"ALTER ROLE " PGEMBED_SERVE " NOSUPERUSER NOCREATEDB "
		    "NOCREATEROLE NOREPLICATION NOBYPASSRLS",
		"GRANT " MIGRATE_SERVE_ROLE " TO " PGEMBED_SERVE,
		NULL
	};
	size_t i;

	for (i = 0; sql[i] != NULL; i++)
		if (run_sql(c, sql[i], "42710", err, errlen) != 0)
			return -1;
	return 0;
}

/* Create the roles, and "convene" (owned by PGEMBED_OWNER) if missing. */
static int
ensure_database(const struct pgembed *pg, char *err, size_t errlen)
{
	const char *params[1] = { PGEMBED_DBNAME };
	PGresult *res = NULL;
	PGconn *c;
	char msg[256];
	int rc = -1;

	if ((c = connect_super(pg, "postgres", err, errlen)) == NULL)
		return -1;
	if (ensure_roles(c, err, errlen) != 0)
		goto out;
	res = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		seterr(err, errlen, "cannot list databases: %s",
		    pq_line(c, msg, sizeof(msg)));
		goto out;
	}
	/* The name is a compile-time constant, not data. */
	if (PQntuples(res) == 0 && run_sql(c, "CREATE DATABASE "
	    PGEMBED_DBNAME " OWNER " PGEMBED_OWNER, "42P04", err, errlen) != 0)
		goto out;
	rc = 0;
out:
	PQclear(res);
	PQfinish(c);
	return rc;
}

/* A role name we are willing to put in a conninfo unquoted. */
static int
role_name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 63 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Who migrates: the owner of the tables, which is PGEMBED_OWNER in a cluster
 * made by this version and the superuser in one made by an older version
 * (docs/operations.md, upgrading); the database's owner before any table.
 */
static int
find_owner(struct pgembed *pg, char *err, size_t errlen)
{
	PGresult *res;
	PGconn *c;
	const char *who = NULL;
	char msg[256];
	int rc = -1;

	if ((c = connect_super(pg, PGEMBED_DBNAME, err, errlen)) == NULL)
		return -1;
	res = PQexec(c, "SELECT coalesce((SELECT pg_get_userbyid(relowner) "
	    "FROM pg_class WHERE oid = to_regclass('public.schema_migrations')),"
	    " (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE "
	    "datname = current_database()))");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		seterr(err, errlen, "cannot read who owns the tables: %s",
		    pq_line(c, msg, sizeof(msg)));
		goto out;
	}
	who = PQgetvalue(res, 0, 0);
	if (!role_name_ok(who) || strcmp(who, PGEMBED_SERVE) == 0) {
		seterr(err, errlen, "the tables of the embedded database are "
		    "owned by role \"%.63s\", which cannot migrate them apart "
		    "from the serving login " PGEMBED_SERVE " (docs/operations.md)",
		    who);
		goto out;
	}
	if (fmt(pg->owner_conninfo, sizeof(pg->owner_conninfo), "host='%s' "
	    "port=" PG_PORT " dbname=" PGEMBED_DBNAME " user=%s",
	    pg->sock_dir, who) != 0) {
		seterr(err, errlen, "socket path too long");
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	PQfinish(c);
	return rc;
}

static int
pg_ctl_path(const struct pgembed *pg, char *out, size_t len)
{
	return fmt(out, len, "%s/pg_ctl", pg->bindir);
}

/* pg_ctl start, waiting; a stale postmaster.pid after a crash is pg_ctl's
 * to handle, and crash recovery runs. 0 when it is up, -1 (err) if not. */
static int
ctl_start(const struct pgembed *pg, const struct runas *ra, const char *pg_ctl,
    const char *log_path, char *err, size_t errlen)
{
	const char *argv[MAX_ARGV];
	int code;

	argv[0] = pg_ctl;
	argv[1] = "start";
	argv[2] = "-w";
	argv[3] = "-s";
	argv[4] = "-t";
	argv[5] = PG_WAIT_SECS;
	argv[6] = "-D";
	argv[7] = pg->data_dir;
	argv[8] = "-l";
	argv[9] = log_path;
	argv[10] = NULL;
	code = run_prog(ra, log_path, 0, NULL, argv, err, errlen);
	if (code != 0) {
		prog_failed("pg_ctl start", code, log_path, err, errlen);
		return -1;
	}
	return 0;
}

int
pgembed_start(struct pgembed *pg, const char *data_dir, char *err,
    size_t errlen)
{
	char base[PATH_MAX], log_path[PATH_MAX], initdb[PATH_MAX];
	char pg_ctl[PATH_MAX], why[256];
	const char *argv[MAX_ARGV];
	struct runas ra;
	struct stat st;
	long version;
	int code, rc = -1, e;

	memset(pg, 0, sizeof(*pg));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (data_dir == NULL || data_dir[0] == '\0') {
		seterr(err, errlen, "no data directory given");
		return -1;
	}
	if (runas_init(&ra, err, errlen) != 0)
		return -1;

	/* When root, directories we create must let postgres pass through. */
	if (mkdir_p(data_dir, ra.drop ? 0711 : 0700) == -1) {
		seterr(err, errlen, "cannot create data directory %s: %s",
		    data_dir, strerror(errno));
		return -1;
	}
	if (realpath(data_dir, base) == NULL) {
		seterr(err, errlen, "cannot resolve %s: %s", data_dir,
		    strerror(errno));
		return -1;
	}
	if (!path_safe(base)) {
		seterr(err, errlen, "data directory path has a quote, "
		    "backslash, $, ` or control character, which pg_ctl "
		    "cannot pass safely: %s", base);
		return -1;
	}
	if (ra.drop && stat(base, &st) == 0 && st.st_uid == 0 &&
	    (st.st_mode & S_IXOTH) == 0 &&
	    chmod(base, (st.st_mode & 07777) | S_IXOTH) == -1) {
		/* Search (not read) permission so postgres reaches pg/. */
		seterr(err, errlen, "cannot chmod %s: %s", base,
		    strerror(errno));
		return -1;
	}
	if (fmt(pg->data_dir, sizeof(pg->data_dir), "%s/pg", base) != 0 ||
	    fmt(pg->sock_dir, sizeof(pg->sock_dir), "%s/pg-socket",
	    base) != 0 ||
	    fmt(log_path, sizeof(log_path), "%s/pg.log", base) != 0) {
		seterr(err, errlen, "data directory path too long: %s", base);
		goto out;
	}
	if (strlen(pg->sock_dir) + sizeof(PG_SOCK_NAME) >
	    sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		seterr(err, errlen, "data directory path too long for a Unix "
		    "socket (%zu bytes at most): %s",
		    sizeof(((struct sockaddr_un *)NULL)->sun_path) -
		    sizeof(PG_SOCK_NAME) - sizeof("/pg-socket") + 1, base);
		goto out;
	}
	if (own_dir(pg->sock_dir, 0700, &ra, 1, err, errlen) != 0 ||
	    prepare_log(log_path, &ra, err, errlen) != 0)
		goto out;

	version = cluster_version(pg->data_dir);
	if (find_bindir(pg->bindir, sizeof(pg->bindir), version) != 0) {
		seterr(err, errlen, "no PostgreSQL server programs (initdb, "
		    "pg_ctl, postgres) in " PG_LIBDIR "/*/bin or PATH; "
		    "install postgresql");
		goto out;
	}
	if (fmt(initdb, sizeof(initdb), "%s/initdb", pg->bindir) != 0 ||
	    pg_ctl_path(pg, pg_ctl, sizeof(pg_ctl)) != 0) {
		seterr(err, errlen, "PostgreSQL path too long");
		goto out;
	}

	if (version <= 0) {
		if (own_dir(pg->data_dir, 0700, &ra, 0, err, errlen) != 0)
			goto out;
		if ((e = dir_empty(pg->data_dir)) != 1) {
			seterr(err, errlen, "%s %s", pg->data_dir, e == 0 ?
			    "is not empty but holds no PostgreSQL cluster "
			    "(no PG_VERSION); move it away to start afresh" :
			    "cannot be read");
			goto out;
		}
		argv[0] = initdb;
		argv[1] = "-D";
		argv[2] = pg->data_dir;
		argv[3] = "--username=" PG_SUPERUSER;
		argv[4] = "--auth-local=trust";
		argv[5] = "--auth-host=reject";
		argv[6] = "--encoding=UTF8";
		argv[7] = "--locale=C.UTF-8";
		argv[8] = NULL;
		code = run_prog(&ra, log_path, 0, pg->data_dir, argv, err,
		    errlen);
		if (code != 0) {
			prog_failed("initdb", code, log_path, err, errlen);
			goto out;
		}
	} else if (ra.drop && stat(pg->data_dir, &st) == 0 &&
	    st.st_uid != ra.uid) {
		seterr(err, errlen, "%s is owned by uid %ld, not by the \"%s\" "
		    "user", pg->data_dir, (long)st.st_uid, PG_OS_USER);
		goto out;
	}
	if (ensure_include(pg->data_dir, err, errlen) != 0 ||
	    write_conf(pg, &ra, err, errlen) != 0)
		goto out;
	if (fmt(pg->conninfo, sizeof(pg->conninfo), "host='%s' port=" PG_PORT
	    " dbname=" PGEMBED_DBNAME " user=" PGEMBED_SERVE,
	    pg->sock_dir) != 0) {
		seterr(err, errlen, "socket path too long");
		goto out;
	}

	/* pg_ctl status: 0 running, 3 not running, 4 no usable data dir. */
	argv[0] = pg_ctl;
	argv[1] = "status";
	argv[2] = "-D";
	argv[3] = pg->data_dir;
	argv[4] = NULL;
	code = run_prog(&ra, log_path, 1, pg->data_dir, argv, err, errlen);
	if (code == 3) {
		if (ctl_start(pg, &ra, pg_ctl, log_path, err, errlen) != 0)
			goto out;
		pg->started = 1;
	} else if (code != 0) {
		prog_failed("pg_ctl status", code, log_path, err, errlen);
		goto out;
	}
	if (ensure_database(pg, err, errlen) != 0) {
		if (!pg->started && err != NULL && errlen > 0) {
			/* A postmaster.pid naming a live process that is not
			 * our server (a PID reused after a container restart). */
			copy_trunc(why, err, sizeof(why));
			seterr(err, errlen, "%s; pg_ctl says a server is running "
			    "for %s: if none is, remove %s/postmaster.pid", why,
			    pg->data_dir, pg->data_dir);
		}
		goto out;
	}
	if (find_owner(pg, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		pgembed_stop(pg);
		pg->conninfo[0] = '\0';
		pg->owner_conninfo[0] = '\0';
	}
	return rc;
}

void
pgembed_stop(struct pgembed *pg)
{
	char pg_ctl[PATH_MAX], log_path[PATH_MAX], err[512];
	char pid_path[PATH_MAX], tail[512];
	const char *argv[MAX_ARGV];
	struct runas ra;
	int code;

	if (pg == NULL || !pg->started)
		return;
	pg->started = 0;
	err[0] = '\0';
	if (runas_init(&ra, err, sizeof(err)) != 0 ||
	    pg_ctl_path(pg, pg_ctl, sizeof(pg_ctl)) != 0 ||
	    fmt(log_path, sizeof(log_path), "%s.log", pg->data_dir) != 0) {
		fprintf(stderr, "pgembed: cannot stop %s: %s\n", pg->data_dir,
		    err[0] != '\0' ? err : "path too long");
		return;
	}
	argv[0] = pg_ctl;
	argv[1] = "stop";
	argv[2] = "-w";
	argv[3] = "-s";
	argv[4] = "-t";
	argv[5] = PG_WAIT_SECS;
	argv[6] = "-m";
	argv[7] = "fast";
	argv[8] = "-D";
	argv[9] = pg->data_dir;
	argv[10] = NULL;
	code = run_prog(&ra, log_path, 0, NULL, argv, err, sizeof(err));
	if (code > 0 && fmt(pid_path, sizeof(pid_path), "%s/postmaster.pid",
	    pg->data_dir) == 0 && access(pid_path, F_OK) == -1 &&
	    errno == ENOENT) {
		/* Not a failure to stop: it had stopped by itself (a PANIC
		 * whose crash recovery failed, e.g. no room for WAL). */
		log_tail(log_path, tail, sizeof(tail));
		fprintf(stderr, "pgembed: PostgreSQL in %s had already "
		    "stopped: %s (log: %s)\n", pg->data_dir,
		    tail[0] != '\0' ? tail : "no output", log_path);
	} else if (code != 0) {
		prog_failed("pg_ctl stop", code, log_path, err, sizeof(err));
		fprintf(stderr, "pgembed: %s\n", err);
	}
}

/* 1 when the postmaster named in postmaster.pid is alive. */
static int
postmaster_alive(const struct pgembed *pg)
{
	char path[PATH_MAX], line[32];
	long pid;
	FILE *f;
	int ok = 0;

	if (fmt(path, sizeof(path), "%s/postmaster.pid", pg->data_dir) != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		ok = str_to_long(line, 1, INT_MAX, &pid) == 0 &&
		    (kill((pid_t)pid, 0) == 0 || errno == EPERM);
	}
	fclose(f);
	return ok;
}

int
pgembed_revive(struct pgembed *pg, char *err, size_t errlen)
{
	char pg_ctl[PATH_MAX], log_path[PATH_MAX];
	struct runas ra;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (pg == NULL || !pg->started || postmaster_alive(pg))
		return 0;
	if (runas_init(&ra, err, errlen) != 0)
		return -1;
	if (pg_ctl_path(pg, pg_ctl, sizeof(pg_ctl)) != 0 ||
	    fmt(log_path, sizeof(log_path), "%s.log", pg->data_dir) != 0) {
		seterr(err, errlen, "PostgreSQL path too long");
		return -1;
	}
	return ctl_start(pg, &ra, pg_ctl, log_path, err, errlen) == 0 ? 1 : -1;
}
