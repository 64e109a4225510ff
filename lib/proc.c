/*
 * proc.c - the measured process runner (see proc.h for the contract).
 *
 * One loop does everything: poll() on the output pipes and on a pidfd of
 * the child (readable when it exits), with a timeout that is the nearest of
 * the next RSS poll, the command's deadline, the SIGKILL deadline and the
 * linger deadline. The child is never reaped before the end: waitid() with
 * WNOWAIT sees the exit but leaves a zombie, so the process group id stays
 * reserved and killpg() cannot hit an unrelated group that reused the pid.
 *
 * /proc/<pid>/stat fields used (proc(5)), after the ")" that ends comm,
 * which may itself contain spaces and parentheses:
 *   3 state   4 ppid   5 pgrp   20 num_threads   22 starttime (clock ticks)
 *   23 vsize (bytes)   24 rss (pages)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "proc.h"

extern char **environ;

/* Output read per read() call; also the tee and ring granularity. */
#define READ_CHUNK 65536
/* A children file longer than this is cut (thousands of children). */
#define SMP_BUF 16384
/*
 * Bound on waiting for pipes after the group was SIGKILLed: only a process
 * that left our group (setsid) can still hold them open; we stop reading.
 */
#define FINAL_DRAIN_MS 500
/*
 * Looking for new descendants costs a directory listing and a read per
 * thread of every process (Go programs have ten or more threads); summing
 * the RSS of the processes already known costs one read each. So only
 * every DISCOVER_EVERY-th poll walks the tree (every 60 ms at 20 ms) and
 * reads VmHWM: a benchmark binary lives for seconds; a process that lives
 * less than that may go unseen (proc.h says so).
 */
#define DISCOVER_EVERY 3
/*
 * Poll timeout when no pidfd tells us about the exit, or when cancel may
 * have been set between its check and poll().
 */
#define EXIT_POLL_MS 10
#define CANCEL_POLL_MS 100

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ms_to_ns(int64_t ms)
{
	return ms * 1000000;
}

/* ---- log tail ring buffer ---- */

struct ring {
	char *buf;    /* cap bytes */
	size_t cap;   /* ring size (opts.tail_max) */
	size_t start; /* index of the oldest byte */
	size_t len;   /* bytes held, <= cap */
};

static void ring_put(struct ring *r, const char *p, size_t n)
{
	size_t end, first;

	if (r->cap == 0 || n == 0)
		return;
	if (n >= r->cap) {
		memcpy(r->buf, p + n - r->cap, r->cap);
		r->start = 0;
		r->len = r->cap;
		return;
	}
	end = (r->start + r->len) % r->cap;
	first = r->cap - end < n ? r->cap - end : n;
	memcpy(r->buf + end, p, first);
	memcpy(r->buf, p + first, n - first);
	if (r->len + n > r->cap) {
		r->start = (r->start + r->len + n - r->cap) % r->cap;
		r->len = r->cap;
	} else {
		r->len += n;
	}
}

/* Copy the ring, oldest byte first, into a new NUL-terminated string. */
static char *ring_linear(const struct ring *r)
{
	char *s = malloc(r->len + 1);
	size_t first;

	if (s == NULL)
		return NULL;
	first = r->cap - r->start < r->len ? r->cap - r->start : r->len;
	if (r->len)
		memcpy(s, r->buf + r->start, first);
	if (r->len > first)
		memcpy(s + first, r->buf, r->len - first);
	s[r->len] = '\0';
	return s;
}

/* ---- RSS sampler ---- */

struct tracked {
	pid_t pid;
	unsigned long long start; /* starttime, tells a reused pid apart */
	unsigned long long vsize; /* bytes of address space (this poll) */
	int64_t rss_pages;        /* resident pages (this poll) */
};

struct pinfo {
	pid_t pid;
	pid_t ppid;
	pid_t pgrp;
	char state;
	int64_t threads;
	unsigned long long start;
	unsigned long long vsize;
	int64_t rss_pages;
};

struct sampler {
	pid_t root;
	bool scan;             /* find children by scanning /proc */
	int64_t page;          /* bytes per page */
	struct tracked *known; /* processes seen in the last poll, by pid */
	size_t nknown;
	struct tracked *seen; /* this poll, sorted by pid */
	size_t nseen;
	size_t cap;            /* capacity of known and seen */
	struct tracked *stack; /* walk work list; start 0: any start */
	size_t nstack;
	size_t stackcap;
	struct pinfo *table; /* scan mode: every process of the system */
	size_t ntable;
	size_t tablecap;
	char buf[SMP_BUF];
	int64_t peak;        /* bytes, largest sum */
	int64_t peak_single; /* bytes, largest VmHWM of one process */
	int64_t polls;
	int64_t max_tree;
	bool incomplete;
};

static int read_small(const char *path, char *buf, size_t size, size_t *len)
{
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return 0;
}

/* Parse the next space-separated unsigned number; -1 at a malformed one. */
static int next_num(const char **pp, unsigned long long *out)
{
	const char *p = *pp;
	char *end;

	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*out = strtoull(p, &end, 10);
	if (errno != 0)
		return -1;
	*pp = end;
	return 0;
}

static int read_stat(struct sampler *s, pid_t pid, struct pinfo *out)
{
	char path[64];
	const char *p;
	unsigned long long v = 0;
	size_t len;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, s->buf, sizeof(s->buf), &len) < 0)
		return -1;
	p = strrchr(s->buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	out->pid = pid;
	out->state = p[2];
	p += 3;
	/* fields 4.. are numbers (some signed, never negative for these) */
	for (field = 4; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (*p == '-') {
			p++;
			if (next_num(&p, &v) < 0)
				return -1;
			continue;
		}
		if (next_num(&p, &v) < 0)
			return -1;
		if (field == 4)
			out->ppid = (pid_t)v;
		else if (field == 5)
			out->pgrp = (pid_t)v;
		else if (field == 20)
			out->threads = (int64_t)v;
		else if (field == 22)
			out->start = v;
		else if (field == 23)
			out->vsize = v;
		else if (field == 24)
			out->rss_pages = (int64_t)v;
	}
	return 0;
}

/*
 * VmHWM of /proc/<pid>/status: the high-water mark of the process's
 * current address space (since its exec), in bytes; -1 if unreadable.
 */
static int64_t read_hwm(struct sampler *s, pid_t pid)
{
	char path[64];
	const char *p;
	unsigned long long kb;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, s->buf, sizeof(s->buf), &len) < 0)
		return -1;
	p = strstr(s->buf, "\nVmHWM:");
	if (p == NULL)
		return -1; /* a zombie or a kernel thread */
	p += strlen("\nVmHWM:");
	while (*p == ' ' || *p == '\t')
		p++;
	if (next_num(&p, &kb) < 0 || kb > (unsigned long long)INT64_MAX / 1024)
		return -1;
	return (int64_t)kb * 1024;
}

static int push(struct sampler *s, pid_t pid, unsigned long long start)
{
	if (s->nstack == s->stackcap) {
		size_t cap = s->stackcap ? s->stackcap * 2 : 64;
		void *p = realloc(s->stack, cap * sizeof(*s->stack));

		if (p == NULL)
			return -1;
		s->stack = p;
		s->stackcap = cap;
	}
	s->stack[s->nstack].pid = pid;
	s->stack[s->nstack].start = start;
	s->nstack++;
	return 0;
}

/* Index where pid is or would go in the sorted array. */
static size_t find_pos(const struct tracked *a, size_t n, pid_t pid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool seen_has(const struct sampler *s, pid_t pid)
{
	size_t i = find_pos(s->seen, s->nseen, pid);

	return i < s->nseen && s->seen[i].pid == pid;
}

static int seen_add(struct sampler *s, const struct pinfo *pi)
{
	size_t i;

	if (s->nseen == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		void *a, *b;

		if (cap > MG_PROC_MAX_TREE)
			cap = MG_PROC_MAX_TREE;
		if (cap == s->cap)
			return -1;
		a = realloc(s->seen, cap * sizeof(*s->seen));
		if (a == NULL)
			return -1;
		s->seen = a;
		b = realloc(s->known, cap * sizeof(*s->known));
		if (b == NULL)
			return -1;
		s->known = b;
		s->cap = cap;
	}
	i = find_pos(s->seen, s->nseen, pi->pid);
	memmove(s->seen + i + 1, s->seen + i,
	        (s->nseen - i) * sizeof(*s->seen));
	s->seen[i].pid = pi->pid;
	s->seen[i].start = pi->start;
	s->seen[i].vsize = pi->state == 'Z' ? 0 : pi->vsize;
	s->seen[i].rss_pages = pi->rss_pages;
	s->nseen++;
	return 0;
}

static bool is_pid_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

static pid_t parse_pid(const char *name)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(name, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

/* Scan mode: read every /proc/<pid>/stat once per poll. */
static int scan_table(struct sampler *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (d == NULL)
		return -1;
	s->ntable = 0;
	while ((de = readdir(d)) != NULL) {
		struct pinfo pi;
		pid_t pid;

		if (!is_pid_name(de->d_name))
			continue;
		pid = parse_pid(de->d_name);
		if (pid == 0 || read_stat(s, pid, &pi) < 0)
			continue;
		if (s->ntable == s->tablecap) {
			size_t cap = s->tablecap ? s->tablecap * 2 : 256;
			void *p = realloc(s->table, cap * sizeof(*s->table));

			if (p == NULL) {
				closedir(d);
				return -1;
			}
			s->table = p;
			s->tablecap = cap;
		}
		s->table[s->ntable++] = pi;
	}
	closedir(d);
	return 0;
}

/* Push the pids listed in a task's children file. */
static int push_child_list(struct sampler *s, const char *path)
{
	const char *p;
	size_t len;

	if (read_small(path, s->buf, sizeof(s->buf), &len) < 0)
		return 0; /* the thread or process is gone */
	if (len == sizeof(s->buf) - 1)
		s->incomplete = true;
	p = s->buf;
	for (;;) {
		unsigned long long v;

		if (next_num(&p, &v) < 0)
			return 0;
		if (v > 0 && v <= INT_MAX && push(s, (pid_t)v, 0) < 0)
			return -1;
	}
}

/* Push the children of pid, from the kernel's per-thread lists. */
static int push_children(struct sampler *s, const struct pinfo *pi)
{
	char path[320]; /* d_name is at most 255 bytes */
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (s->scan) {
		size_t i;

		for (i = 0; i < s->ntable; i++)
			if (s->table[i].ppid == pi->pid &&
			    push(s, s->table[i].pid, 0) < 0)
				return -1;
		return 0;
	}
	if (pi->threads == 1) {
		/* a shell, make, cc: no need to list the threads */
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
		         (int)pi->pid, (int)pi->pid);
		return push_child_list(s, path);
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pi->pid);
	d = opendir(path);
	if (d == NULL)
		return 0; /* gone since we read its stat */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!is_pid_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
		         (int)pi->pid, de->d_name);
		rc = push_child_list(s, path);
	}
	closedir(d);
	return rc;
}

static void sampler_init(struct sampler *s, pid_t root, bool scan)
{
	char path[96];

	memset(s, 0, sizeof(*s));
	s->root = root;
	s->page = sysconf(_SC_PAGESIZE);
	if (s->page <= 0)
		s->page = 4096;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)root,
	         (int)root);
	s->scan = scan || access(path, R_OK) != 0;
}

static void sampler_release(struct sampler *s)
{
	free(s->known);
	free(s->seen);
	free(s->stack);
	free(s->table);
}

static int by_vsize(const void *a, const void *b)
{
	const struct tracked *x = a, *y = b;

	if (x->vsize != y->vsize)
		return x->vsize < y->vsize ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* True if the kernel says both processes use one address space. */
static bool same_mm(pid_t a, pid_t b)
{
#ifdef SYS_kcmp
	return syscall(SYS_kcmp, a, b, KCMP_VM, 0UL, 0UL) == 0;
#else
	(void)a;
	(void)b;
	return false;
#endif
}

/*
 * Sum the resident pages of this poll's processes, counting an address
 * space shared by several processes once: a vfork child before its exec
 * (Go's os/exec, posix_spawn) or a CLONE_VM helper such as
 * LeakSanitizer's tracer. Those show the same vsize, so only processes
 * of equal vsize are compared with kcmp(2). Sorts seen by vsize (its
 * order no longer matters) and marks the duplicates' rss as -1.
 */
static int64_t sum_pages(struct sampler *s)
{
	int64_t pages = 0;
	size_t i, j, first = 0;

	qsort(s->seen, s->nseen, sizeof(*s->seen), by_vsize);
	for (i = 0; i < s->nseen; i++) {
		struct tracked *t = &s->seen[i];

		if (i == 0 || t->vsize != s->seen[i - 1].vsize)
			first = i;
		for (j = first; j < i && t->vsize != 0; j++)
			if (s->seen[j].rss_pages >= 0 &&
			    same_mm(s->seen[j].pid, t->pid))
				break;
		if (j < i && t->vsize != 0) {
			t->rss_pages = -1;
			continue;
		}
		pages += t->rss_pages;
	}
	return pages;
}

/*
 * One poll: sum the resident pages of the root and of every process seen
 * last time (so a re-parented orphan stays counted while it lives); on a
 * discovery poll also walk down to their children.
 */
static void sampler_poll(struct sampler *s)
{
	bool discover = s->polls % DISCOVER_EVERY == 0;
	int64_t pages = 0, hwm;
	size_t i;
	void *tmp;

	s->polls++;
	s->nstack = 0;
	s->nseen = 0;
	s->ntable = 0;
	if (discover && s->scan && scan_table(s) < 0) {
		s->incomplete = true;
		return;
	}
	if (push(s, s->root, 0) < 0)
		goto oom;
	for (i = 0; i < s->nknown; i++)
		if (push(s, s->known[i].pid, s->known[i].start) < 0)
			goto oom;
	/* the scan also sees group members whose parent died unseen */
	for (i = 0; s->scan && i < s->ntable; i++)
		if (s->table[i].pgrp == s->root &&
		    push(s, s->table[i].pid, 0) < 0)
			goto oom;
	while (s->nstack > 0) {
		struct tracked t = s->stack[--s->nstack];
		struct pinfo pi;

		if (seen_has(s, t.pid))
			continue;
		if (read_stat(s, t.pid, &pi) < 0) {
			if (t.pid == s->root)
				s->incomplete = true;
			continue;
		}
		if (t.start != 0 && pi.start != t.start)
			continue; /* pid reused by an unrelated process */
		if (seen_add(s, &pi) < 0) {
			s->incomplete = true;
			continue;
		}
		if (!discover || pi.state == 'Z')
			continue;
		hwm = read_hwm(s, t.pid);
		if (hwm > s->peak_single)
			s->peak_single = hwm;
		if (push_children(s, &pi) < 0)
			goto oom;
	}
	pages = sum_pages(s);
	if (pages * s->page > s->peak)
		s->peak = pages * s->page;
	if ((int64_t)s->nseen > s->max_tree)
		s->max_tree = (int64_t)s->nseen;
	tmp = s->known;
	s->known = s->seen;
	s->nknown = s->nseen;
	s->seen = tmp;
	s->nseen = 0;
	return;
oom:
	s->incomplete = true;
}

/* ---- environment ---- */

static size_t name_len(const char *entry)
{
	return strcspn(entry, "=");
}

static bool same_name(const char *a, const char *b)
{
	size_t la = name_len(a);

	return la == name_len(b) && memcmp(a, b, la) == 0;
}

/*
 * Build the child's environment: ours minus every name in extra, then the
 * extra "NAME=value" entries (the last one of a name wins). The array
 * borrows the strings; free only the array.
 */
static int build_env(char ***out, const char *const *extra, mg_err *err)
{
	size_t n = 0, m = 0, i, j, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	while (extra[m]) {
		if (m == MG_PROC_MAX_ENV)
			return mg_err_set(err, MG_ELIMIT,
			                  "more than %d environment entries",
			                  MG_PROC_MAX_ENV);
		if (name_len(extra[m]) == 0)
			return mg_err_set(err, MG_EINPUT,
			                  "environment entry '%s': empty name",
			                  extra[m]);
		m++;
	}
	env = calloc(n + m + 1, sizeof(*env));
	if (env == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++)
			if (same_name(environ[i], extra[j]))
				break;
		if (j == m)
			env[k++] = environ[i];
	}
	for (i = 0; i < m; i++) {
		if (extra[i][name_len(extra[i])] != '=')
			continue; /* "NAME": removal only */
		for (j = i + 1; j < m; j++)
			if (same_name(extra[i], extra[j]))
				break;
		if (j == m)
			env[k++] = (char *)extra[i];
	}
	env[k] = NULL;
	*out = env;
	return 0;
}

/* ---- the run ---- */

struct run {
	const mg_proc_opts *o;
	mg_proc_result *res;
	pid_t pid; /* child and process group id; 0 before spawn */
	bool reaped;
	int fd[2]; /* read ends of stdout, stderr; -1 when closed */
	int pidfd; /* -1 if the kernel has no pidfd_open */
	struct ring tail;
	struct sampler smp;
	bool sampling;
	bool exited;      /* the child is a zombie (not reaped yet) */
	bool killing;     /* SIGTERM sent */
	bool killed;      /* SIGKILL sent to the group */
	int64_t t0;       /* spawn time */
	int64_t deadline; /* timeout, 0: none */
	int64_t kill_at;  /* SIGKILL after SIGTERM */
	int64_t linger_at;
	int64_t final_at;
	int64_t next_sample;
	int64_t grace_ns;
	int64_t linger_ns;
	int64_t sample_ns;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void tee_write(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* progress output is best effort */
		p += w;
		n -= (size_t)w;
	}
}

static int deliver(struct run *r, int stream, const char *p, size_t n,
                   mg_err *err)
{
	mg_proc_result *res = r->res;
	mg_buf *b = stream == 0 ? &res->out : &res->err;
	bool *trunc = stream == 0 ? &res->out_truncated : &res->err_truncated;
	size_t keep = b->max - b->len;

	if (stream == 0)
		res->out_total += n;
	else
		res->err_total += n;
	if (keep > n)
		keep = n;
	if (keep < n)
		*trunc = true;
	if (mg_buf_put(b, p, keep) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	ring_put(&r->tail, p, n);
	if (r->o->flags & MG_PROC_TEE)
		tee_write(p, n);
	return 0;
}

static int read_fd(struct run *r, int stream, mg_err *err)
{
	char chunk[READ_CHUNK];
	ssize_t n = read(r->fd[stream], chunk, sizeof(chunk));

	if (n > 0)
		return deliver(r, stream, chunk, (size_t)n, err);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	close_fd(&r->fd[stream]);
	return 0;
}

static void start_kill(struct run *r, int64_t now)
{
	r->killing = true;
	r->kill_at = now + r->grace_ns;
	killpg(r->pid, SIGTERM);
	killpg(r->pid, SIGCONT); /* a stopped process cannot act on TERM */
}

static void kill_hard(struct run *r, int64_t now)
{
	r->killed = true;
	r->final_at = now + ms_to_ns(FINAL_DRAIN_MS);
	killpg(r->pid, SIGKILL);
}

static void check_exit(struct run *r, int64_t now)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	            0 &&
	    si.si_pid == r->pid) {
		r->exited = true;
		r->res->wall_ns = now - r->t0;
		r->linger_at = now + r->linger_ns;
		close_fd(&r->pidfd);
	}
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The poll() timeout in ms until the nearest thing we must do. */
static int next_wait(const struct run *r, int64_t now)
{
	int64_t wake = INT64_MAX, ms;

	if (r->sampling)
		wake = min64(wake, r->next_sample);
	if (r->deadline && !r->killing)
		wake = min64(wake, r->deadline);
	if (r->killing && !r->killed)
		wake = min64(wake, r->kill_at);
	if (r->exited && !r->killed)
		wake = min64(wake, r->linger_at);
	if (r->killed && r->exited)
		wake = min64(wake, r->final_at);
	if (!r->exited && r->pidfd < 0)
		wake = min64(wake, now + ms_to_ns(EXIT_POLL_MS));
	if (r->o->cancel)
		wake = min64(wake, now + ms_to_ns(CANCEL_POLL_MS));
	if (wake == INT64_MAX)
		return -1;
	if (wake <= now)
		return 0;
	ms = (wake - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int loop(struct run *r, mg_err *err)
{
	for (;;) {
		struct pollfd p[3];
		int slot[2] = {-1, -1};
		int np = 0, i, error;
		int64_t now = now_ns();

		if (r->o->cancel && *r->o->cancel && !r->killing &&
		    !r->exited) {
			r->res->cancelled = true;
			start_kill(r, now);
		}
		if (r->deadline && now >= r->deadline && !r->killing &&
		    !r->exited) {
			r->res->timed_out = true;
			start_kill(r, now);
		}
		if (!r->exited)
			check_exit(r, now);
		if (r->killing && !r->killed && now >= r->kill_at)
			kill_hard(r, now);
		if (r->exited && r->fd[0] < 0 && r->fd[1] < 0)
			return 0;
		if (r->exited && !r->killed && now >= r->linger_at)
			kill_hard(r, now);
		if (r->killed && r->exited && now >= r->final_at)
			return 0; /* someone outside the group holds a pipe */
		if (r->sampling && now >= r->next_sample) {
			sampler_poll(&r->smp);
			r->next_sample = now + r->sample_ns;
		}
		for (i = 0; i < 2; i++) {
			if (r->fd[i] < 0)
				continue;
			slot[i] = np;
			p[np].fd = r->fd[i];
			p[np].events = POLLIN;
			p[np].revents = 0;
			np++;
		}
		if (r->pidfd >= 0) {
			p[np].fd = r->pidfd;
			p[np].events = POLLIN;
			p[np].revents = 0;
			np++;
		}
		if (poll(p, (nfds_t)np, next_wait(r, now_ns())) < 0) {
			if (errno == EINTR)
				continue;
			return mg_err_set(err, MG_EIO, "poll: %s",
			                  strerror(errno));
		}
		for (i = 0; i < 2; i++) {
			if (slot[i] < 0 || p[slot[i]].revents == 0)
				continue;
			error = read_fd(r, i, err);
			if (error < 0)
				return error;
		}
	}
}

static void fill_rusage(mg_proc_result *res, const struct rusage *ru)
{
	res->user_ns = (int64_t)ru->ru_utime.tv_sec * 1000000000 +
	               (int64_t)ru->ru_utime.tv_usec * 1000;
	res->sys_ns = (int64_t)ru->ru_stime.tv_sec * 1000000000 +
	              (int64_t)ru->ru_stime.tv_usec * 1000;
	/* Linux reports ru_maxrss in KiB (getrusage(2)). */
	res->maxrss_single = (int64_t)ru->ru_maxrss * 1024;
}

/*
 * Kill what is left of the group (stragglers the child left behind; the
 * child itself is at most a zombie by now unless we are failing) and reap
 * the child, with the resource usage of it and its waited descendants.
 */
static int finish(struct run *r, mg_err *err)
{
	mg_proc_result *res = r->res;
	struct rusage ru;
	int status;
	pid_t w;

	killpg(r->pid, SIGKILL);
	do {
		w = wait4(r->pid, &status, 0, &ru);
	} while (w < 0 && errno == EINTR);
	r->reaped = true;
	if (w < 0)
		return mg_err_set(err, MG_EIO, "wait for pid %d: %s",
		                  (int)r->pid, strerror(errno));
	if (!r->exited)
		res->wall_ns = now_ns() - r->t0;
	fill_rusage(res, &ru);
	if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
		res->status = res->exit_code;
	} else if (WIFSIGNALED(status)) {
		res->exit_code = -1;
		res->term_signal = WTERMSIG(status);
		res->status = 128 + res->term_signal;
	}
	return 0;
}

static int make_pipe(int fds[2], mg_err *err)
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return mg_err_set(err, MG_EIO, "pipe: %s", strerror(errno));
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		close(fds[0]);
		close(fds[1]);
		return mg_err_set(err, MG_EIO, "fcntl: %s", strerror(errno));
	}
	return 0;
}

static int spawn_error(const mg_proc_opts *o, const char *what, int e,
                       mg_err *err)
{
	int code = (e == ENOENT || e == ENOTDIR || e == EACCES) ? MG_ENOTFOUND
	                                                        : MG_EIO;

	if (o->dir && access(o->dir, X_OK) != 0)
		return mg_err_set(err, code, "cannot run '%s' in '%s': %s",
		                  what, o->dir, strerror(errno));
	return mg_err_set(err, code, "cannot run '%s': %s", what, strerror(e));
}

static int spawn(struct run *r, char **envp, int wout, int werr, mg_err *err)
{
	const mg_proc_opts *o = r->o;
	const char *sh_argv[] = {"/bin/sh", "-c", o->shell, NULL};
	char *const *argv =
	        o->argv ? (char *const *)o->argv : (char *const *)sh_argv;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	/*
	 * A new group (pgid = pid) so killpg reaches every descendant, every
	 * signal back to its default (we may ignore SIGPIPE, children must
	 * not inherit that) and nothing blocked.
	 */
	rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	                                             POSIX_SPAWN_SETSIGDEF |
	                                             POSIX_SPAWN_SETSIGMASK);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&attr, &all);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		                                      O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, wout, 1);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, werr, 2);
	if (rc == 0 && o->dir)
		rc = posix_spawn_file_actions_addchdir_np(&fa, o->dir);
	if (rc != 0) {
		rc = mg_err_set(err, MG_ENOMEM, "spawn setup: %s",
		                strerror(rc));
		goto cleanup;
	}
	r->t0 = now_ns();
	if (o->argv)
		rc = posix_spawnp(&r->pid, argv[0], &fa, &attr, argv,
		                  envp ? envp : environ);
	else
		rc = posix_spawn(&r->pid, "/bin/sh", &fa, &attr, argv,
		                 envp ? envp : environ);
	if (rc != 0) {
		r->pid = 0;
		rc = spawn_error(o, argv[0], rc, err);
	}
cleanup:
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

void mg_proc_result_init(mg_proc_result *res)
{
	memset(res, 0, sizeof(*res));
	mg_buf_init(&res->out, MG_PROC_STDOUT_MAX);
	mg_buf_init(&res->err, MG_PROC_STDERR_MAX);
}

void mg_proc_result_release(mg_proc_result *res)
{
	if (res == NULL)
		return;
	mg_buf_release(&res->out);
	mg_buf_release(&res->err);
	free(res->tail);
	mg_proc_result_init(res);
}

static int64_t or_default(int64_t v, int64_t def)
{
	return v > 0 ? v : def;
}

int mg_proc_run(mg_proc_result *res, const mg_proc_opts *o, mg_err *err)
{
	struct run r;
	char **envp = NULL;
	int pout[2] = {-1, -1}, perr[2] = {-1, -1};
	bool merge = (o->flags & MG_PROC_MERGE) != 0;
	int error;

	mg_proc_result_release(res);
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.res = res;
	r.fd[0] = r.fd[1] = r.pidfd = -1;
	if (o->argv ? o->argv[0] == NULL : o->shell == NULL)
		return mg_err_set(err, MG_EINPUT, "no command to run");
	res->out.max = o->stdout_max ? o->stdout_max : MG_PROC_STDOUT_MAX;
	res->err.max = o->stderr_max ? o->stderr_max : MG_PROC_STDERR_MAX;
	r.grace_ns = ms_to_ns(or_default(o->grace_ms, MG_PROC_KILL_GRACE_MS));
	r.linger_ns = ms_to_ns(or_default(o->linger_ms, MG_PROC_LINGER_MS));
	r.sample_ns = ms_to_ns(or_default(o->sample_ms, MG_PROC_SAMPLE_MS));
	r.tail.cap = o->tail_max ? o->tail_max : MG_PROC_TAIL_MAX;
	r.tail.buf = malloc(r.tail.cap);
	if (r.tail.buf == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (o->env) {
		error = build_env(&envp, o->env, err);
		if (error < 0)
			goto cleanup;
	}
	error = make_pipe(pout, err);
	if (error < 0)
		goto cleanup;
	if (!merge) {
		error = make_pipe(perr, err);
		if (error < 0)
			goto cleanup;
	}
	error = spawn(&r, envp, pout[1], merge ? pout[1] : perr[1], err);
	if (error < 0)
		goto cleanup;
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	r.fd[0] = pout[0];
	r.fd[1] = perr[0];
	pout[0] = perr[0] = -1;
	r.pidfd = open_pidfd(r.pid);
	if (o->timeout_ms > 0)
		r.deadline = r.t0 + ms_to_ns(o->timeout_ms);
	r.sampling = (o->flags & MG_PROC_NO_RSS) == 0;
	if (r.sampling) {
		sampler_init(&r.smp, r.pid, (o->flags & MG_PROC_RSS_SCAN) != 0);
		r.next_sample = r.t0;
	}
	error = loop(&r, err);
	close_fd(&r.fd[0]);
	close_fd(&r.fd[1]);
	if (error == 0)
		error = finish(&r, err);
	if (error < 0)
		goto cleanup;
	if (r.sampling) {
		res->peak_rss_sampled = r.smp.peak;
		res->peak_rss_single = r.smp.peak_single;
		res->rss_polls = r.smp.polls;
		res->max_tree = r.smp.max_tree;
		res->rss_incomplete = r.smp.incomplete;
	}
	/*
	 * Not ru_maxrss: exec charges the new program with the peak RSS of
	 * the address space it replaces, which for a spawned child is ours.
	 */
	if (r.sampling)
		res->peak_rss_tree =
		        res->peak_rss_sampled > res->peak_rss_single
		                ? res->peak_rss_sampled
		                : res->peak_rss_single;
	else
		res->peak_rss_tree = res->maxrss_single;
	res->tail = ring_linear(&r.tail);
	if (res->tail == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	res->tail_len = r.tail.len;

cleanup:
	if (r.pid > 0 && !r.reaped) {
		killpg(r.pid, SIGKILL);
		while (waitpid(r.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&r.fd[0]);
	close_fd(&r.fd[1]);
	close_fd(&r.pidfd);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	if (r.sampling)
		sampler_release(&r.smp);
	free(r.tail.buf);
	free(envp);
	if (error < 0)
		mg_proc_result_release(res);
	return error;
}
