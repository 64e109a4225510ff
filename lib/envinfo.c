/*
 * envinfo.c - collecting the runner fingerprint and comparing two of them
 * (the field list and the canonical form are documented in envinfo.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "envinfo.h"
#include "proc.h"

/*
 * We read /proc/cpuinfo only to find the first model line, near the top;
 * 1 MiB holds the whole file of a 500-CPU machine and bounds the read.
 */
#define CPUINFO_MAX ((size_t)1 << 20)
#define THP_PATH "/sys/kernel/mm/transparent_hugepage/enabled"

static const struct {
	const char *machine;
	const char *goarch;
} goarch_map[] = {
        {"x86_64", "amd64"},
        {"amd64", "amd64"},
        {"i386", "386"},
        {"i486", "386"},
        {"i586", "386"},
        {"i686", "386"},
        {"aarch64", "arm64"},
        {"arm64", "arm64"},
        {"armv6l", "arm"},
        {"armv7l", "arm"},
        {"armv8l", "arm"},
        {"ppc64le", "ppc64le"},
        {"ppc64", "ppc64"},
        {"s390x", "s390x"},
        {"riscv64", "riscv64"},
        {"mips64", "mips64"},
        {"loongarch64", "loong64"},
};

const char *mg_envinfo_goarch(const char *machine)
{
	size_t i;

	for (i = 0; i < sizeof(goarch_map) / sizeof(goarch_map[0]); i++)
		if (strcmp(machine, goarch_map[i].machine) == 0)
			return goarch_map[i].goarch;
	return machine;
}

/* Copy s[0..len) with surrounding white space trimmed, at most the cap. */
static char *dup_trimmed(const char *s, size_t len)
{
	mg_slice sl = {s, len};

	sl = mg_slice_trim(sl);
	if (sl.len > MG_ENVINFO_VALUE_MAX)
		sl.len = MG_ENVINFO_VALUE_MAX;
	return mg_slice_dup(sl);
}

/*
 * The value of the first "key<spaces/tabs>: value" line of cpuinfo text
 * whose key is `key`, as a slice; len 0 / ptr NULL if there is none.
 */
static mg_slice cpuinfo_value(const char *text, size_t len, const char *key)
{
	const char *p = text, *end = text + len;
	size_t klen = strlen(key);
	mg_slice none = {NULL, 0};

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0) {
			q = p + klen;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q < eol && *q == ':') {
				mg_slice v = {q + 1, (size_t)(eol - q - 1)};

				return mg_slice_trim(v);
			}
		}
		p = eol + 1;
	}
	return none;
}

int mg_envinfo_cpu_model(char **out, const char *cpuinfo, size_t len)
{
	static const char *const keys[] = {"model name", "Processor",
	                                   "cpu model", "cpu"};
	mg_slice impl, part;
	size_t i;

	*out = NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		mg_slice v = cpuinfo_value(cpuinfo, len, keys[i]);

		if (v.ptr != NULL && v.len > 0) {
			*out = dup_trimmed(v.ptr, v.len);
			return *out ? 0 : MG_ENOMEM;
		}
	}
	/* arm64 kernels print only the implementer and part numbers */
	impl = cpuinfo_value(cpuinfo, len, "CPU implementer");
	part = cpuinfo_value(cpuinfo, len, "CPU part");
	if (impl.len > 0 && part.len > 0 && impl.len < 64 && part.len < 64) {
		char buf[160];

		snprintf(buf, sizeof(buf), "CPU implementer %.*s part %.*s",
		         (int)impl.len, impl.ptr, (int)part.len, part.ptr);
		*out = mg_strdup(buf);
		return *out ? 0 : MG_ENOMEM;
	}
	return 0;
}

int mg_envinfo_thp(char **out, const char *text)
{
	const char *open = strchr(text, '['), *close;

	*out = NULL;
	if (open == NULL)
		return 0;
	close = strchr(open + 1, ']');
	if (close == NULL || close == open + 1)
		return 0;
	*out = dup_trimmed(open + 1, (size_t)(close - open - 1));
	return *out ? 0 : MG_ENOMEM;
}

/* Read up to max bytes of a file; MG_ENOTFOUND if it cannot be opened. */
static int read_file(mg_buf *out, const char *path, size_t max)
{
	char chunk[8192];
	FILE *f = fopen(path, "re");
	size_t n;
	int error = 0;

	if (f == NULL)
		return MG_ENOTFOUND;
	while (out->len < max && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (n > max - out->len)
			n = max - out->len;
		error = mg_buf_put(out, chunk, n);
		if (error < 0)
			break;
	}
	fclose(f);
	return error;
}

/*
 * The value of `name` the benchmarks will see: the last entry of extra
 * naming it ("NAME=v" sets, "NAME" unsets), else our own environment.
 */
static const char *env_lookup(const char *const *extra, const char *name)
{
	size_t nlen = strlen(name);
	const char *found = getenv(name);
	size_t i;

	for (i = 0; extra && extra[i]; i++) {
		if (strncmp(extra[i], name, nlen) != 0)
			continue;
		if (extra[i][nlen] == '=')
			found = extra[i] + nlen + 1;
		else if (extra[i][nlen] == '\0')
			found = NULL;
	}
	return found;
}

static int set_opt(char **field, const char *value)
{
	if (value == NULL)
		return 0;
	*field = dup_trimmed(value, strlen(value));
	return *field ? 0 : MG_ENOMEM;
}

/* `go version` through mg_proc; NULL when go is missing or fails. */
static int go_version(char **out, const mg_envinfo_opts *o, mg_err *err)
{
	const char *argv[] = {o && o->go ? o->go : "go", "version", NULL};
	mg_proc_opts po = {0};
	mg_proc_result res;
	mg_err perr = MG_ERR_INIT;
	const char *eol;
	int error;

	*out = NULL;
	if (o && o->go && o->go[0] == '\0')
		return 0;
	mg_proc_result_init(&res);
	po.argv = argv;
	po.dir = o ? o->dir : NULL;
	po.env = o ? o->env : NULL;
	po.timeout_ms = o && o->go_timeout_ms > 0 ? o->go_timeout_ms
	                                          : MG_ENVINFO_GO_TIMEOUT_MS;
	po.grace_ms = 1000;
	po.stdout_max = MG_ENVINFO_GO_OUT_MAX;
	po.stderr_max = MG_ENVINFO_GO_OUT_MAX;
	po.tail_max = 1;
	po.flags = MG_PROC_NO_RSS;
	error = mg_proc_run(&res, &po, &perr);
	if (error == MG_ENOMEM) {
		mg_err_set(err, error, "%s", perr.msg);
		goto cleanup;
	}
	error = 0;
	if (res.status != 0 || res.timed_out || res.out.len == 0)
		goto cleanup;
	eol = memchr(res.out.ptr, '\n', res.out.len);
	*out = dup_trimmed(res.out.ptr,
	                   eol ? (size_t)(eol - res.out.ptr) : res.out.len);
	if (*out == NULL)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
	else if ((*out)[0] == '\0') {
		free(*out);
		*out = NULL;
	}
cleanup:
	mg_proc_result_release(&res);
	return error;
}

void mg_envinfo_release(mg_env *e)
{
	if (e)
		mg_env_release(e);
}

int mg_envinfo_collect(mg_env *out, const mg_envinfo_opts *o, mg_err *err)
{
	const char *const *extra = o ? o->env : NULL;
	mg_buf text = MG_BUF_INIT(CPUINFO_MAX);
	struct utsname u;
	mg_env e;
	long pages, page, cpus;
	char *p;
	int error;

	memset(&e, 0, sizeof(e));
	if (uname(&u) != 0)
		return mg_err_set(err, MG_EIO, "uname: %s", strerror(errno));
	error = MG_ENOMEM;
	e.os = mg_strdup(u.sysname);
	e.kernel = mg_strdup(u.release);
	e.arch = mg_strdup(mg_envinfo_goarch(u.machine));
	if (e.os == NULL || e.kernel == NULL || e.arch == NULL)
		goto fail;
	for (p = e.os; *p; p++)
		*p = (char)tolower((unsigned char)*p);

	error = read_file(&text, "/proc/cpuinfo", CPUINFO_MAX);
	if (error == MG_ENOMEM)
		goto fail;
	error = mg_envinfo_cpu_model(&e.cpu_model, text.ptr, text.len);
	if (error < 0)
		goto fail;
	mg_buf_reset(&text);
	error = read_file(&text, THP_PATH, MG_ENVINFO_VALUE_MAX);
	if (error == MG_ENOMEM)
		goto fail;
	error = mg_envinfo_thp(&e.thp, text.ptr);
	if (error < 0)
		goto fail;

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pages = sysconf(_SC_PHYS_PAGES);
	page = sysconf(_SC_PAGESIZE);
	e.cores = cpus > 0 ? cpus : 0;
	e.mem_bytes = pages > 0 && page > 0 ? (int64_t)pages * page : 0;

	error = set_opt(&e.gomaxprocs, env_lookup(extra, "GOMAXPROCS"));
	if (error == 0)
		error = set_opt(&e.gogc, env_lookup(extra, "GOGC"));
	if (error == 0)
		error = set_opt(&e.gomemlimit, env_lookup(extra, "GOMEMLIMIT"));
	if (error == 0)
		error = set_opt(&e.godebug, env_lookup(extra, "GODEBUG"));
	if (error == 0)
		error = set_opt(&e.label, o ? o->label : NULL);
	if (error < 0)
		goto fail;
	error = go_version(&e.go_version, o, err);
	if (error < 0)
		goto done;
	mg_buf_release(&text);
	*out = e;
	return 0;

fail:
	mg_err_set(err, error, "collecting the environment: out of memory");
done:
	mg_buf_release(&text);
	mg_envinfo_release(&e);
	return error;
}

/* ---- canonical form, fingerprint, diff ---- */

static const char *const field_names[MG_ENV_NFIELDS] = {
        "os",      "kernel",     "arch",       "cpu_model", "cores",
        "mem",     "go_version", "gomaxprocs", "gogc",      "gomemlimit",
        "godebug", "thp",        "label",
};

const char *mg_env_field_name(unsigned field)
{
	int i;

	for (i = 0; i < MG_ENV_NFIELDS; i++)
		if (field == 1u << i)
			return field_names[i];
	return NULL;
}

static const char *raw_str(const mg_env *e, int i)
{
	switch (1u << i) {
	case MG_ENV_OS:
		return e->os;
	case MG_ENV_KERNEL:
		return e->kernel;
	case MG_ENV_ARCH:
		return e->arch;
	case MG_ENV_CPU_MODEL:
		return e->cpu_model;
	case MG_ENV_GO_VERSION:
		return e->go_version;
	case MG_ENV_GOMAXPROCS:
		return e->gomaxprocs;
	case MG_ENV_GOGC:
		return e->gogc;
	case MG_ENV_GOMEMLIMIT:
		return e->gomemlimit;
	case MG_ENV_GODEBUG:
		return e->godebug;
	case MG_ENV_THP:
		return e->thp;
	case MG_ENV_LABEL:
		return e->label;
	default:
		return NULL;
	}
}

/* "6.1.0-13-amd64" -> "6.1"; a release not shaped like that stays whole. */
static size_t kernel_series_len(const char *rel)
{
	size_t i = 0;

	while (isdigit((unsigned char)rel[i]))
		i++;
	if (i == 0 || rel[i] != '.' || !isdigit((unsigned char)rel[i + 1]))
		return strlen(rel);
	i++;
	while (isdigit((unsigned char)rel[i]))
		i++;
	return i;
}

/*
 * The canonical value of field i into v (reset first); *set is false for
 * a NULL string field.
 */
static int canon_value(mg_buf *v, bool *set, const mg_env *e, int i)
{
	const char *s;
	int error = 0;

	mg_buf_reset(v);
	*set = true;
	switch (1u << i) {
	case MG_ENV_CORES:
		return mg_buf_printf(v, "%lld", (long long)e->cores);
	case MG_ENV_MEM:
		return mg_buf_printf(
		        v, "%lld",
		        (long long)((e->mem_bytes + (1LL << 29)) >> 30));
	case MG_ENV_KERNEL:
		if (e->kernel == NULL)
			break;
		return mg_buf_put(v, e->kernel, kernel_series_len(e->kernel));
	case MG_ENV_CPU_MODEL:
		if (e->cpu_model == NULL)
			break;
		for (s = e->cpu_model; *s && error == 0; s++) {
			if (!isspace((unsigned char)*s))
				error = mg_buf_putc(v, *s);
			else if (v->len > 0 && !isspace((unsigned char)s[1]) &&
			         s[1] != '\0')
				error = mg_buf_putc(v, ' ');
		}
		return error;
	default:
		s = raw_str(e, i);
		if (s == NULL)
			break;
		return mg_buf_puts(v, s);
	}
	*set = false;
	return 0;
}

int mg_env_canonical(mg_buf *out, const mg_env *e)
{
	mg_buf v = MG_BUF_INIT(MG_BUF_NOLIMIT);
	bool set;
	int i, error;

	error = mg_buf_puts(out, "memgate-env-v1\n");
	for (i = 0; error == 0 && i < MG_ENV_NFIELDS; i++) {
		error = canon_value(&v, &set, e, i);
		if (error < 0)
			break;
		if (set)
			error = mg_buf_printf(out, "%s=%zu:", field_names[i],
			                      v.len);
		else
			error = mg_buf_printf(out, "%s-\n", field_names[i]);
		if (error == 0 && set)
			error = mg_buf_put(out, v.ptr, v.len);
		if (error == 0 && set)
			error = mg_buf_putc(out, '\n');
	}
	mg_buf_release(&v);
	return error;
}

int mg_env_fingerprint(char out[65], const mg_env *e, mg_err *err)
{
	static const char hex[] = "0123456789abcdef";
	mg_buf c = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int error;

	error = mg_env_canonical(&c, e);
	if (error < 0) {
		mg_buf_release(&c);
		return mg_err_set(err, error, "environment fingerprint: %s",
		                  mg_err_name(error));
	}
	if (EVP_Digest(c.ptr, c.len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		mg_buf_release(&c);
		return mg_err_set(err, MG_EINTERNAL,
		                  "environment fingerprint: SHA-256 failed");
	}
	mg_buf_release(&c);
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

unsigned mg_env_diff(const mg_env *a, const mg_env *b)
{
	mg_buf va = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       vb = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned diff = 0;
	bool sa, sb;
	int i;

	for (i = 0; i < MG_ENV_NFIELDS; i++) {
		if (canon_value(&va, &sa, a, i) < 0 ||
		    canon_value(&vb, &sb, b, i) < 0) {
			diff |= 1u << i;
			continue;
		}
		if (sa != sb || va.len != vb.len ||
		    memcmp(va.ptr, vb.ptr, va.len) != 0)
			diff |= 1u << i;
	}
	mg_buf_release(&va);
	mg_buf_release(&vb);
	return diff;
}

static int describe_value(mg_buf *out, const mg_env *e, int i)
{
	const char *s;

	switch (1u << i) {
	case MG_ENV_CORES:
		return mg_buf_printf(out, "%lld", (long long)e->cores);
	case MG_ENV_MEM:
		return mg_buf_printf(out, "%.1f GiB",
		                     (double)e->mem_bytes / (1LL << 30));
	default:
		s = raw_str(e, i);
		if (s == NULL)
			return mg_buf_puts(out, "unset");
		return mg_buf_printf(out, "'%s'", s);
	}
}

int mg_env_diff_describe(mg_buf *out, const mg_env *a, const mg_env *b,
                         unsigned fields)
{
	bool first = true;
	int i, error = 0;

	for (i = 0; error == 0 && i < MG_ENV_NFIELDS; i++) {
		if (!(fields & (1u << i)))
			continue;
		error = mg_buf_printf(out, "%s%s ", first ? "" : ", ",
		                      field_names[i]);
		first = false;
		if (error == 0)
			error = describe_value(out, a, i);
		if (error == 0)
			error = mg_buf_puts(out, " vs ");
		if (error == 0)
			error = describe_value(out, b, i);
	}
	return error;
}
