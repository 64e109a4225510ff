/*
 * config.h - memgate-server's configuration: one table of keys, each
 * settable from three places. Precedence, highest first:
 *
 *   1. command-line flags     --max-body 16M, --public-read, --no-public-read
 *   2. environment variables  MEMGATE_MAX_BODY=16M (MEMGATE_ + KEY upper)
 *   3. the config file        [limits] max_body = 16M
 *   4. built-in defaults
 *
 * The config file is INI (read with inih): `[section]` headers, `key =
 * value` lines, `;` or `#` comments. It is read only when named, by
 * --config FILE or MEMGATE_CONFIG. Unknown sections or keys are errors
 * with file:line, so a typo does not silently leave a default in force.
 *
 * Values: sizes take an optional K, M or G suffix (powers of 1024),
 * booleans are true/false/yes/no/on/off/1/0, choices are listed per key.
 */
#ifndef MG_SRV_CONFIG_H
#define MG_SRV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* The longest config file line inih accepts is its own build's limit;
 * values longer than this are refused (paths, URLs). */
#define MG_CFG_MAX_VALUE 4096

typedef struct mg_srv_config {
	/* [server] */
	char *listen;               /* host:port to bind; port 0 picks one */
	char *public_url;           /* base of URLs in answers; NULL: listen */
	int64_t threads;            /* read-only database connections */
	int64_t max_connections;    /* open connections at once */
	int64_t connection_timeout; /* idle seconds before a close */
	int64_t shutdown_timeout;   /* seconds to finish in-flight requests */
	char *log_level;            /* error, warn, info, debug */
	/* [database] */
	char *db;                 /* SQLite file */
	int64_t sync;             /* 0 normal, 1 full (see MG_CFG_SYNC_*) */
	int64_t write_queue;      /* writers waiting at most, then 503 */
	int64_t write_timeout_ms; /* wait for the write lock, then 503 */
	/* [limits] */
	int64_t max_body; /* request body, after gunzip too (bytes) */
	/* [auth] */
	bool public_read;          /* GET routes without a token */
	bool auto_create_projects; /* token create makes missing projects */
	/* ---- issue 7: forges and verdict notifications (notify.h) ---- */
	/* [github] */
	char *github_api_url;           /* API base; GHES: https://h/api/v3 */
	char *github_token;             /* token auth (PAT) */
	char *github_app_id;            /* App auth: App id */
	char *github_app_private_key;   /* App auth: PEM file path */
	int64_t github_installation_id; /* App auth: default installation */
	char *github_webhook_secret;    /* POST /webhooks/github; NULL: off */
	/* [gitlab] */
	char *gitlab_url;   /* API base, https://gitlab.example/api/v4 */
	char *gitlab_token; /* PRIVATE-TOKEN */
	/* [notify] */
	int64_t forge;         /* MG_CFG_FORGE_* */
	char *gitlab_projects; /* "a/b,c/d": these go to GitLab */
	char *status_context;  /* commit status context / check name */
	int64_t comment_mode;  /* MG_CFG_COMMENT_* */
	char *comment_modes;   /* per project: "a/b=never,c/d=on-change" */
	bool push_status;      /* status on default-branch push runs */
	/* ---- end issue 7 ---- */
	/* where the values came from, for `memgate-server config` */
	char *config_file;        /* the file read, or NULL */
	unsigned char source[32]; /* per key: MG_CFG_FROM_* */
} mg_srv_config;

enum mg_cfg_source {
	MG_CFG_FROM_DEFAULT = 0,
	MG_CFG_FROM_FILE = 1,
	MG_CFG_FROM_ENV = 2,
	MG_CFG_FROM_FLAG = 3,
};

/* issue 7: [notify] forge and comment_mode choices. */
enum mg_cfg_forge {
	MG_CFG_FORGE_AUTO = 0, /* GitHub if configured, else GitLab */
	MG_CFG_FORGE_GITHUB = 1,
	MG_CFG_FORGE_GITLAB = 2,
	MG_CFG_FORGE_NONE = 3,
};

enum mg_cfg_comment {
	MG_CFG_COMMENT_ALWAYS = 0,
	MG_CFG_COMMENT_ON_CHANGE = 1,
	MG_CFG_COMMENT_NEVER = 2,
};

enum mg_cfg_sync {
	MG_CFG_SYNC_NORMAL = 0,
	MG_CFG_SYNC_FULL = 1,
};

/*
 * Load the configuration: defaults, then the file (--config in argv, or
 * MEMGATE_CONFIG), then MEMGATE_* variables, then argv's flags. argv
 * holds only options (argv[0] is not skipped). Arguments that are not
 * configuration flags are errors unless `rest` is given: then they are
 * collected there in order (borrowed pointers into argv; *nrest set) for
 * the command to interpret. On error err names the file:line, variable
 * or flag. Release with mg_srv_config_release.
 */
int mg_srv_config_load(mg_srv_config *cfg, int argc, char **argv, char **rest,
                       int *nrest, mg_err *err);
void mg_srv_config_release(mg_srv_config *cfg);

/* Append "key = value  ; from source" lines for every key to out. */
int mg_srv_config_dump(const mg_srv_config *cfg, mg_buf *out);

/* Append the flag list for --help to out. */
int mg_srv_config_help(mg_buf *out);

/* Parse a size "64M" / "1024" / "2K" into bytes; MG_EINPUT if invalid. */
int mg_srv_parse_size(int64_t *out, const char *s);

#endif
