/*
 * test_store_blobs.c - profiles kept as files beside the database
 * (MG_STORE_PROFILES_IN_DIR, schema/0009): the row and the file a run
 * leaves, reading them back with and without the flag, blobs of both
 * kinds side by side, staging before the write lock, backups, the sweep
 * of crash leftovers, and the blobdir module's own refusals.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobdir.h"
#include "mgtest.h"
#include "store.h"

/* Names shaped like digests that no row has. */
#define ORPHAN                                                                 \
	"ab00000000000000000000000000000000000000000000000000000000000000"
#define YOUNG "cd00000000000000000000000000000000000000000000000000000000000000"

struct fixture {
	char *dir, *db, *profiles;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = mgt_tmpdir();
	f->db = mgt_path(f->dir, "server.db");
	f->profiles = mg_store_profile_dir(f->db);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->profiles);
	free(f->db);
	mgt_tmpdir_free(f->dir);
	free(f);
	return 0;
}

/* One benchmark, one sample and a heap profile of `len` bytes from seed. */
static void make_run(mg_run *run, const char *sha, unsigned seed, size_t len)
{
	unsigned char *bytes = malloc(len);
	size_t b, idx, i;

	assert_non_null(bytes);
	for (i = 0; i < len; i++)
		bytes[i] = (unsigned char)(seed * 31 + i * 7);
	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "acme/blobs"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", sha);
	run->commit.commit_time = 1000 + seed;
	assert_int_equal(mg_run_set_str(&run->branch, "main"), 0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->bench_cmd, "go test -bench ."),
	                 0);
	assert_int_equal(mg_run_add_bench(run, &b, "BenchmarkX",
	                                  "example.com/x", 0, NULL, 0),
	                 0);
	assert_int_equal(mg_run_add_sample(run, b, "B/op", 64, 100, 0), 0);
	assert_int_equal(mg_run_add_profile(run, &idx, "heap", "example.com/x",
	                                    bytes, len),
	                 0);
	assert_int_equal(mg_profile_add_sample_type(&run->profiles[idx],
	                                            "alloc_space/bytes"),
	                 0);
	free(bytes);
}

static char *row_text(const char *db, const char *sql)
{
	char *s = mgt_sql_text(db, sql);

	assert_non_null(s);
	return s;
}

/* The run's profile: one 'dir' row with no bytes, its file, read back. */
static void test_run_profile_is_a_file(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	unsigned char *data = NULL;
	char sha[65], *digest, *path, *file;
	size_t len = 0;
	mg_run run, back;
	int64_t id;

	assert_int_equal(
	        mg_store_open(&st, f->db, MG_STORE_PROFILES_IN_DIR, &err), 0);
	make_run(&run, "1111111111111111111111111111111111111111", 1, 70000);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);

	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "profile_blobs WHERE stored_in = "
	                                    "'dir' AND length(data) = 0 AND "
	                                    "size = 70000"),
	                 1);
	digest = row_text(f->db, "SELECT sha256 FROM profile_blobs");
	path = mgt_path(f->profiles, digest);
	file = mgt_read_file(path, &len);
	assert_non_null(file);
	assert_int_equal(len, 70000);
	assert_memory_equal(file, run.profiles[0].data, len);

	/* served whole, with its digest */
	assert_int_equal(mg_store_run_profile(st, id, "heap", NULL, &data, &len,
	                                      sha, &err),
	                 0);
	assert_int_equal(len, 70000);
	assert_memory_equal(data, run.profiles[0].data, len);
	assert_string_equal(sha, digest);
	free(data);
	mg_store_close(st);

	/* a store opened without the flag (the CLI) reads it too */
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, id, &back, &err), 0);
	assert_int_equal(back.nprofiles, 1);
	assert_int_equal(back.profiles[0].len, 70000);
	assert_memory_equal(back.profiles[0].data, run.profiles[0].data, 70000);
	mg_run_release(&back);

	/* a lost file is an error naming it, not an empty profile */
	assert_int_equal(unlink(path), 0);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, id, &back, &err), MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(mg_store_run_profile(st, id, "heap", NULL, &data, &len,
	                                      sha, &err),
	                 MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, digest));
	/* ... and a truncated one too */
	mgt_write_file(path, file, 100);
	assert_int_equal(mg_store_run_profile(st, id, "heap", NULL, &data, &len,
	                                      sha, &err),
	                 MG_EIO);
	assert_non_null(strstr(err.msg, "100 bytes, the database says 70000"));

	mg_store_close(st);
	mg_run_release(&run);
	free(file);
	free(path);
	free(digest);
}

/*
 * Blobs stored in the database before 0009 stay there and are shared: a
 * new run with the same bytes refers to the old row and writes no file;
 * a different profile becomes a file.
 */
static void test_old_blobs_stay_in_db(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run a, b, c, back;
	int64_t ida, idb, idc;

	make_run(&a, "1111111111111111111111111111111111111111", 1, 5000);
	make_run(&b, "2222222222222222222222222222222222222222", 1, 5000);
	make_run(&c, "3333333333333333333333333333333333333333", 2, 5000);
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_add_run(st, &a, &ida, NULL, &err), 0);
	mg_store_close(st);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "profile_blobs WHERE stored_in = "
	                                    "'db' AND length(data) = 5000"),
	                 1);

	assert_int_equal(
	        mg_store_open(&st, f->db, MG_STORE_PROFILES_IN_DIR, &err), 0);
	assert_int_equal(mg_store_add_run(st, &b, &idb, NULL, &err), 0);
	assert_int_equal(mg_store_add_run(st, &c, &idc, NULL, &err), 0);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "profile_blobs"),
	                 2);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "profile_blobs WHERE stored_in = "
	                                    "'dir'"),
	                 1);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, idb, &back, &err), 0);
	assert_memory_equal(back.profiles[0].data, a.profiles[0].data, 5000);
	mg_run_release(&back);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, idc, &back, &err), 0);
	assert_memory_equal(back.profiles[0].data, c.profiles[0].data, 5000);
	mg_run_release(&back);
	mg_store_close(st);
	mg_run_release(&a);
	mg_run_release(&b);
	mg_run_release(&c);
}

/* The name of the one file in dir (asserts there is exactly one). */
static char *only_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *name = NULL;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		assert_null(name);
		name = mg_strdup(e->d_name);
	}
	closedir(d);
	assert_non_null(name);
	return name;
}

/*
 * Staged files (the server writes them before it queues the run) are
 * found by the writer, which then only adds the row; the same profile
 * twice is one file.
 */
static void test_staged_profiles(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_blobdir *dir = NULL;
	mg_run a, b;
	struct stat sb1, sb2;
	char *digest, *path, *staged;
	int64_t id;

	assert_int_equal(
	        mg_store_open(&st, f->db, MG_STORE_PROFILES_IN_DIR, &err), 0);
	assert_int_equal(mg_blobdir_open(&dir, f->profiles, false, &err), 0);
	make_run(&a, "1111111111111111111111111111111111111111", 3, 9000);
	make_run(&b, "2222222222222222222222222222222222222222", 3, 9000);
	assert_int_equal(mg_store_stage_profiles(dir, &a, &err), 0);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "profile_blobs"),
	                 0);
	/* the file is there before the run is stored, and stays that file */
	staged = only_file(f->profiles);
	path = mgt_path(f->profiles, staged);
	assert_int_equal(stat(path, &sb1), 0);
	assert_int_equal(sb1.st_size, 9000);
	assert_int_equal(mg_store_add_run(st, &a, &id, NULL, &err), 0);
	digest = row_text(f->db, "SELECT sha256 FROM profile_blobs");
	assert_string_equal(digest, staged);
	assert_int_equal(stat(path, &sb2), 0);
	assert_int_equal(sb1.st_ino, sb2.st_ino);
	/* staged again and stored again: the same file, one row */
	assert_int_equal(mg_store_stage_profiles(dir, &b, &err), 0);
	assert_int_equal(mg_store_add_run(st, &b, &id, NULL, &err), 0);
	assert_int_equal(stat(path, &sb2), 0);
	assert_int_equal(sb1.st_ino, sb2.st_ino);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "profile_blobs"),
	                 1);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM profiles"),
	                 2);
	mg_blobdir_free(dir);
	mg_store_close(st);
	mg_run_release(&a);
	mg_run_release(&b);
	free(path);
	free(digest);
	free(staged);
}

/* A backup carries the files its rows name, as links or copies. */
static void test_backup_takes_the_files(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	char *copy = mgt_path(f->dir, "copy.db");
	mg_run a, back;
	int64_t id;

	assert_int_equal(
	        mg_store_open(&st, f->db, MG_STORE_PROFILES_IN_DIR, &err), 0);
	make_run(&a, "1111111111111111111111111111111111111111", 4, 3000);
	assert_int_equal(mg_store_add_run(st, &a, &id, NULL, &err), 0);
	assert_int_equal(mg_store_backup(st, copy, &err), 0);
	mg_store_close(st);

	/* the original's files gone: the copy stands on its own */
	assert_int_equal(mgt_sh(NULL, NULL, "rm -r '%s'", f->profiles), 0);
	assert_int_equal(mg_store_open(&st, copy, 0, &err), 0);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, id, &back, &err), 0);
	assert_int_equal(back.profiles[0].len, 3000);
	assert_memory_equal(back.profiles[0].data, a.profiles[0].data, 3000);
	mg_run_release(&back);
	mg_store_close(st);
	mg_run_release(&a);
	free(copy);
}

static void age(const char *path, long seconds)
{
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= seconds;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/*
 * The sweep removes what a crash leaves (temporary files, files no row
 * names) once they are old enough, and nothing else.
 */
static void test_sweep(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	char *digest, *kept, *orphan, *young, *tmp;
	size_t removed = 0;
	mg_run a;
	int64_t id;

	assert_int_equal(
	        mg_store_open(&st, f->db, MG_STORE_PROFILES_IN_DIR, &err), 0);
	make_run(&a, "1111111111111111111111111111111111111111", 5, 100);
	assert_int_equal(mg_store_add_run(st, &a, &id, NULL, &err), 0);
	digest = row_text(f->db, "SELECT sha256 FROM profile_blobs");
	kept = mgt_path(f->profiles, digest);
	orphan = mgt_path(f->profiles, ORPHAN);
	young = mgt_path(f->profiles, YOUNG);
	tmp = mgt_path(f->profiles, ".tmp.1.2." ORPHAN);
	mgt_write_file(orphan, "x", 1);
	mgt_write_file(young, "y", 1);
	mgt_write_file(tmp, "z", 1);
	age(kept, 7200);
	age(orphan, 7200);
	age(tmp, 7200);

	assert_int_equal(mg_store_sweep_profiles(st, 3600, &removed, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(access(kept, F_OK), 0);
	assert_int_equal(access(young, F_OK), 0);
	assert_int_not_equal(access(orphan, F_OK), 0);
	assert_int_not_equal(access(tmp, F_OK), 0);
	/* the run is intact */
	mg_store_close(st);
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_sweep_profiles(st, 0, &removed, &err), 0);
	assert_int_equal(removed, 1); /* the young orphan, at age 0 */
	assert_int_equal(access(kept, F_OK), 0);
	mg_store_close(st);
	mg_run_release(&a);
	free(digest);
	free(kept);
	free(orphan);
	free(young);
	free(tmp);
}

/* A database that never had the directory: nothing to sweep, no error. */
static void test_sweep_without_dir(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	size_t removed = 7;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_sweep_profiles(st, 0, &removed, &err), 0);
	assert_int_equal(removed, 0);
	assert_int_not_equal(access(f->profiles, F_OK), 0);
	mg_store_close(st);
}

/* The module's refusals: names that are not plain, sizes that differ. */
static void test_blobdir_refusals(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_blobdir *d = NULL;
	unsigned char *data = NULL;
	bool created;

	assert_int_equal(mg_blobdir_open(&d, f->profiles, false, &err),
	                 MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, f->profiles));
	assert_int_equal(mg_blobdir_open(&d, f->profiles, true, &err), 0);
	assert_int_equal(mg_blobdir_put(d, "../escape", "x", 1, &created, &err),
	                 MG_EINPUT);
	assert_int_equal(mg_blobdir_put(d, ".hidden", "x", 1, &created, &err),
	                 MG_EINPUT);
	assert_int_equal(mg_blobdir_put(d, "", "x", 1, &created, &err),
	                 MG_EINPUT);
	assert_int_equal(mg_blobdir_put(d, "a", "abc", 3, &created, &err), 0);
	assert_true(created);
	assert_int_equal(mg_blobdir_put(d, "a", "abc", 3, &created, &err), 0);
	assert_false(created);
	/* a file of another size under the name is replaced */
	assert_int_equal(mg_blobdir_put(d, "a", "abcd", 4, &created, &err), 0);
	assert_true(created);
	assert_int_equal(mg_blobdir_read(d, "a", 3, &data, &err), MG_EIO);
	assert_null(data);
	assert_int_equal(mg_blobdir_read(d, "a", 4, &data, &err), 0);
	assert_memory_equal(data, "abcd", 4);
	free(data);
	assert_int_equal(mg_blobdir_read(d, "b", 1, &data, &err), MG_ENOTFOUND);
	assert_int_equal(mg_blobdir_read(d, "../x", 1, &data, &err), MG_EINPUT);
	mg_blobdir_free(d);
}

/* Whether files in dir take an aligned O_DIRECT write of one page. */
static bool direct_io_works(const char *dir, const unsigned char *page)
{
	char *path = mgt_path(dir, "direct-probe");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	bool ok = fd >= 0 && write(fd, page, 4096) == 4096;

	if (fd >= 0)
		close(fd);
	unlink(path);
	free(path);
	return ok;
}

/*
 * Page-aligned blocks of 64 KiB or more go to the disk with O_DIRECT
 * where the file system takes it (the test says when it does not), the
 * rest through the page cache; every size reads back the same, tail
 * included, whichever way it went.
 */
static void test_blobdir_direct(void **state)
{
	static const size_t sizes[] = {3 * 4096 + 7, (64 << 10) - 1,
	                               64 << 10,     (64 << 10) + 1,
	                               1 << 20,      (1 << 20) + 123};
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_blobdir *d = NULL;
	unsigned char *block, *back;
	size_t i, k, before, direct = 0;
	bool created;
	char name[32];
	int shift;
	bool can;

	assert_int_equal(posix_memalign((void **)&block, 4096, (2 << 20)), 0);
	for (k = 0; k < (2 << 20); k++)
		block[k] = (unsigned char)(k * 7 + k / 4096);
	assert_int_equal(mg_blobdir_open(&d, f->profiles, true, &err), 0);
	can = direct_io_works(f->profiles, block);
	if (!can)
		print_message("no O_DIRECT under %s: only the contents are "
		              "checked\n",
		              f->profiles);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (shift = 0; shift <= 1; shift++) {
			snprintf(name, sizeof(name), "f%zu-%d", i, shift);
			before = mg_blobdir_direct_writes(d);
			assert_int_equal(mg_blobdir_put(d, name, block + shift,
			                                sizes[i], &created,
			                                &err),
			                 0);
			assert_true(created);
			/* aligned and large enough: direct, else not */
			if (can && shift == 0 && sizes[i] >= (64 << 10)) {
				assert_int_equal(mg_blobdir_direct_writes(d),
				                 before + 1);
				direct++;
			} else {
				assert_int_equal(mg_blobdir_direct_writes(d),
				                 before);
			}
			back = NULL;
			assert_int_equal(
			        mg_blobdir_read(d, name, sizes[i], &back, &err),
			        0);
			assert_memory_equal(back, block + shift, sizes[i]);
			free(back);
		}
	}
	assert_int_equal(direct, can ? 4 : 0);
	mg_blobdir_free(d);
	free(block);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_run_profile_is_a_file,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_old_blobs_stay_in_db,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_staged_profiles, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_backup_takes_the_files,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sweep_without_dir, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_blobdir_refusals, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_blobdir_direct, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
