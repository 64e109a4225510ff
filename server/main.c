/*
 * main.c - entry point of `memgate-server`: global options and dispatch
 * to its commands (serve, token, project, config, migrate, version).
 * `serve` is the default command. Exit status: 0 ok, 2 usage or runtime
 * error.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/random.h>
#include <unistd.h>
#include <microhttpd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "httpc.h"
#include "log.h"
#include "server.h"
#include "notify.h" /* issue 7 */
#include "store.h"
#include "version.h"

static bool verbose; /* --verbose given: it beats the configured level */

static void usage(FILE *f)
{
	mg_buf flags = MG_BUF_INIT(1 << 16);

	mg_srv_config_help(&flags);
	fprintf(f,
	        "usage: memgate-server [--verbose] [<command>] [options]\n"
	        "       memgate-server --help | --version\n\n"
	        "memgate-server ingests runs from memgate collectors and "
	        "serves their\nhistory and profiles over HTTP.\n\n"
	        "Commands:\n"
	        "  serve                 run the server (the default "
	        "command)\n"
	        "  token create --project NAME [--label TEXT]\n"
	        "                        print a new API token for NAME, "
	        "once\n"
	        "  token list [--project NAME]\n"
	        "  token revoke ID\n"
	        "  project add NAME [--repo URL] [--default-branch BRANCH]\n"
	        "  project list\n"
	        "  config                print the configuration in force "
	        "and its sources\n"
	        "  migrate               create or upgrade the database "
	        "schema and exit\n"
	        "  backup DEST           copy the database to DEST (online "
	        "backup,\n"
	        "                        safe while the server runs) and "
	        "its profile\n"
	        "                        files to DEST-profiles/\n"
	        "  version               print versions of memgate-server "
	        "and its libraries\n\n"
	        "Options (every command; flags > MEMGATE_* environment > "
	        "config file):\n"
	        "  --config FILE          INI config file (MEMGATE_CONFIG)\n"
	        "%s\n"
	        "Exit status: 0 ok, 2 usage or runtime error.\n",
	        flags.ptr);
	mg_buf_release(&flags);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("memgate-server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int print_version(void)
{
	mg_buf libs = MG_BUF_INIT(4096);

	printf("memgate-server %s\n", mg_version());
	if (mg_version_libs(&libs) == 0)
		fputs(libs.ptr, stdout);
	printf("libmicrohttpd %s\n", MHD_get_version());
	mg_buf_release(&libs);
	mg_httpc_global_cleanup(); /* libcurl was loaded for its version */
	return 0;
}

static void apply_log_level(const mg_srv_config *cfg)
{
	if (!verbose && cfg->log_level &&
	    mg_log_level_parse(cfg->log_level) >= 0)
		mg_log_set_level(mg_log_level_parse(cfg->log_level));
}

/* Load the configuration of a command; rest gets what is not config. */
static int load(mg_srv_config *cfg, int argc, char **argv, char **rest,
                int *nrest)
{
	mg_err err = MG_ERR_INIT;

	if (mg_srv_config_load(cfg, argc, argv, rest, nrest, &err) < 0)
		return fail("%s", err.msg);
	apply_log_level(cfg);
	return 0;
}

static int open_store(const mg_srv_config *cfg, mg_store **st)
{
	mg_err err = MG_ERR_INIT;

	if (mg_store_open(st, cfg->db, MG_STORE_SYNC_FULL, &err) < 0)
		return fail("%s", err.msg);
	return 0;
}

static void format_time(char *buf, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(buf, n, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- serve -------------------------------------------------------------- */

/*
 * malloc tuning for a long-running server whose big buffers (request
 * bodies, the parser's arena, profiles: ~10 MB per upload) come and go.
 * They used to go to mmap (a 256 KiB threshold) so that freeing them gave
 * the memory back at once, but then every upload faulted its ~2,500 pages
 * in afresh and unmapped them again: 38-40 ms of CPU per upload of the
 * ingest benchmark, against 31-33 ms with what is here. Now they come from
 * one heap (one arena for all threads), which is not trimmed during a
 * burst; when the last upload of a burst ends, mg_http's idle hook calls
 * malloc_trim(0), and with a single arena that returns the whole heap's
 * free pages (glibc's trim does not shrink the top of per-thread arenas,
 * which kept ~10 MB more after a burst). RSS after a burst measured the
 * same (11-12 MiB), and so did the peak.
 */
static void tune_malloc(void)
{
	mallopt(M_ARENA_MAX, 1);
	/* still mmap for the rare giant body (the limit is 64 MiB) */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

static int make_base_url(mg_srv *srv)
{
	const mg_srv_config *cfg = srv->cfg;
	mg_buf b = MG_BUF_INIT(MG_CFG_MAX_VALUE + 64);
	const char *colon = strrchr(cfg->listen, ':');
	size_t hlen = colon ? (size_t)(colon - cfg->listen) : 0;
	int error;

	if (cfg->public_url && cfg->public_url[0]) {
		error = mg_buf_puts(&b, cfg->public_url);
		while (error == 0 && b.len > 0 && b.ptr[b.len - 1] == '/')
			mg_buf_truncate(&b, b.len - 1);
	} else if (hlen == 0 || strncmp(cfg->listen, "0.0.0.0", hlen) == 0 ||
	           strncmp(cfg->listen, "[::]", hlen) == 0) {
		/* a wildcard bind has no name to give: set public_url */
		error = mg_buf_printf(&b, "http://127.0.0.1:%u",
		                      (unsigned)srv->port);
	} else {
		error = mg_buf_printf(&b, "http://%.*s:%u", (int)hlen,
		                      cfg->listen, (unsigned)srv->port);
	}
	if (error < 0)
		return error;
	srv->base_url = mg_buf_detach(&b);
	return srv->base_url ? 0 : MG_ENOMEM;
}

static int cmd_serve(int argc, char **argv)
{
	mg_srv_config cfg;
	mg_err err = MG_ERR_INIT;
	mg_srv srv;
	sigset_t sigs;
	uint32_t prefix = 0;
	int sig = 0, rc = 2;

	if (load(&cfg, argc, argv, NULL, NULL) != 0)
		return 2;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.listen_fd = -1;
	atomic_init(&srv.inflight, 0);
	atomic_init(&srv.nreq, 0);
	if (getrandom(&prefix, sizeof(prefix), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(prefix))
		prefix = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	srv.id_prefix = prefix;
	tune_malloc();
	/*
	 * Block the stop signals before any thread exists, so every thread
	 * inherits the mask and only sigwait() below (and the shutdown
	 * wait) ever sees them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mg_srv_db_open(&srv.db, &cfg, (size_t)cfg.threads, &err) < 0) {
		fail("%s", err.msg);
		goto cleanup;
	}
	srv.db.inflight = &srv.inflight; /* for the release when idle */
	if (mg_http_bind(&srv, &err) < 0) {
		fail("%s", err.msg);
		goto close_db;
	}
	if (make_base_url(&srv) < 0) {
		fail("out of memory");
		close(srv.listen_fd);
		goto close_db;
	}
	/* issue 7: the outbox delivery thread, before the first upload */
	if (mg_notify_start(&srv, &err) < 0) {
		fail("%s", err.msg);
		close(srv.listen_fd);
		goto close_db;
	}
	if (mg_http_start(&srv, &err) < 0) {
		fail("%s", err.msg[0] ? err.msg : "out of memory");
		close(srv.listen_fd);
		mg_notify_stop();
		goto close_db;
	}
	mg_log(MG_LOG_INFO, "server",
	       "memgate-server %s: db '%s' (sync %s), %lld threads, reads %s, "
	       "max body %lld bytes, urls %s",
	       mg_version(), cfg.db,
	       cfg.sync == MG_CFG_SYNC_FULL ? "full" : "normal",
	       (long long)cfg.threads,
	       cfg.public_read ? "public" : "need a token",
	       (long long)cfg.max_body, srv.base_url);
	/* The one line tests and scripts wait for, whatever the log level. */
	fprintf(stderr, "listening on %.*s:%u\n",
	        (int)(strrchr(cfg.listen, ':') - cfg.listen), cfg.listen,
	        (unsigned)srv.port);
	fflush(stderr);

	while (sigwait(&sigs, &sig) != 0)
		;
	mg_log(MG_LOG_INFO, "server",
	       "%s: stopping (finishing %d requests, up to %lld s)",
	       sig == SIGINT ? "SIGINT" : "SIGTERM", atomic_load(&srv.inflight),
	       (long long)cfg.shutdown_timeout);
	mg_http_stop(&srv, (int)cfg.shutdown_timeout);
	mg_notify_stop(); /* issue 7: after the last upload's verdict */
	rc = 0;
close_db:
	mg_srv_db_close(&srv.db);
	if (rc == 0)
		mg_log(MG_LOG_INFO, "server", "stopped");
cleanup:
	/*
	 * libcurl is loaded and initialised by the first delivery
	 * (server/curl_lazy.c); this releases it, if it was, now that the
	 * delivery thread is gone.
	 */
	mg_httpc_global_cleanup();
	free(srv.base_url);
	mg_srv_config_release(&cfg);
	return rc;
}

/* ---- token -------------------------------------------------------------- */

/* The value of --name in rest, or NULL; rest[i] consumed entries skipped. */
struct args {
	char **v;
	int n;
};

/* A group of commands ("token create", "project list", ...). */
struct subcommand {
	const char *name;
	int (*fn)(const mg_srv_config *cfg, struct args *a);
};

/*
 * Load the configuration from argv[2..] (the rest goes to the command's
 * own arguments) and run the command argv[1] of `group`.
 */
static int run_subcommand(const char *group, const struct subcommand *cmds,
                          int argc, char **argv)
{
	mg_srv_config cfg;
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	struct args a = {rest, 0};
	mg_buf names = MG_BUF_INIT(256);
	size_t i;
	int rc;

	for (i = 0; cmds[i].name; i++)
		mg_buf_printf(&names, "%s%s",
		              i ? (cmds[i + 1].name ? ", " : " or ") : "",
		              cmds[i].name);
	if (rest == NULL || names.ptr == NULL) {
		rc = fail("out of memory");
		goto done;
	}
	if (argc < 2) {
		rc = fail("%s: expected %s", group, names.ptr);
		goto done;
	}
	if (load(&cfg, argc - 2, argv + 2, rest, &a.n) != 0) {
		rc = 2;
		goto done;
	}
	for (i = 0; cmds[i].name && strcmp(argv[1], cmds[i].name) != 0; i++)
		;
	rc = cmds[i].name ? cmds[i].fn(&cfg, &a)
	                  : fail("%s: unknown command '%s'", group, argv[1]);
	mg_srv_config_release(&cfg);
done:
	free(rest);
	mg_buf_release(&names);
	return rc;
}

static int take_opt(struct args *a, const char *name, const char **out)
{
	int i;

	for (i = 0; i < a->n; i++) {
		if (a->v[i] == NULL || strcmp(a->v[i], name) != 0)
			continue;
		if (i + 1 >= a->n || a->v[i + 1] == NULL)
			return fail("option '%s' needs a value", name);
		*out = a->v[i + 1];
		a->v[i] = a->v[i + 1] = NULL;
	}
	return 0;
}

/* The remaining arguments must be exactly `want` positionals. */
static int positionals(struct args *a, const char **out, int want)
{
	int i, got = 0;

	for (i = 0; i < a->n; i++) {
		if (a->v[i] == NULL)
			continue;
		if (a->v[i][0] == '-' || got == want)
			return fail("unexpected argument '%s'", a->v[i]);
		out[got++] = a->v[i];
	}
	if (got < want)
		return fail("missing argument (see --help)");
	return 0;
}

static int token_create(const mg_srv_config *cfg, struct args *a)
{
	const char *project = NULL, *label = NULL, *repo = NULL, *branch = NULL;
	char token[MG_TOKEN_LEN + 1];
	mg_err err = MG_ERR_INIT;
	mg_project_info info;
	mg_store *st = NULL;
	int64_t id = 0, pid = 0;
	int error;

	memset(&info, 0, sizeof(info));
	if (take_opt(a, "--project", &project) ||
	    take_opt(a, "--label", &label) || take_opt(a, "--repo", &repo) ||
	    take_opt(a, "--default-branch", &branch) || positionals(a, NULL, 0))
		return 2;
	if (project == NULL)
		return fail("token create: --project NAME is required");
	if (open_store(cfg, &st) != 0)
		return 2;
	error = mg_store_project_get(st, project, &info, &err);
	mg_project_info_release(&info);
	if (error == MG_ENOTFOUND && !cfg->auto_create_projects) {
		mg_store_close(st);
		return fail(
		        "project '%s' not found; add it with "
		        "'memgate-server project add' (auto_create_projects "
		        "is off)",
		        project);
	}
	if (error == MG_ENOTFOUND) {
		error = mg_store_project_add(st, project, repo, branch, &pid,
		                             &err);
		if (error == 0)
			fprintf(stderr, "created project '%s'\n", project);
	}
	if (error < 0)
		goto failed;
	error = mg_store_token_create(st, project, label, token, &id, &err);
	if (error < 0)
		goto failed;
	mg_store_close(st);
	fprintf(stderr,
	        "token %lld for project '%s' (shown once; only its SHA-256 is "
	        "stored):\n",
	        (long long)id, project);
	fflush(stderr);
	printf("%s\n", token);
	memset(token, 0, sizeof(token));
	return 0;

failed:
	mg_store_close(st);
	return fail("%s", err.msg);
}

static int token_list(const mg_srv_config *cfg, struct args *a)
{
	const char *project = NULL;
	mg_err err = MG_ERR_INIT;
	mg_token_info *t = NULL;
	mg_store *st = NULL;
	size_t n = 0, i;

	if (take_opt(a, "--project", &project) || positionals(a, NULL, 0))
		return 2;
	if (open_store(cfg, &st) != 0)
		return 2;
	if (mg_store_token_list(st, project, &t, &n, &err) < 0) {
		mg_store_close(st);
		return fail("%s", err.msg);
	}
	mg_store_close(st);
	printf("%-5s  %-8s  %-20s  %-20s  %-30s  %s\n", "ID", "STATE",
	       "CREATED", "LAST USED", "PROJECT", "LABEL");
	for (i = 0; i < n; i++) {
		char created[32], used[32];

		format_time(created, sizeof(created), t[i].created_at);
		format_time(used, sizeof(used), t[i].last_used_at);
		printf("%-5lld  %-8s  %-20s  %-20s  %-30s  %s\n",
		       (long long)t[i].id,
		       t[i].revoked_at ? "revoked" : "active", created, used,
		       t[i].project, t[i].label ? t[i].label : "");
	}
	mg_token_info_free(t, n);
	return 0;
}

static int token_revoke(const mg_srv_config *cfg, struct args *a)
{
	const char *id_s = NULL;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	long long id;
	char *end;
	int error;

	if (positionals(a, &id_s, 1))
		return 2;
	errno = 0;
	id = strtoll(id_s, &end, 10);
	if (errno != 0 || *end != '\0' || id <= 0)
		return fail("token revoke: expected a token id, got '%s'",
		            id_s);
	if (open_store(cfg, &st) != 0)
		return 2;
	error = mg_store_token_revoke(st, id, &err);
	mg_store_close(st);
	if (error < 0)
		return fail("%s", err.msg);
	printf("revoked token %lld\n", id);
	return 0;
}

static const struct subcommand token_commands[] = {
        {"create", token_create},
        {"list", token_list},
        {"revoke", token_revoke},
        {NULL, NULL},
};

static int cmd_token(int argc, char **argv)
{
	return run_subcommand("token", token_commands, argc, argv);
}

/* ---- project ------------------------------------------------------------ */

static int project_add(const mg_srv_config *cfg, struct args *a)
{
	const char *name = NULL, *repo = NULL, *branch = NULL;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	int64_t id = 0;
	int error;

	if (take_opt(a, "--repo", &repo) ||
	    take_opt(a, "--default-branch", &branch) ||
	    positionals(a, &name, 1))
		return 2;
	if (open_store(cfg, &st) != 0)
		return 2;
	error = mg_store_project_add(st, name, repo, branch, &id, &err);
	mg_store_close(st);
	if (error < 0)
		return fail("%s", err.msg);
	printf("added project '%s' (id %lld)\n", name, (long long)id);
	return 0;
}

static int project_list(const mg_srv_config *cfg, struct args *a)
{
	mg_err err = MG_ERR_INIT;
	mg_project_info *p = NULL;
	mg_store *st = NULL;
	size_t n = 0, i;

	if (positionals(a, NULL, 0) || open_store(cfg, &st) != 0)
		return 2;
	if (mg_store_project_list(st, &p, &n, &err) < 0) {
		mg_store_close(st);
		return fail("%s", err.msg);
	}
	mg_store_close(st);
	printf("%-30s  %-14s  %6s  %s\n", "NAME", "DEFAULT BRANCH", "RUNS",
	       "REPOSITORY");
	for (i = 0; i < n; i++)
		printf("%-30s  %-14s  %6lld  %s\n", p[i].name,
		       p[i].default_branch, (long long)p[i].nruns,
		       p[i].clone_url ? p[i].clone_url : "");
	mg_project_info_free(p, n);
	return 0;
}

static const struct subcommand project_commands[] = {
        {"add", project_add},
        {"list", project_list},
        {NULL, NULL},
};

static int cmd_project(int argc, char **argv)
{
	return run_subcommand("project", project_commands, argc, argv);
}

/* ---- config and migrate ------------------------------------------------- */

static int cmd_config(int argc, char **argv)
{
	mg_srv_config cfg;
	mg_buf out = MG_BUF_INIT(1 << 20);
	int rc = 0;

	if (load(&cfg, argc - 1, argv + 1, NULL, NULL) != 0)
		return 2;
	if (mg_srv_config_dump(&cfg, &out) < 0)
		rc = fail("out of memory");
	else
		fputs(out.ptr, stdout);
	mg_buf_release(&out);
	mg_srv_config_release(&cfg);
	return rc;
}

static int cmd_migrate(int argc, char **argv)
{
	mg_srv_config cfg;
	mg_store *st = NULL;
	int rc = 0;

	if (load(&cfg, argc - 1, argv + 1, NULL, NULL) != 0)
		return 2;
	if (open_store(&cfg, &st) != 0)
		rc = 2;
	else
		printf("%s: schema version %d\n", cfg.db,
		       mg_store_schema_version(st));
	mg_store_close(st);
	mg_srv_config_release(&cfg);
	return rc;
}

/*
 * `backup DEST`: a consistent copy of the database through SQLite's
 * online backup, safe while `serve` keeps writing to the same file.
 */
static int cmd_backup(int argc, char **argv)
{
	mg_srv_config cfg;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int nrest = 0, rc = 0;

	if (rest == NULL)
		return fail("out of memory");
	if (load(&cfg, argc - 1, argv + 1, rest, &nrest) != 0) {
		free(rest);
		return 2;
	}
	if (nrest != 1) {
		rc = fail("backup: expected one destination file, e.g. "
		          "'memgate-server backup --db memgate.db copy.db'");
	} else if (open_store(&cfg, &st) != 0) {
		rc = 2;
	} else if (mg_store_backup(st, rest[0], &err) < 0) {
		rc = fail("%s", err.msg);
	} else {
		printf("%s: copied to %s\n", cfg.db, rest[0]);
	}
	mg_store_close(st);
	mg_srv_config_release(&cfg);
	free(rest);
	return rc;
}

int main(int argc, char **argv)
{
	const char *env_level = getenv("MEMGATE_LOG");
	int i = 1;

	if (env_level && mg_log_level_parse(env_level) >= 0)
		mg_log_set_level(mg_log_level_parse(env_level));
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			return print_version();
		} else if (strcmp(argv[i], "--verbose") == 0) {
			verbose = true;
			mg_log_set_level(MG_LOG_DEBUG);
		} else {
			/* a serve option: `memgate-server --listen ...` */
			break;
		}
	}
	if (i >= argc || argv[i][0] == '-')
		return cmd_serve(argc - i, argv + i);
	if (strcmp(argv[i], "serve") == 0)
		return cmd_serve(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "version") == 0)
		return print_version();
	if (strcmp(argv[i], "migrate") == 0)
		return cmd_migrate(argc - i, argv + i);
	if (strcmp(argv[i], "backup") == 0)
		return cmd_backup(argc - i, argv + i);
	if (strcmp(argv[i], "config") == 0)
		return cmd_config(argc - i, argv + i);
	if (strcmp(argv[i], "token") == 0)
		return cmd_token(argc - i, argv + i);
	if (strcmp(argv[i], "project") == 0)
		return cmd_project(argc - i, argv + i);
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return 0;
	}
	return fail("unknown command '%s'\nTry 'memgate-server --help'.",
	            argv[i]);
}
