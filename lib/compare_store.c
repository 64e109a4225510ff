/*
 * compare_store.c - comparison inputs from the store that need no git
 * repository: a commit's runs on one side, the A/A noise floors, a side
 * marked failed. The server uses these (it has no clone); the CLI's
 * baseline search (compare_baseline.c) builds on them.
 */
#include "compare_int.h"

/* Mark a side failed: a stand-in failed run carries the run id. */
int mg_compare__add_failed(mg_compare *c, enum mg_compare_side side, int64_t id,
                           mg_err *err)
{
	mg_run run;
	int error;

	mg_run_init(&run);
	run.status = MG_RUN_FAILED;
	error = mg_compare_add_run(c, side, &run, id, err);
	mg_run_release(&run);
	return error;
}

struct floor_ctx {
	mg_compare *c;
	mg_err *err;
	size_t same, other; /* floors from the head's environment, others */
};

static int add_floor(void *ctx, const char *package, const char *name,
                     int procs, const char *unit, double rel, bool same_env)
{
	struct floor_ctx *fc = ctx;

	if (same_env)
		fc->same++;
	else
		fc->other++;
	return mg_compare_set_noise_floor(fc->c, package, name, procs, unit,
	                                  rel, fc->err);
}

int mg_compare_load_floors(mg_compare *c, mg_store *st, const char *project,
                           const mg_env *env, mg_err *err)
{
	struct floor_ctx fc = {c, err, 0, 0};
	int error;

	error = mg_store_noise_floors(st, project, env, add_floor, &fc, err);
	if (error < 0 || fc.same + fc.other == 0)
		return error;
	return mg_compare_add_note(c, err,
	                           "noise floors of %zu benchmark/unit pairs "
	                           "from A/A runs (memgate ab)%s",
	                           fc.same + fc.other,
	                           fc.other ? ", some measured on another "
	                                      "runner environment"
	                                    : "");
}

int mg_compare_add_commit(mg_compare *c, mg_store *st,
                          enum mg_compare_side side, const char *project,
                          const char *sha, size_t max_runs, size_t *n_ok,
                          mg_err *err)
{
	mg_compare_side_info info = {NULL, sha, NULL};
	mg_commit_run *runs = NULL;
	size_t nruns = 0, i, added = 0;
	char label[16];
	int error;

	snprintf(label, sizeof(label), "%.12s", sha);
	info.label = label;
	error = mg_compare_set_side(c, side, &info, err);
	if (error == 0)
		error = mg_store_commit_runs(st, project, sha, &runs, &nruns,
		                             err);
	for (i = 0; error == 0 && i < nruns && added < max_runs; i++) {
		mg_run run;

		if (runs[i].status != MG_RUN_OK)
			continue;
		mg_run_init(&run);
		error = mg_store_get_run(st, runs[i].id, &run, err);
		if (error == 0)
			error = mg_compare_add_run(c, side, &run, runs[i].id,
			                           err);
		if (error == 0 && added++ == 0 && side == MG_COMPARE_HEAD)
			error = mg_compare_load_floors(c, st, project, &run.env,
			                               err);
		mg_run_release(&run);
	}
	if (error == 0 && added == 0 && nruns > 0)
		error = mg_compare__add_failed(c, side, runs[0].id, err);
	else if (error == 0 && nruns == 0)
		mg_compare_set_missing(c, side);
	mg_commit_run_free(runs, nruns);
	if (n_ok)
		*n_ok = added;
	return error;
}
