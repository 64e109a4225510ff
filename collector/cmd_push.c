/*
 * cmd_push.c - `memgate push`: send the runs that `memgate collect
 * --server` spooled because the server could not take them, oldest
 * first. A spool file is deleted only after the server answered 2xx;
 * its idempotency key makes a run that did arrive before (a reply lost
 * on the way back, a push run twice) stored once. A run the server
 * rejects as invalid is moved to <spool>/rejected/ so it no longer
 * blocks the others; a wrong token or an unreachable server stops the
 * push and leaves the remaining files where they are.
 */
#include <getopt.h>

#include "buf.h"
#include "abjson.h"
#include "cli.h"
#include "runjson.h"
#include "upload.h"

static const char usage_text[] =
        "usage: memgate push [--server URL] [--token T] [--spool DIR]\n\n"
        "Sends the runs that 'memgate collect --server' kept in the spool\n"
        "because the server could not be reached, and deletes each one\n"
        "once the server stored it.\n\n"
        "  --server URL   default: $MEMGATE_SERVER\n"
        "  --token T      default: $MEMGATE_TOKEN (preferred: a command\n"
        "                 line is visible to other users of the machine)\n"
        "  --spool DIR    default: .memgate/spool at the repository root\n\n"
        "A run the server rejects as invalid is moved to DIR/rejected/.\n"
        "Exit status: 0 every run was sent (or none was waiting), 2 some\n"
        "runs are still in the spool or were rejected.\n";

struct push {
	const char *server;
	const char *token;
	const char *spool;
	char *spool_owned;
	mg_upload *up;
	char **keys;
	size_t nkeys;
	bool more;
};

static int parse_args(struct push *p, int argc, char **argv, bool *help,
                      mg_err *err)
{
	static const struct option opts[] = {
	        {"server", required_argument, NULL, 's'},
	        {"token", required_argument, NULL, 't'},
	        {"spool", required_argument, NULL, 'S'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			p->server = optarg;
			break;
		case 't':
			p->token = optarg;
			break;
		case 'S':
			p->spool = optarg;
			break;
		case 'h':
			*help = true;
			return 0;
		default:
			return mg_err_set(err, MG_EINPUT,
			                  "bad option (see --help)");
		}
	}
	if (optind < argc)
		return mg_err_set(err, MG_EINPUT, "unexpected argument '%s'",
		                  argv[optind]);
	if (p->server == NULL)
		p->server = getenv("MEMGATE_SERVER");
	if (p->token == NULL)
		p->token = getenv("MEMGATE_TOKEN");
	if (p->server == NULL || p->server[0] == '\0')
		return mg_err_set(err, MG_EINPUT,
		                  "no server: pass --server URL or set "
		                  "MEMGATE_SERVER");
	if (p->token == NULL || p->token[0] == '\0')
		return mg_err_set(
		        err, MG_EINPUT,
		        "no token: set MEMGATE_TOKEN or pass --token");
	return 0;
}

/*
 * Send the spooled runs in order, then the A/B sessions. *sent and
 * *rejected count them; an error stops the push (the server is down, or
 * the token is wrong).
 */
static int push_all(struct push *p, size_t *sent, size_t *rejected, mg_err *err)
{
	mg_buf doc = MG_BUF_INIT(MG_RUNJSON_MAX_INPUT);
	mg_upload_result res;
	bool *later = calloc(p->nkeys + 1, sizeof(*later));
	size_t i, k;
	int error = 0;

	if (later == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	mg_upload_result_init(&res);
	/*
	 * Runs first, then the A/B sessions that pair them: spool files
	 * written in the same clock tick have no reliable order.
	 */
	for (k = 0; k < 2 * p->nkeys; k++) {
		const char *key;
		char *moved = NULL;

		i = k % p->nkeys;
		if (k >= p->nkeys && !later[i])
			continue;
		key = p->keys[i];
		mg_buf_reset(&doc);
		error = mg_spool_read(&doc, p->spool, key, err);
		if (error < 0)
			break;
		if (k < p->nkeys && mg_abjson_is_session(doc.ptr, doc.len)) {
			later[i] = true;
			continue;
		}
		error = mg_upload_send(p->up, &res, doc.ptr, doc.len, key, err);
		if (error == 0) {
			printf("%s %s: %s %lld%s%s\n", key,
			       res.outcome == MG_UPLOAD_EXISTED
			               ? "was already on the server"
			               : "sent",
			       mg_abjson_is_session(doc.ptr, doc.len)
			               ? "A/B session"
			               : "run",
			       (long long)res.id, res.url[0] ? " " : "",
			       res.url);
			(*sent)++;
			error = mg_spool_remove(p->spool, key, err);
			if (error < 0)
				break;
			continue;
		}
		if (res.status == 409 &&
		    mg_abjson_is_session(doc.ptr, doc.len)) {
			/* Its runs are not stored (yet): the others may go. */
			fprintf(stderr, "memgate: %s: %s; kept\n", key,
			        err->msg);
			mg_err_clear(err);
			error = 0;
			continue;
		}
		if (res.outcome != MG_UPLOAD_REJECTED)
			break;
		/* This run can never be stored; the others may. */
		fprintf(stderr, "memgate: %s: %s\n", key, err->msg);
		error = mg_spool_reject(p->spool, key, &moved, err);
		if (error < 0)
			break;
		fprintf(stderr, "memgate: %s: moved to '%s'\n", key, moved);
		free(moved);
		(*rejected)++;
		mg_err_clear(err);
	}
	mg_upload_result_release(&res);
	mg_buf_release(&doc);
	free(later);
	return error;
}

int cmd_push(int argc, char **argv)
{
	struct push p;
	mg_err err = MG_ERR_INIT;
	size_t sent = 0, rejected = 0, left;
	bool help = false;
	int status = MG_EXIT_ERROR, error;

	memset(&p, 0, sizeof(p));
	if (parse_args(&p, argc, argv, &help, &err) < 0) {
		mg_cli_usage_error("push", "%s", err.msg);
		goto cleanup;
	}
	if (help) {
		fputs(usage_text, stdout);
		status = MG_EXIT_OK;
		goto cleanup;
	}
	if (p.spool == NULL) {
		if (mg_spool_default_dir(&p.spool_owned, &err) < 0) {
			mg_cli_fail(&err);
			goto cleanup;
		}
		p.spool = p.spool_owned;
	}
	if (mg_upload_new(&p.up, p.server, p.token, &err) < 0 ||
	    mg_spool_list(&p.keys, &p.nkeys, &p.more, p.spool, &err) < 0) {
		mg_cli_fail(&err);
		goto cleanup;
	}
	if (p.nkeys == 0) {
		printf("nothing to push: no runs in '%s'\n", p.spool);
		status = MG_EXIT_OK;
		goto cleanup;
	}
	error = push_all(&p, &sent, &rejected, &err);
	left = p.nkeys - sent - rejected;
	printf("pushed %zu of %zu runs to %s\n", sent, p.nkeys,
	       mg_upload_server(p.up));
	if (error < 0) {
		mg_cli_fail(&err);
		fprintf(stderr, "memgate: %zu run%s still in '%s'\n", left,
		        left == 1 ? "" : "s", p.spool);
	} else if (rejected) {
		fprintf(stderr,
		        "memgate: %zu run%s rejected as invalid, kept in "
		        "'%s/rejected'\n",
		        rejected, rejected == 1 ? "" : "s", p.spool);
	} else if (p.more) {
		fprintf(stderr,
		        "memgate: more than %d runs were waiting: run 'memgate "
		        "push' again\n",
		        MG_SPOOL_MAX_FILES);
	} else {
		status = MG_EXIT_OK;
	}

cleanup:
	mg_spool_list_free(p.keys, p.nkeys);
	mg_upload_free(p.up);
	free(p.spool_owned);
	return status;
}
