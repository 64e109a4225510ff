-- 0004_server.sql: indexes for the server's read routes.

-- GET /api/v1/projects/{p}/commits?branch=: the commits of one branch,
-- found without scanning every (commit, branch) pair.
CREATE INDEX commit_branches_by_branch ON commit_branches(branch, commit_id);

-- `memgate-server token list --project P` and the token checks.
CREATE INDEX api_tokens_by_project ON api_tokens(project_id);
