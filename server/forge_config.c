/*
 * forge_config.c - per-project choices of the notification settings:
 * which forge (forge, gitlab_projects) and which comment mode
 * (comment_mode, comment_modes).
 */
#include <string.h>

#include "notify.h"

/* Whether `project` is an item of the comma list `list`. */
static bool in_list(const char *list, const char *project)
{
	size_t n = strlen(project);
	const char *s = list;

	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		while (len > 0 && s[0] == ' ') {
			s++;
			len--;
		}
		while (len > 0 && s[len - 1] == ' ')
			len--;
		if (len == n && memcmp(s, project, n) == 0)
			return true;
		s = comma ? comma + 1 : NULL;
	}
	return false;
}

static bool github_ready(const mg_srv_config *cfg)
{
	return cfg->github_token ||
	       (cfg->github_app_id && cfg->github_app_private_key);
}

static bool gitlab_ready(const mg_srv_config *cfg)
{
	return cfg->gitlab_url && cfg->gitlab_token;
}

bool mg_notify_forge_for(const mg_srv_config *cfg, const char *project,
                         enum mg_forge_kind *out)
{
	switch (cfg->forge) {
	case MG_CFG_FORGE_GITHUB:
		*out = MG_FORGE_GITHUB;
		return github_ready(cfg);
	case MG_CFG_FORGE_GITLAB:
		*out = MG_FORGE_GITLAB;
		return gitlab_ready(cfg);
	case MG_CFG_FORGE_NONE:
		return false;
	default:
		break;
	}
	if (cfg->gitlab_projects && in_list(cfg->gitlab_projects, project)) {
		*out = MG_FORGE_GITLAB;
		return gitlab_ready(cfg);
	}
	if (github_ready(cfg)) {
		*out = MG_FORGE_GITHUB;
		return true;
	}
	*out = MG_FORGE_GITLAB;
	return gitlab_ready(cfg);
}

static int mode_of(const char *s, size_t len)
{
	static const char *const names[] = {"always", "on-change", "never"};
	int i;

	for (i = 0; i < 3; i++)
		if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return i;
	return -1;
}

/*
 * Walk "a/b=never,c/d=on-change": the mode of `project` (or -2 when it
 * is not listed); -1 with *bad set on a malformed item.
 */
static int lookup(const char *list, const char *project, const char **bad)
{
	const char *s = list;
	size_t n = project ? strlen(project) : 0;

	*bad = NULL;
	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		int mode;

		if (eq == NULL || eq == s) {
			*bad = s;
			return -1;
		}
		mode = mode_of(eq + 1, len - (size_t)(eq + 1 - s));
		if (mode < 0) {
			*bad = s;
			return -1;
		}
		if (project && (size_t)(eq - s) == n &&
		    memcmp(s, project, n) == 0)
			return mode;
		s = comma ? comma + 1 : NULL;
	}
	return -2;
}

int mg_notify_comment_mode(const mg_srv_config *cfg, const char *project)
{
	const char *bad;
	int mode = -2;

	if (cfg->comment_modes)
		mode = lookup(cfg->comment_modes, project, &bad);
	return mode >= 0 ? mode : (int)cfg->comment_mode;
}

int mg_notify_check_config(const mg_srv_config *cfg, mg_err *err)
{
	const char *bad = NULL;

	if (cfg->comment_modes && lookup(cfg->comment_modes, NULL, &bad) == -1)
		return mg_err_set(err, MG_EINPUT,
		                  "'comment_modes': expected "
		                  "project=always|on-change|never items, got "
		                  "'%.60s'",
		                  bad);
	if (cfg->github_app_id && cfg->github_app_private_key == NULL)
		return mg_err_set(
		        err, MG_EINPUT,
		        "'github_app_id': needs github_app_private_key too");
	return 0;
}
