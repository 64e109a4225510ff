/*
 * test_envinfo.c - the runner fingerprint. Collected values are checked
 * against independent sources read here: uname(2), /proc/meminfo,
 * /sys/devices/system/cpu/online, sed over /proc/cpuinfo and the THP file,
 * `go version` and `go env` via popen when Go is installed. The canonical
 * form is checked against a hand-written literal and the fingerprint
 * against sha256sum(1) of that literal.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "envinfo.h"
#include "mgtest.h"

/* First line of a command's output, trailing white space removed. */
static char *popen_line(const char *cmd)
{
	char buf[4096];
	FILE *f = popen(cmd, "r");
	char *got;
	size_t n;

	assert_non_null(f);
	got = fgets(buf, sizeof(buf), f);
	pclose(f);
	if (got == NULL)
		return NULL;
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return strdup(buf);
}

static bool have_go(void)
{
	return system("command -v go >/dev/null 2>&1") == 0;
}

/* Count CPUs in a list such as "0-3,6,8-9" (the sysfs cpulist format). */
static long count_cpulist(const char *s)
{
	long n = 0;

	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		assert_true(end != s);
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		n += b - a + 1;
		if (*s == ',')
			s++;
	}
	return n;
}

static long long meminfo_total_kb(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void test_collect_matches_system(void **state)
{
	const char *extra[] = {"GOMEMLIMIT=1GiB", "GOMAXPROCS", NULL};
	mg_envinfo_opts o = {0};
	struct utsname u;
	mg_env e = {0};
	mg_err err = MG_ERR_INIT;
	char sys[sizeof(u.sysname)];
	char *want, *online;
	size_t i;

	(void)state;
	setenv("GOGC", "73", 1);
	setenv("GOMAXPROCS", "3", 1); /* removed again by extra */
	unsetenv("GODEBUG");
	o.label = "ci-small";
	o.env = extra;
	if (mg_envinfo_collect(&e, &o, &err) != 0)
		fail_msg("collect: %s", err.msg);

	assert_int_equal(uname(&u), 0);
	for (i = 0; u.sysname[i]; i++)
		sys[i] = (char)tolower((unsigned char)u.sysname[i]);
	sys[i] = '\0';
	assert_string_equal(e.os, sys);
	assert_string_equal(e.kernel, u.release);
	if (strcmp(u.machine, "x86_64") == 0)
		assert_string_equal(e.arch, "amd64");
	else if (strcmp(u.machine, "aarch64") == 0)
		assert_string_equal(e.arch, "arm64");

	assert_int_equal(e.mem_bytes, meminfo_total_kb() * 1024);
	online = mgt_read_file("/sys/devices/system/cpu/online", NULL);
	assert_non_null(online);
	assert_int_equal(e.cores, count_cpulist(online));
	free(online);

	want = popen_line("sed -n 's/^model name[[:space:]]*: *//p' "
	                  "/proc/cpuinfo | head -n 1");
	if (want && want[0])
		assert_string_equal(e.cpu_model, want);
	free(want);

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0) {
		want = popen_line(
		        "sed 's/.*\\[\\(.*\\)\\].*/\\1/' "
		        "/sys/kernel/mm/transparent_hugepage/enabled");
		assert_non_null(want);
		assert_string_equal(e.thp, want);
		free(want);
	} else {
		assert_null(e.thp);
	}

	if (have_go()) {
		want = popen_line("go version 2>/dev/null");
		assert_non_null(e.go_version);
		assert_string_equal(e.go_version, want);
		free(want);
		want = popen_line("go env GOARCH");
		assert_string_equal(e.arch, want);
		free(want);
		want = popen_line("go env GOOS");
		assert_string_equal(e.os, want);
		free(want);
	} else {
		assert_null(e.go_version);
	}

	assert_null(e.gomaxprocs);
	assert_string_equal(e.gogc, "73");
	assert_string_equal(e.gomemlimit, "1GiB");
	assert_null(e.godebug);
	assert_string_equal(e.label, "ci-small");
	unsetenv("GOGC");
	unsetenv("GOMAXPROCS");
	mg_envinfo_release(&e);
	assert_null(e.os);
}

/* `go version` goes through mg_proc: env and timeout apply. */
static void test_go_version_command(void **state)
{
	const char *extra[] = {"MG_FAKE=go1.2.3 linux/amd64", NULL};
	char *dir = mgt_tmpdir();
	char *fake = mgt_path(dir, "fakego");
	char *slow = mgt_path(dir, "slowgo");
	static const char fake_sh[] = "#!/bin/sh\n"
	                              "[ \"$1\" = version ] || exit 9\n"
	                              "echo \"go version $MG_FAKE\"\n"
	                              "echo second line\n";
	static const char slow_sh[] = "#!/bin/sh\nsleep 20\n";
	mg_envinfo_opts o = {0};
	mg_env e = {0};
	mg_err err = MG_ERR_INIT;
	time_t t0;

	(void)state;
	mgt_write_file(fake, fake_sh, sizeof(fake_sh) - 1);
	mgt_write_file(slow, slow_sh, sizeof(slow_sh) - 1);
	assert_int_equal(chmod(fake, 0755), 0);
	assert_int_equal(chmod(slow, 0755), 0);

	o.go = fake;
	o.env = extra;
	assert_int_equal(mg_envinfo_collect(&e, &o, &err), 0);
	assert_string_equal(e.go_version, "go version go1.2.3 linux/amd64");
	mg_envinfo_release(&e);

	o.go = "/nonexistent/go";
	assert_int_equal(mg_envinfo_collect(&e, &o, &err), 0);
	assert_null(e.go_version);
	assert_non_null(e.os);
	mg_envinfo_release(&e);

	o.go = "";
	assert_int_equal(mg_envinfo_collect(&e, &o, &err), 0);
	assert_null(e.go_version);
	mg_envinfo_release(&e);

	o.go = slow;
	o.go_timeout_ms = 200;
	t0 = time(NULL);
	assert_int_equal(mg_envinfo_collect(&e, &o, &err), 0);
	assert_null(e.go_version);
	assert_true(time(NULL) - t0 < 8);
	mg_envinfo_release(&e);

	free(fake);
	free(slow);
	mgt_tmpdir_free(dir);
}

static void check_cpu(const char *text, const char *want)
{
	char *got = NULL;

	assert_int_equal(mg_envinfo_cpu_model(&got, text, strlen(text)), 0);
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void test_parsers(void **state)
{
	char *s = NULL;

	(void)state;
	/* x86: the first "model name" line */
	check_cpu("processor\t: 0\nvendor_id\t: GenuineIntel\n"
	          "cpu family\t: 6\nmodel\t\t: 85\n"
	          "model name\t: Intel(R) Xeon(R) Platinum 8272CL CPU @ "
	          "2.60GHz\nstepping\t: 7\n\nprocessor\t: 1\n"
	          "model name\t: other\n",
	          "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz");
	/* arm64: no model line, implementer and part instead */
	check_cpu("processor\t: 0\nBogoMIPS\t: 50.00\n"
	          "Features\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\n"
	          "CPU architecture: 8\nCPU variant\t: 0x3\n"
	          "CPU part\t: 0xd0c\nCPU revision\t: 1\n",
	          "CPU implementer 0x41 part 0xd0c");
	/* ppc64le: "cpu" is the model; "cpu family" must not match it */
	check_cpu("processor\t: 0\ncpu\t\t: POWER9 (architected), altivec "
	          "supported\n",
	          "POWER9 (architected), altivec supported");
	check_cpu("cpu family\t: 6\ncpu MHz\t\t: 2000.0\n", NULL);
	check_cpu("", NULL);
	check_cpu("model name\t:", NULL); /* no value, no newline */

	assert_int_equal(mg_envinfo_thp(&s, "always [madvise] never\n"), 0);
	assert_string_equal(s, "madvise");
	free(s);
	assert_int_equal(mg_envinfo_thp(&s, "[always] madvise never\n"), 0);
	assert_string_equal(s, "always");
	free(s);
	assert_int_equal(mg_envinfo_thp(&s, "always madvise never\n"), 0);
	assert_null(s);
	assert_int_equal(mg_envinfo_thp(&s, "always [] never"), 0);
	assert_null(s);
	assert_int_equal(mg_envinfo_thp(&s, "always [madv"), 0);
	assert_null(s);

	assert_string_equal(mg_envinfo_goarch("x86_64"), "amd64");
	assert_string_equal(mg_envinfo_goarch("aarch64"), "arm64");
	assert_string_equal(mg_envinfo_goarch("armv7l"), "arm");
	assert_string_equal(mg_envinfo_goarch("i686"), "386");
	assert_string_equal(mg_envinfo_goarch("riscv64"), "riscv64");
	assert_string_equal(mg_envinfo_goarch("vax"), "vax");
}

/* A fixed environment; the strings are static, never freed. */
static mg_env sample_env(void)
{
	mg_env e = {0};

	e.os = "linux";
	e.kernel = "6.1.0-13-amd64";
	e.arch = "amd64";
	e.cpu_model = "AMD EPYC 7763 64-Core Processor";
	e.cores = 4;
	e.mem_bytes = 16765587456LL; /* 15.61 GiB -> 16 */
	e.go_version = "go version go1.19.8 linux/amd64";
	e.gogc = "off";
	e.gomemlimit = "2GiB";
	e.thp = "madvise";
	e.label = "gh-4core";
	return e;
}

/*
 * The canonical form written out by hand from the format in envinfo.h;
 * sha256sum(1) of it is the expected fingerprint. The store keys
 * environments by this, so a change of format must show up here.
 */
static const char canonical_literal[] =
        "memgate-env-v1\n"
        "os=5:linux\n"
        "kernel=3:6.1\n"
        "arch=5:amd64\n"
        "cpu_model=31:AMD EPYC 7763 64-Core Processor\n"
        "cores=1:4\n"
        "mem=2:16\n"
        "go_version=31:go version go1.19.8 linux/amd64\n"
        "gomaxprocs-\n"
        "gogc=3:off\n"
        "gomemlimit=4:2GiB\n"
        "godebug-\n"
        "thp=7:madvise\n"
        "label=8:gh-4core\n";

static void test_canonical_and_fingerprint(void **state)
{
	mg_env e = sample_env();
	mg_buf c = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf out = MG_BUF_INIT(1 << 20);
	char *dir = mgt_tmpdir();
	char *path = mgt_path(dir, "canonical.txt");
	char fp[65], fp2[65];
	mg_err err = MG_ERR_INIT;

	(void)state;
	assert_int_equal(mg_env_canonical(&c, &e), 0);
	assert_string_equal(c.ptr, canonical_literal);

	mgt_write_file(path, canonical_literal, sizeof(canonical_literal) - 1);
	assert_int_equal(mgt_sh(NULL, &out, "sha256sum '%s'", path), 0);
	assert_true(out.len >= 64);
	assert_int_equal(mg_env_fingerprint(fp, &e, &err), 0);
	assert_int_equal(strlen(fp), 64);
	assert_memory_equal(fp, out.ptr, 64);
	assert_int_equal(mg_env_fingerprint(fp2, &e, &err), 0);
	assert_string_equal(fp, fp2);

	mg_buf_release(&c);
	mg_buf_release(&out);
	free(path);
	mgt_tmpdir_free(dir);
}

/* Two collections on one machine give one fingerprint. */
static void test_fingerprint_stable(void **state)
{
	mg_envinfo_opts o = {0};
	mg_env a = {0}, b = {0};
	char fa[65], fb[65];
	mg_err err = MG_ERR_INIT;

	(void)state;
	o.label = "x";
	o.go = ""; /* speed; go_version is covered above */
	assert_int_equal(mg_envinfo_collect(&a, &o, &err), 0);
	assert_int_equal(mg_envinfo_collect(&b, &o, &err), 0);
	assert_int_equal(mg_env_fingerprint(fa, &a, &err), 0);
	assert_int_equal(mg_env_fingerprint(fb, &b, &err), 0);
	assert_string_equal(fa, fb);
	assert_int_equal(mg_env_diff(&a, &b), 0);
	mg_envinfo_release(&a);
	mg_envinfo_release(&b);
}

/* Change one field of the sample; expect diff `want` and the fingerprint
 * to change exactly when want != 0. */
static void check_change(const mg_env *changed, unsigned want)
{
	mg_env base = sample_env();
	char fa[65], fb[65];

	assert_int_equal(mg_env_fingerprint(fa, &base, NULL), 0);
	assert_int_equal(mg_env_fingerprint(fb, changed, NULL), 0);
	assert_int_equal(mg_env_diff(&base, changed), want);
	assert_int_equal(mg_env_diff(changed, &base), want);
	if (want)
		assert_string_not_equal(fa, fb);
	else
		assert_string_equal(fa, fb);
}

static void test_fingerprint_fields(void **state)
{
	mg_env e;

	(void)state;
	e = sample_env();
	check_change(&e, 0);
	e.label = "gh-8core";
	check_change(&e, MG_ENV_LABEL);
	e = sample_env();
	e.label = NULL;
	check_change(&e, MG_ENV_LABEL);
	/* kernel patch level does not count, the series does */
	e = sample_env();
	e.kernel = "6.1.0-18-amd64";
	check_change(&e, 0);
	e.kernel = "6.5.0-1025-azure";
	check_change(&e, MG_ENV_KERNEL);
	/* memory counts in whole GiB, rounded */
	e = sample_env();
	e.mem_bytes = 16LL << 30;
	check_change(&e, 0);
	e.mem_bytes = 8LL << 30;
	check_change(&e, MG_ENV_MEM);
	/* white space in the CPU model is not a different CPU */
	e = sample_env();
	e.cpu_model = "  AMD EPYC 7763  64-Core\tProcessor ";
	check_change(&e, 0);
	e.cpu_model = "AMD EPYC 9V74 80-Core Processor";
	check_change(&e, MG_ENV_CPU_MODEL);
	/* unset and empty differ; several fields at once */
	e = sample_env();
	e.gomaxprocs = "";
	e.cores = 2;
	e.go_version = NULL;
	check_change(&e, MG_ENV_GOMAXPROCS | MG_ENV_CORES | MG_ENV_GO_VERSION);
	e = sample_env();
	e.thp = "always";
	e.godebug = "madvdontneed=1";
	e.gogc = NULL;
	e.os = "darwin";
	e.arch = "arm64";
	check_change(&e, MG_ENV_THP | MG_ENV_GODEBUG | MG_ENV_GOGC | MG_ENV_OS |
	                         MG_ENV_ARCH);
	e = sample_env();
	e.gomemlimit = "4GiB";
	check_change(&e, MG_ENV_GOMEMLIMIT);
}

static void test_diff_describe(void **state)
{
	mg_env a = sample_env(), b = sample_env();
	mg_buf out = MG_BUF_INIT(4096);
	unsigned d;

	(void)state;
	b.kernel = "6.5.0-1025-azure";
	b.cores = 2;
	b.mem_bytes = 8LL << 30;
	b.gogc = NULL;
	d = mg_env_diff(&a, &b);
	assert_int_equal(d, MG_ENV_KERNEL | MG_ENV_CORES | MG_ENV_MEM |
	                            MG_ENV_GOGC);
	assert_int_equal(mg_env_diff_describe(&out, &a, &b, d), 0);
	assert_string_equal(out.ptr,
	                    "kernel '6.1.0-13-amd64' vs '6.5.0-1025-azure', "
	                    "cores 4 vs 2, mem 15.6 GiB vs 8.0 GiB, "
	                    "gogc 'off' vs unset");
	assert_string_equal(mg_env_field_name(MG_ENV_GO_VERSION), "go_version");
	assert_string_equal(mg_env_field_name(MG_ENV_LABEL), "label");
	assert_null(mg_env_field_name(MG_ENV_OS | MG_ENV_ARCH));
	mg_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_collect_matches_system),
	        cmocka_unit_test(test_go_version_command),
	        cmocka_unit_test(test_parsers),
	        cmocka_unit_test(test_canonical_and_fingerprint),
	        cmocka_unit_test(test_fingerprint_stable),
	        cmocka_unit_test(test_fingerprint_fields),
	        cmocka_unit_test(test_diff_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
