/*
 * config.c - the key table of memgate-server's configuration and its
 * three sources (config.h has the precedence and the formats). Every key
 * is defined once below: section and name in the INI file, --name-with-
 * dashes as a flag, MEMGATE_NAME in the environment.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <ini.h>

#include "config.h"

enum key_type {
	K_STR,    /* any string up to MG_CFG_MAX_VALUE */
	K_INT,    /* decimal integer within [min, max] */
	K_SIZE,   /* bytes with an optional K/M/G suffix, within [min, max] */
	K_BOOL,   /* true/false and friends */
	K_CHOICE, /* one of `choices`, stored as its index */
};

struct key {
	const char *section; /* INI section */
	const char *name;    /* INI key; flag --name, '_' written '-' */
	const char *env;     /* environment variable */
	enum key_type type;
	size_t off;          /* offset in mg_srv_config */
	const char *def;     /* default, parsed like any value; NULL: none */
	int64_t min, max;    /* K_INT, K_SIZE bounds */
	const char *choices; /* K_CHOICE: "a|b", index 0 first */
	const char *help;    /* one line for --help */
};

#define OFF(f) offsetof(mg_srv_config, f)

/*
 * Limits, each with its reason: more than 256 read connections only add
 * caches on a server whose reads are index lookups; 100,000 connections is far
 * past what one SQLite writer can feed; a day is long enough for any
 * timeout; 1 GiB is above any run document (the run reader itself stops
 * at 64 MiB, MG_RUNJSON_MAX_INPUT) while keeping a size_t-safe bound.
 */
static const struct key keys[] = {
        {"server", "listen", "MEMGATE_LISTEN", K_STR, OFF(listen),
         "127.0.0.1:8080", 0, 0, NULL,
         "address to bind, host:port (port 0: any)"},
        {"server", "public_url", "MEMGATE_PUBLIC_URL", K_STR, OFF(public_url),
         NULL, 0, 0, NULL,
         "base of the URLs in answers (default http://<listen>)"},
        {"server", "threads", "MEMGATE_THREADS", K_INT, OFF(threads), "4", 1,
         256, NULL, "read connections (requests reading at once)"},
        {"server", "max_connections", "MEMGATE_MAX_CONNECTIONS", K_INT,
         OFF(max_connections), "256", 1, 100000, NULL,
         "open connections at most"},
        {"server", "connection_timeout", "MEMGATE_CONNECTION_TIMEOUT", K_INT,
         OFF(connection_timeout), "60", 1, 86400, NULL,
         "seconds an idle connection stays open"},
        {"server", "shutdown_timeout", "MEMGATE_SHUTDOWN_TIMEOUT", K_INT,
         OFF(shutdown_timeout), "30", 0, 86400, NULL,
         "seconds to finish in-flight requests on SIGTERM"},
        {"server", "log_level", "MEMGATE_LOG", K_CHOICE, OFF(log_level), "info",
         0, 0, "error|warn|info|debug", "log level"},
        {"database", "db", "MEMGATE_DB", K_STR, OFF(db), "./memgate.db", 0, 0,
         NULL, "SQLite database file"},
        {"database", "sync", "MEMGATE_SYNC", K_CHOICE, OFF(sync), "full", 0, 0,
         "normal|full", "SQLite synchronous mode for ingest"},
        {"database", "write_queue", "MEMGATE_WRITE_QUEUE", K_INT,
         OFF(write_queue), "16", 0, 100000, NULL,
         "uploads waiting for the writer at most (then 503)"},
        {"database", "write_timeout_ms", "MEMGATE_WRITE_TIMEOUT_MS", K_INT,
         OFF(write_timeout_ms), "10000", 1, 86400000, NULL,
         "ms an upload waits for the writer (then 503)"},
        {"limits", "max_body", "MEMGATE_MAX_BODY", K_SIZE, OFF(max_body), "64M",
         1024, (int64_t)1 << 30, NULL,
         "request body limit, also after gunzip (413 above)"},
        {"auth", "public_read", "MEMGATE_PUBLIC_READ", K_BOOL, OFF(public_read),
         "false", 0, 0, NULL, "read routes answer without a token"},
        {"auth", "auto_create_projects", "MEMGATE_AUTO_CREATE_PROJECTS", K_BOOL,
         OFF(auto_create_projects), "true", 0, 0, NULL,
         "`token create` creates a missing project"},
        /* ---- issue 7: forges and notifications (server/notify.c) ---- */
        {"github", "github_api_url", "MEMGATE_GITHUB_API_URL", K_STR,
         OFF(github_api_url), "https://api.github.com", 0, 0, NULL,
         "GitHub API base URL (GHES: https://HOST/api/v3)"},
        {"github", "github_token", "MEMGATE_GITHUB_TOKEN", K_STR,
         OFF(github_token), NULL, 0, 0, NULL,
         "GitHub token for statuses and comments"},
        {"github", "github_app_id", "MEMGATE_GITHUB_APP_ID", K_STR,
         OFF(github_app_id), NULL, 0, 0, NULL, "GitHub App id (App auth)"},
        {"github", "github_app_private_key", "MEMGATE_GITHUB_APP_PRIVATE_KEY",
         K_STR, OFF(github_app_private_key), NULL, 0, 0, NULL,
         "GitHub App private key PEM file"},
        /* GitHub ids are positive 64-bit integers. */
        {"github", "github_installation_id", "MEMGATE_GITHUB_INSTALLATION_ID",
         K_INT, OFF(github_installation_id), "0", 0, INT64_MAX, NULL,
         "GitHub App installation (0: from the webhook)"},
        {"github", "github_webhook_secret", "MEMGATE_GITHUB_WEBHOOK_SECRET",
         K_STR, OFF(github_webhook_secret), NULL, 0, 0, NULL,
         "secret of POST /webhooks/github (unset: route answers 404)"},
        {"gitlab", "gitlab_url", "MEMGATE_GITLAB_URL", K_STR, OFF(gitlab_url),
         NULL, 0, 0, NULL, "GitLab API base URL (https://HOST/api/v4)"},
        {"gitlab", "gitlab_token", "MEMGATE_GITLAB_TOKEN", K_STR,
         OFF(gitlab_token), NULL, 0, 0, NULL, "GitLab token (PRIVATE-TOKEN)"},
        {"notify", "forge", "MEMGATE_FORGE", K_CHOICE, OFF(forge), "auto", 0, 0,
         "auto|github|gitlab|none", "where verdicts are posted"},
        {"notify", "gitlab_projects", "MEMGATE_GITLAB_PROJECTS", K_STR,
         OFF(gitlab_projects), NULL, 0, 0, NULL,
         "projects posted to GitLab with forge=auto (comma list)"},
        {"notify", "status_context", "MEMGATE_STATUS_CONTEXT", K_STR,
         OFF(status_context), "memgate/memory", 0, 0, NULL,
         "commit status context and check run name"},
        {"notify", "comment_mode", "MEMGATE_COMMENT_MODE", K_CHOICE,
         OFF(comment_mode), "always", 0, 0, "always|on-change|never",
         "pull-request comment"},
        {"notify", "comment_modes", "MEMGATE_COMMENT_MODES", K_STR,
         OFF(comment_modes), NULL, 0, 0, NULL,
         "per-project comment modes: a/b=never,c/d=on-change"},
        {"notify", "push_status", "MEMGATE_PUSH_STATUS", K_BOOL,
         OFF(push_status), "true", 0, 0, NULL,
         "status for default-branch push runs (vs first parent)"},
        /* ---- end issue 7 ---- */
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= sizeof(((mg_srv_config *)0)->source),
               "raise the size of mg_srv_config.source");

static const char *const source_names[] = {"default", "file", "environment",
                                           "flag"};

static const char *choice_name(const struct key *k, int64_t idx, char *buf,
                               size_t n)
{
	const char *s = k->choices;
	int64_t i = 0;

	while (s) {
		const char *bar = strchr(s, '|');
		size_t len = bar ? (size_t)(bar - s) : strlen(s);

		if (i == idx) {
			snprintf(buf, n, "%.*s", (int)len, s);
			return buf;
		}
		i++;
		s = bar ? bar + 1 : NULL;
	}
	return "?";
}

static int parse_choice(const struct key *k, const char *v, int64_t *out)
{
	const char *s = k->choices;
	int64_t i = 0;

	while (s) {
		const char *bar = strchr(s, '|');
		size_t len = bar ? (size_t)(bar - s) : strlen(s);

		if (strlen(v) == len && strncasecmp(s, v, len) == 0) {
			*out = i;
			return 0;
		}
		i++;
		s = bar ? bar + 1 : NULL;
	}
	return MG_EINPUT;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return MG_EINPUT;
}

static int parse_int(const char *v, int64_t *out, char **end)
{
	long long x;

	if (!isdigit((unsigned char)v[0]) && v[0] != '-')
		return MG_EINPUT;
	errno = 0;
	x = strtoll(v, end, 10);
	if (errno != 0 || *end == v)
		return MG_EINPUT;
	*out = x;
	return 0;
}

int mg_srv_parse_size(int64_t *out, const char *s)
{
	static const struct {
		const char *suffix;
		int shift;
	} units[] = {{"", 0},     {"B", 0},   {"K", 10},  {"KB", 10},
	             {"KiB", 10}, {"M", 20},  {"MB", 20}, {"MiB", 20},
	             {"G", 30},   {"GB", 30}, {"GiB", 30}};
	int64_t v;
	char *end;
	size_t i;

	if (parse_int(s, &v, &end) < 0 || v < 0)
		return MG_EINPUT;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		/* 2^33 GiB would overflow; nothing sane is that large. */
		if (v > (INT64_MAX >> units[i].shift))
			return MG_EINPUT;
		*out = v << units[i].shift;
		return 0;
	}
	return MG_EINPUT;
}

/* Set key k from text v; err says what is wrong with the value. */
static int set_value(mg_srv_config *cfg, const struct key *k, const char *v,
                     enum mg_cfg_source src, mg_err *err)
{
	void *field = (char *)cfg + k->off;
	int64_t n = 0;
	char *end = NULL, *copy;
	bool b;

	if (strlen(v) > MG_CFG_MAX_VALUE)
		return mg_err_set(err, MG_EINPUT,
		                  "'%s': value longer than %d bytes", k->name,
		                  MG_CFG_MAX_VALUE);
	switch (k->type) {
	case K_STR:
		copy = mg_strdup(v);
		if (copy == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
		free(*(char **)field);
		*(char **)field = copy;
		break;
	case K_INT:
	case K_SIZE:
		if (k->type == K_INT &&
		    (parse_int(v, &n, &end) < 0 || *end != '\0'))
			return mg_err_set(err, MG_EINPUT,
			                  "'%s': expected an integer, got '%s'",
			                  k->name, v);
		if (k->type == K_SIZE && mg_srv_parse_size(&n, v) < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "'%s': expected a size such as 64M, "
			                  "got '%s'",
			                  k->name, v);
		if (n < k->min || n > k->max)
			return mg_err_set(err, MG_EINPUT,
			                  "'%s': %lld is outside %lld..%lld",
			                  k->name, (long long)n,
			                  (long long)k->min, (long long)k->max);
		*(int64_t *)field = n;
		break;
	case K_BOOL:
		if (parse_bool(v, &b) < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "'%s': expected true or false, got "
			                  "'%s'",
			                  k->name, v);
		*(bool *)field = b;
		break;
	case K_CHOICE:
		if (parse_choice(k, v, &n) < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "'%s': expected one of %s, got '%s'",
			                  k->name, k->choices, v);
		if (k->off == OFF(log_level)) {
			char buf[32];

			copy = mg_strdup(choice_name(k, n, buf, sizeof(buf)));
			if (copy == NULL)
				return mg_err_set(err, MG_ENOMEM,
				                  "out of memory");
			free(cfg->log_level);
			cfg->log_level = copy;
		} else {
			*(int64_t *)field = n;
		}
		break;
	}
	cfg->source[k - keys] = (unsigned char)src;
	return 0;
}

struct ini_ctx {
	mg_srv_config *cfg;
	mg_err *err;
	bool failed; /* the first error is kept */
};

static int on_ini(void *user, const char *section, const char *name,
                  const char *value)
{
	struct ini_ctx *ctx = user;
	size_t i;

	if (ctx->failed)
		return 0;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (set_value(ctx->cfg, &keys[i], value, MG_CFG_FROM_FILE,
		              ctx->err) < 0) {
			ctx->failed = true;
			return 0;
		}
		return 1;
	}
	mg_err_set(ctx->err, MG_EINPUT, "unknown key '%s' in section [%s]",
	           name, section);
	ctx->failed = true;
	return 0;
}

static int load_file(mg_srv_config *cfg, const char *path, mg_err *err)
{
	struct ini_ctx ctx = {cfg, err, false};
	int line;

	cfg->config_file = mg_strdup(path);
	if (cfg->config_file == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	line = ini_parse(path, on_ini, &ctx);
	if (line == -1)
		return mg_err_set(err, MG_EIO, "%s: cannot open: %s", path,
		                  strerror(errno));
	if (line == -2)
		return mg_err_set(err, MG_ENOMEM, "%s: out of memory", path);
	if (line > 0 && ctx.failed) {
		mg_err_prefix(err, "%s:%d", path, line);
		return MG_EINPUT;
	}
	if (line > 0)
		return mg_err_set(err, MG_EINPUT,
		                  "%s:%d: syntax error (expected [section] or "
		                  "key = value)",
		                  path, line);
	return 0;
}

static int load_env(mg_srv_config *cfg, mg_err *err)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const char *v = getenv(keys[i].env);

		if (v == NULL)
			continue;
		if (set_value(cfg, &keys[i], v, MG_CFG_FROM_ENV, err) < 0) {
			mg_err_prefix(err, "environment %s", keys[i].env);
			return MG_EINPUT;
		}
	}
	return 0;
}

/* Does flag text (after "--", up to len) name key k ('-' for '_')? */
static bool flag_is(const struct key *k, const char *flag, size_t len)
{
	size_t i;

	if (strlen(k->name) != len)
		return false;
	for (i = 0; i < len; i++) {
		char c = k->name[i] == '_' ? '-' : k->name[i];

		if (flag[i] != c)
			return false;
	}
	return true;
}

/*
 * One flag at argv[*i]: 1 if it is a configuration flag (consumed, with
 * its value), 0 if not, MG_EINPUT on a bad value or a missing one.
 */
static int load_flag(mg_srv_config *cfg, int argc, char **argv, int *i,
                     mg_err *err)
{
	const char *a = argv[*i], *name, *eq, *value;
	bool negated = false;
	size_t len, k;

	if (strncmp(a, "--", 2) != 0)
		return 0;
	name = a + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	if (len == 6 && strncmp(name, "config", 6) == 0) {
		if (!eq)
			(*i)++;
		return 1; /* read before everything else */
	}
	if (strncmp(name, "no-", 3) == 0 && !eq) {
		for (k = 0; k < NKEYS; k++)
			if (keys[k].type == K_BOOL &&
			    flag_is(&keys[k], name + 3, len - 3))
				break;
		if (k < NKEYS) {
			negated = true;
			name += 3;
			len -= 3;
		}
	}
	for (k = 0; k < NKEYS; k++)
		if (flag_is(&keys[k], name, len))
			break;
	if (k == NKEYS)
		return 0;
	if (eq)
		value = eq + 1;
	else if (keys[k].type == K_BOOL)
		value = negated ? "false" : "true";
	else if (*i + 1 < argc)
		value = argv[++*i];
	else
		return mg_err_set(err, MG_EINPUT, "flag '%s' needs a value", a);
	if (set_value(cfg, &keys[k], value, MG_CFG_FROM_FLAG, err) < 0) {
		mg_err_prefix(err, "flag --%.*s", (int)len, name);
		return MG_EINPUT;
	}
	return 1;
}

/* The --config value, if any (the last one wins, like other flags). */
static const char *find_config_flag(int argc, char **argv)
{
	const char *path = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	return path;
}

int mg_srv_config_load(mg_srv_config *cfg, int argc, char **argv, char **rest,
                       int *nrest, mg_err *err)
{
	const char *file;
	size_t k;
	int i, error;

	memset(cfg, 0, sizeof(*cfg));
	if (nrest)
		*nrest = 0;
	for (k = 0; k < NKEYS; k++) {
		if (keys[k].def == NULL)
			continue;
		error = set_value(cfg, &keys[k], keys[k].def,
		                  MG_CFG_FROM_DEFAULT, err);
		if (error < 0)
			goto fail;
	}
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 == argc) {
			error = mg_err_set(err, MG_EINPUT,
			                   "flag '--config' needs a value");
			goto fail;
		}
	file = find_config_flag(argc, argv);
	if (file == NULL)
		file = getenv("MEMGATE_CONFIG");
	if (file && file[0]) {
		error = load_file(cfg, file, err);
		if (error < 0)
			goto fail;
	}
	error = load_env(cfg, err);
	if (error < 0)
		goto fail;
	for (i = 0; i < argc; i++) {
		error = load_flag(cfg, argc, argv, &i, err);
		if (error < 0)
			goto fail;
		if (error == 1)
			continue;
		if (rest == NULL) {
			error = mg_err_set(err, MG_EINPUT,
			                   "unknown argument '%s'", argv[i]);
			goto fail;
		}
		rest[(*nrest)++] = argv[i];
	}
	return 0;

fail:
	mg_srv_config_release(cfg);
	return error;
}

void mg_srv_config_release(mg_srv_config *cfg)
{
	size_t k;

	for (k = 0; k < NKEYS; k++)
		if (keys[k].type == K_STR)
			free(*(char **)((char *)cfg + keys[k].off));
	free(cfg->log_level);
	free(cfg->config_file);
	memset(cfg, 0, sizeof(*cfg));
}

int mg_srv_config_dump(const mg_srv_config *cfg, mg_buf *out)
{
	const char *section = "";
	size_t k;
	int error = 0;

	if (cfg->config_file)
		error = mg_buf_printf(out, "; config file: %s\n",
		                      cfg->config_file);
	for (k = 0; k < NKEYS && error == 0; k++) {
		const struct key *key = &keys[k];
		const void *field = (const char *)cfg + key->off;
		char buf[32];

		if (strcmp(section, key->section) != 0) {
			section = key->section;
			error = mg_buf_printf(out, "[%s]\n", section);
		}
		if (error == 0)
			error = mg_buf_printf(out, "%s = ", key->name);
		if (error < 0)
			break;
		switch (key->type) {
		case K_STR:
			/* issue 7: secrets are never printed */
			if (*(char *const *)field &&
			    (strstr(key->name, "token") ||
			     strstr(key->name, "secret"))) {
				error = mg_buf_puts(out, "(set)");
				break;
			}
			error = mg_buf_puts(out, *(char *const *)field
			                                 ? *(char *const *)field
			                                 : "");
			break;
		case K_INT:
		case K_SIZE:
			error = mg_buf_printf(
			        out, "%lld",
			        (long long)*(const int64_t *)field);
			break;
		case K_BOOL:
			error = mg_buf_puts(
			        out, *(const bool *)field ? "true" : "false");
			break;
		case K_CHOICE:
			error = mg_buf_puts(
			        out,
			        key->off == OFF(log_level)
			                ? cfg->log_level
			                : choice_name(key,
			                              *(const int64_t *)field,
			                              buf, sizeof(buf)));
			break;
		}
		if (error == 0)
			error = mg_buf_printf(out, "  ; %s\n",
			                      source_names[cfg->source[k]]);
	}
	return error;
}

int mg_srv_config_help(mg_buf *out)
{
	size_t k, i;
	int error = 0;

	for (k = 0; k < NKEYS && error == 0; k++) {
		char flag[64];

		for (i = 0; keys[k].name[i] && i + 1 < sizeof(flag); i++)
			flag[i] =
			        keys[k].name[i] == '_' ? '-' : keys[k].name[i];
		flag[i] = '\0';
		error = mg_buf_printf(
		        out, "  --%-22s %s\n%28s[%s] %s, %s%s%s\n", flag,
		        keys[k].help, "", keys[k].section, keys[k].name,
		        keys[k].env, keys[k].def ? ", default " : "",
		        keys[k].def ? keys[k].def : "");
	}
	return error;
}
