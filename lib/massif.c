/*
 * massif.c - the massif output file reader (format in massif.h).
 *
 * One pass over the lines. Every tree is checked when it is read; the
 * aggregates are taken from one tree only, so the pass remembers where
 * the chosen tree starts and reads it a second time at the end with
 * aggregation on. Functions are interned in an open-addressing hash of
 * (function, file).
 */
#include <errno.h>
#include <stdbool.h>

#include "buf.h"
#include "massif.h"

struct func {
	char *function;
	char *file;
	int64_t flat;
	int64_t cum;
};

struct mg_massif {
	char *desc;
	char *cmd;
	char *time_unit;
	mg_massif_snapshot *snaps;
	size_t nsnaps;
	size_t snapcap;
	int64_t peak_heap;
	int64_t peak_total;
	int64_t tree_snap; /* chosen snapshot, -1 if none */
	mg_massif_func *funcs;
	size_t nfuncs;
	struct func *fn; /* owned strings behind funcs */
	size_t nfn;
	size_t fncap;
	size_t *hash; /* index + 1 into fn, 0 empty */
	size_t hashcap;
};

/* Line reader: a position in the input and the current line number. */
struct reader {
	const char *data;
	size_t len;
	size_t pos;
	size_t lineno; /* of the line last returned */
	const char *name;
};

static bool next_line(struct reader *r, mg_slice *line)
{
	const char *p, *nl;
	size_t n;

	if (r->pos >= r->len)
		return false;
	p = r->data + r->pos;
	nl = memchr(p, '\n', r->len - r->pos);
	n = nl != NULL ? (size_t)(nl - p) : r->len - r->pos;
	r->pos += n + (nl != NULL ? 1 : 0);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	line->ptr = p;
	line->len = n;
	r->lineno++;
	return true;
}

/* All messages go through here: "<name>:<line>: field '<f>': <what>". */
static int fail(mg_err *err, struct reader *r, int code, const char *field,
                const char *what, mg_slice got)
{
	int n = got.len > 40 ? 40 : (int)got.len;
	int i;

	/* The quoted text must stay printable in one line of a message. */
	for (i = 0; i < n; i++)
		if ((unsigned char)got.ptr[i] < 0x20 || got.ptr[i] == 0x7f)
			break;
	n = i;
	if (got.ptr == NULL)
		return mg_err_set(err, code, "%s:%zu: field '%s': %s", r->name,
		                  r->lineno, field, what);
	return mg_err_set(err, code, "%s:%zu: field '%s': %s, got '%.*s%s'",
	                  r->name, r->lineno, field, what, n, got.ptr,
	                  (size_t)n < got.len ? "..." : "");
}

static const mg_slice none = {NULL, 0};

/* A non-negative decimal int64; the whole slice must be digits. */
static bool parse_u63(mg_slice s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 19)
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		if (v > (INT64_MAX - (s.ptr[i] - '0')) / 10)
			return false;
		v = v * 10 + (s.ptr[i] - '0');
	}
	*out = v;
	return true;
}

/* "key<sep>value": the value after the literal prefix, or false. */
static bool take_prefix(mg_slice line, const char *prefix, mg_slice *value)
{
	size_t n = strlen(prefix);

	if (line.len < n || memcmp(line.ptr, prefix, n) != 0)
		return false;
	value->ptr = line.ptr + n;
	value->len = line.len - n;
	return true;
}

static int header_line(struct reader *r, const char *prefix, const char *field,
                       char **out, mg_err *err)
{
	mg_slice line, v;

	if (!next_line(r, &line)) {
		r->lineno++; /* name the missing line */
		return fail(err, r, MG_EINPUT, field,
		            "unexpected end of file in the header", none);
	}
	if (!take_prefix(line, prefix, &v))
		return fail(err, r, MG_EINPUT, field,
		            "expected the header line", line);
	if (memchr(v.ptr, '\0', v.len) != NULL)
		return fail(err, r, MG_EINPUT, field, "holds a NUL byte", none);
	v = mg_slice_trim(v);
	*out = mg_slice_dup(v);
	if (*out == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

/*
 * The next line that is not a '#' separator: massif writes one between
 * "snapshot=N" and "time=" as well as between snapshots.
 */
static bool next_field_line(struct reader *r, mg_slice *line)
{
	while (next_line(r, line))
		if (line->len == 0 || line->ptr[0] != '#')
			return true;
	return false;
}

/* "key=<int>" as the next line. */
static int number_line(struct reader *r, const char *key, int64_t *out,
                       mg_err *err)
{
	char prefix[32];
	mg_slice line, v;

	snprintf(prefix, sizeof(prefix), "%s=", key);
	if (!next_field_line(r, &line))
		return fail(err, r, MG_EINPUT, key,
		            "unexpected end of file in a snapshot", none);
	if (!take_prefix(line, prefix, &v))
		return fail(err, r, MG_EINPUT, key, "expected the line", line);
	if (!parse_u63(v, out))
		return fail(err, r, MG_EINPUT, key,
		            "expected a non-negative integer", v);
	return 0;
}

/* ---- functions ---- */

static uint64_t hash_pair(mg_slice a, mg_slice b)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < a.len; i++)
		h = (h ^ (unsigned char)a.ptr[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (i = 0; i < b.len; i++)
		h = (h ^ (unsigned char)b.ptr[i]) * 1099511628211ull;
	return h;
}

static bool slice_is(mg_slice s, const char *str)
{
	return strlen(str) == s.len && memcmp(s.ptr, str, s.len) == 0;
}

static int rehash(mg_massif *m, size_t cap)
{
	size_t *h = calloc(cap, sizeof(*h));
	size_t i;

	if (h == NULL)
		return MG_ENOMEM;
	for (i = 0; i < m->nfn; i++) {
		size_t j = hash_pair(mg_slice_from(m->fn[i].function),
		                     mg_slice_from(m->fn[i].file)) &
		           (cap - 1);

		while (h[j] != 0)
			j = (j + 1) & (cap - 1);
		h[j] = i + 1;
	}
	free(m->hash);
	m->hash = h;
	m->hashcap = cap;
	return 0;
}

/* Index of (function, file), added if new; negative MG_E* on failure. */
static int64_t intern(mg_massif *m, mg_slice function, mg_slice file)
{
	size_t j;
	struct func *f;

	if (m->hashcap == 0 || m->nfn + 1 > m->hashcap / 2) {
		if (rehash(m, m->hashcap == 0 ? 64 : m->hashcap * 2) < 0)
			return MG_ENOMEM;
	}
	j = hash_pair(function, file) & (m->hashcap - 1);
	while (m->hash[j] != 0) {
		f = &m->fn[m->hash[j] - 1];
		if (slice_is(function, f->function) && slice_is(file, f->file))
			return (int64_t)(m->hash[j] - 1);
		j = (j + 1) & (m->hashcap - 1);
	}
	if (m->nfn >= MG_MASSIF_MAX_FUNCS)
		return MG_ELIMIT;
	if (m->nfn == m->fncap) {
		size_t cap = m->fncap == 0 ? 64 : m->fncap * 2;
		struct func *n = realloc(m->fn, cap * sizeof(*n));

		if (n == NULL)
			return MG_ENOMEM;
		m->fn = n;
		m->fncap = cap;
	}
	f = &m->fn[m->nfn];
	f->function = mg_slice_dup(function);
	f->file = mg_slice_dup(file);
	f->flat = 0;
	f->cum = 0;
	if (f->function == NULL || f->file == NULL) {
		free(f->function);
		free(f->file);
		return MG_ENOMEM;
	}
	m->hash[j] = ++m->nfn;
	return (int64_t)(m->nfn - 1);
}

/*
 * Split "<function> (<loc>)" into function and file. loc is "file:line"
 * or "in <object>". Without a final parenthesised group the whole text is
 * the function and the file is "".
 */
static void split_location(mg_slice text, mg_slice *function, mg_slice *file)
{
	size_t i, depth = 0;
	mg_slice loc;

	*function = text;
	file->ptr = text.ptr;
	file->len = 0;
	if (text.len < 3 || text.ptr[text.len - 1] != ')')
		return;
	for (i = text.len; i-- > 0;) {
		if (text.ptr[i] == ')') {
			depth++;
		} else if (text.ptr[i] == '(') {
			if (--depth == 0)
				break;
		}
	}
	if (depth != 0 || i == 0 || text.ptr[i - 1] != ' ')
		return;
	loc.ptr = text.ptr + i + 1;
	loc.len = text.len - i - 2;
	function->len = i - 1;
	*function = mg_slice_trim(*function);
	if (loc.len > 3 && memcmp(loc.ptr, "in ", 3) == 0) {
		loc.ptr += 3;
		loc.len -= 3;
	} else {
		/* Drop ":<line>". */
		size_t k = loc.len;

		while (k > 0 && loc.ptr[k - 1] >= '0' && loc.ptr[k - 1] <= '9')
			k--;
		if (k > 0 && k < loc.len && loc.ptr[k - 1] == ':')
			loc.len = k - 1;
	}
	*file = mg_slice_trim(loc);
}

/* ---- trees ---- */

struct level {
	int64_t remaining; /* children still to read */
	int64_t bytes;     /* of the node */
	int64_t childsum;  /* bytes of the children read so far */
	int64_t fid;       /* function index, -1 unnamed or not aggregating */
};

/*
 * Read the tree that follows a detailed snapshot's header. With agg,
 * also add to the function aggregates of m. levels has
 * MG_MASSIF_MAX_DEPTH entries.
 */
static int read_tree(mg_massif *m, struct reader *r, struct level *lv, bool agg,
                     mg_err *err)
{
	int64_t top = -1; /* index of the deepest open level */
	int64_t nodes = 0;
	bool root_seen = false;
	mg_slice line;

	for (;;) {
		size_t d = 0, i;
		int64_t nchild, bytes, fid = -1;
		mg_slice rest, num;

		while (top >= 0 && lv[top].remaining == 0)
			top--;
		if (root_seen && top < 0)
			return 0;
		if (!next_line(r, &line))
			return fail(err, r, MG_EINPUT, "heap_tree",
			            "file ends inside a tree", none);
		while (d < line.len && line.ptr[d] == ' ')
			d++;
		if (d != (size_t)(top + 1))
			return fail(err, r, MG_EINPUT, "heap_tree",
			            top < 0 ? "expected the root node 'n<K>:'"
			                    : "expected a node at the depth of "
			                      "the children still missing",
			            line);
		if (d >= MG_MASSIF_MAX_DEPTH)
			return fail(err, r, MG_ELIMIT, "heap_tree",
			            "tree deeper than MG_MASSIF_MAX_DEPTH",
			            none);
		if (++nodes > MG_MASSIF_MAX_NODES)
			return fail(err, r, MG_ELIMIT, "heap_tree",
			            "more nodes than MG_MASSIF_MAX_NODES",
			            none);
		rest.ptr = line.ptr + d;
		rest.len = line.len - d;
		/* "n<K>: <bytes> <text>" */
		if (rest.len < 2 || rest.ptr[0] != 'n')
			return fail(err, r, MG_EINPUT, "heap_tree",
			            "expected 'n<K>: <bytes> ...'", rest);
		for (i = 1; i < rest.len && rest.ptr[i] != ':'; i++)
			;
		num.ptr = rest.ptr + 1;
		num.len = i - 1;
		if (i == rest.len || !parse_u63(num, &nchild))
			return fail(err, r, MG_EINPUT, "heap_tree",
			            "expected a child count 'n<K>:'", rest);
		rest.ptr += i + 1;
		rest.len -= i + 1;
		if (rest.len == 0 || rest.ptr[0] != ' ')
			return fail(err, r, MG_EINPUT, "heap_tree",
			            "expected ' <bytes>' after 'n<K>:'", rest);
		rest.ptr++;
		rest.len--;
		for (i = 0; i < rest.len && rest.ptr[i] != ' '; i++)
			;
		num.ptr = rest.ptr;
		num.len = i;
		if (!parse_u63(num, &bytes))
			return fail(err, r, MG_EINPUT, "heap_tree",
			            "expected a byte count", num);
		rest.ptr += i;
		rest.len -= i;
		rest = mg_slice_trim(rest);
		if (top >= 0) {
			struct level *p = &lv[top];

			p->remaining--;
			if (bytes > p->bytes - p->childsum)
				return fail(err, r, MG_EINPUT, "heap_tree",
				            "children hold more bytes than "
				            "their parent",
				            num);
			p->childsum += bytes;
		} else {
			root_seen = true;
		}
		if (d > 0 && rest.len > 2 && rest.ptr[0] == '0' &&
		    (rest.ptr[1] == 'x' || rest.ptr[1] == 'X')) {
			mg_slice function, file;

			for (i = 2; i < rest.len && rest.ptr[i] != ':'; i++)
				if (!((rest.ptr[i] >= '0' &&
				       rest.ptr[i] <= '9') ||
				      (rest.ptr[i] >= 'a' &&
				       rest.ptr[i] <= 'f') ||
				      (rest.ptr[i] >= 'A' &&
				       rest.ptr[i] <= 'F')))
					break;
			if (i == 2 || i == rest.len || rest.ptr[i] != ':')
				return fail(err, r, MG_EINPUT, "heap_tree",
				            "expected '0x<hex>: <function>'",
				            rest);
			rest.ptr += i + 1;
			rest.len -= i + 1;
			rest = mg_slice_trim(rest);
			split_location(rest, &function, &file);
			if (function.len == 0)
				return fail(err, r, MG_EINPUT, "heap_tree",
				            "empty function name", rest);
			if (memchr(rest.ptr, '\0', rest.len) != NULL)
				return fail(err, r, MG_EINPUT, "heap_tree",
				            "holds a NUL byte", none);
			if (agg) {
				int64_t k;

				fid = intern(m, function, file);
				if (fid == MG_ELIMIT)
					return fail(err, r, MG_ELIMIT,
					            "heap_tree",
					            "more functions than "
					            "MG_MASSIF_MAX_FUNCS",
					            none);
				if (fid < 0)
					return mg_err_set(err, MG_ENOMEM,
					                  "out of memory");
				if (d == 1)
					m->fn[fid].flat += bytes;
				for (k = 1; k <= top; k++)
					if (lv[k].fid == fid)
						break;
				if (k > top)
					m->fn[fid].cum += bytes;
			}
		}
		top++;
		lv[top].remaining = nchild;
		lv[top].bytes = bytes;
		lv[top].childsum = 0;
		lv[top].fid = fid;
	}
}

/* ---- snapshots ---- */

static int add_snapshot(mg_massif *m, const mg_massif_snapshot *s)
{
	if (m->nsnaps == m->snapcap) {
		size_t cap = m->snapcap == 0 ? 16 : m->snapcap * 2;
		mg_massif_snapshot *n = realloc(m->snaps, cap * sizeof(*n));

		if (n == NULL)
			return MG_ENOMEM;
		m->snaps = n;
		m->snapcap = cap;
	}
	m->snaps[m->nsnaps++] = *s;
	return 0;
}

static int read_snapshot(mg_massif *m, struct reader *r, mg_slice line,
                         struct level *lv, size_t *tree_pos, size_t *tree_line,
                         mg_err *err)
{
	mg_massif_snapshot s;
	int64_t n, total, best = -1;
	mg_slice v;
	int error;

	if (!take_prefix(line, "snapshot=", &v))
		return fail(err, r, MG_EINPUT, "snapshot",
		            "expected 'snapshot=<N>'", line);
	if (!parse_u63(v, &n) || (uint64_t)n != m->nsnaps)
		return fail(err, r, MG_EINPUT, "snapshot",
		            "expected the next snapshot number", v);
	if (m->nsnaps >= MG_MASSIF_MAX_SNAPSHOTS)
		return fail(err, r, MG_ELIMIT, "snapshot",
		            "more snapshots than MG_MASSIF_MAX_SNAPSHOTS",
		            none);
	error = number_line(r, "time", &s.time, err);
	if (error == 0)
		error = number_line(r, "mem_heap_B", &s.heap, err);
	if (error == 0)
		error = number_line(r, "mem_heap_extra_B", &s.heap_extra, err);
	if (error == 0)
		error = number_line(r, "mem_stacks_B", &s.stacks, err);
	if (error < 0)
		return error;
	if (!next_field_line(r, &line))
		return fail(err, r, MG_EINPUT, "heap_tree",
		            "unexpected end of file in a snapshot", none);
	if (!take_prefix(line, "heap_tree=", &v))
		return fail(err, r, MG_EINPUT, "heap_tree",
		            "expected 'heap_tree=...'", line);
	if (mg_slice_eq(v, "empty"))
		s.tree = MG_MASSIF_TREE_EMPTY;
	else if (mg_slice_eq(v, "detailed"))
		s.tree = MG_MASSIF_TREE_DETAILED;
	else if (mg_slice_eq(v, "peak"))
		s.tree = MG_MASSIF_TREE_PEAK;
	else
		return fail(err, r, MG_EINPUT, "heap_tree",
		            "expected empty, detailed or peak", v);
	/* The three byte counts are each below 2^63; their sum may not be. */
	if (s.heap > INT64_MAX - s.heap_extra ||
	    s.heap + s.heap_extra > INT64_MAX - s.stacks)
		return fail(err, r, MG_EINPUT, "mem_stacks_B",
		            "total bytes overflow", none);
	total = s.heap + s.heap_extra + s.stacks;
	if (s.heap > m->peak_heap)
		m->peak_heap = s.heap;
	if (total > m->peak_total)
		m->peak_total = total;
	if (s.tree != MG_MASSIF_TREE_EMPTY) {
		const mg_massif_snapshot *c;
		size_t pos = r->pos, lineno = r->lineno;

		error = read_tree(m, r, lv, false, err);
		if (error < 0)
			return error;
		if (m->tree_snap >= 0) {
			c = &m->snaps[m->tree_snap];
			best = c->heap + c->heap_extra + c->stacks;
		}
		if (s.tree == MG_MASSIF_TREE_PEAK || m->tree_snap < 0 ||
		    (m->snaps[m->tree_snap].tree != MG_MASSIF_TREE_PEAK &&
		     total > best)) {
			m->tree_snap = (int64_t)m->nsnaps;
			*tree_pos = pos;
			*tree_line = lineno;
		}
	}
	if (add_snapshot(m, &s) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

/* ---- result ---- */

static int cmp_func(const void *a, const void *b)
{
	const mg_massif_func *x = a, *y = b;
	int c;

	if (x->flat != y->flat)
		return x->flat > y->flat ? -1 : 1;
	if (x->cum != y->cum)
		return x->cum > y->cum ? -1 : 1;
	c = strcmp(x->function, y->function);
	return c != 0 ? c : strcmp(x->file, y->file);
}

void mg_massif_free(mg_massif *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nfn; i++) {
		free(m->fn[i].function);
		free(m->fn[i].file);
	}
	free(m->fn);
	free(m->hash);
	free(m->funcs);
	free(m->snaps);
	free(m->desc);
	free(m->cmd);
	free(m->time_unit);
	free(m);
}

int mg_massif_parse(mg_massif **out, const char *data, size_t len,
                    const char *name, mg_err *err)
{
	struct reader r = {data, len, 0, 0, name != NULL ? name : "massif"};
	struct level *lv = NULL;
	mg_massif *m = NULL;
	size_t tree_pos = 0, tree_line = 0, i;
	mg_slice line;
	int error;

	if (len > MG_MASSIF_MAX_INPUT)
		return mg_err_set(
		        err, MG_ELIMIT,
		        "%s: larger than MG_MASSIF_MAX_INPUT (%zu bytes)",
		        r.name, MG_MASSIF_MAX_INPUT);
	m = calloc(1, sizeof(*m));
	lv = calloc(MG_MASSIF_MAX_DEPTH, sizeof(*lv));
	if (m == NULL || lv == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto fail;
	}
	m->tree_snap = -1;
	/* Line length is checked once for the whole input. */
	for (i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (data + i)) : len - i;

		r.lineno++;
		if (n > MG_MASSIF_MAX_LINE) {
			error = mg_err_set(err, MG_ELIMIT,
			                   "%s:%zu: line longer than "
			                   "MG_MASSIF_MAX_LINE (%d bytes)",
			                   r.name, r.lineno,
			                   MG_MASSIF_MAX_LINE);
			goto fail;
		}
		i += n + 1;
	}
	r.lineno = 0;
	error = header_line(&r, "desc:", "desc", &m->desc, err);
	if (error == 0)
		error = header_line(&r, "cmd:", "cmd", &m->cmd, err);
	if (error == 0)
		error = header_line(&r, "time_unit:", "time_unit",
		                    &m->time_unit, err);
	if (error < 0)
		goto fail;
	while (next_line(&r, &line)) {
		if (line.len == 0 || line.ptr[0] == '#')
			continue;
		error = read_snapshot(m, &r, line, lv, &tree_pos, &tree_line,
		                      err);
		if (error < 0)
			goto fail;
	}
	if (m->tree_snap >= 0) {
		r.pos = tree_pos;
		r.lineno = tree_line;
		error = read_tree(m, &r, lv, true, err);
		if (error < 0)
			goto fail;
		m->funcs = calloc(m->nfn > 0 ? m->nfn : 1, sizeof(*m->funcs));
		if (m->funcs == NULL) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto fail;
		}
		for (i = 0; i < m->nfn; i++) {
			m->funcs[i].function = m->fn[i].function;
			m->funcs[i].file = m->fn[i].file;
			m->funcs[i].flat = m->fn[i].flat;
			m->funcs[i].cum = m->fn[i].cum;
		}
		m->nfuncs = m->nfn;
		qsort(m->funcs, m->nfuncs, sizeof(*m->funcs), cmp_func);
	}
	free(lv);
	*out = m;
	return 0;

fail:
	free(lv);
	mg_massif_free(m);
	return error;
}

const char *mg_massif_desc(const mg_massif *m)
{
	return m->desc;
}

const char *mg_massif_cmd(const mg_massif *m)
{
	return m->cmd;
}

const char *mg_massif_time_unit(const mg_massif *m)
{
	return m->time_unit;
}

size_t mg_massif_nsnapshots(const mg_massif *m)
{
	return m->nsnaps;
}

const mg_massif_snapshot *mg_massif_snapshot_at(const mg_massif *m, size_t i)
{
	return i < m->nsnaps ? &m->snaps[i] : NULL;
}

int64_t mg_massif_peak_heap(const mg_massif *m)
{
	return m->peak_heap;
}

int64_t mg_massif_peak_total(const mg_massif *m)
{
	return m->peak_total;
}

int64_t mg_massif_tree_snapshot(const mg_massif *m)
{
	return m->tree_snap;
}

size_t mg_massif_nfuncs(const mg_massif *m)
{
	return m->nfuncs;
}

const mg_massif_func *mg_massif_func_at(const mg_massif *m, size_t i)
{
	return i < m->nfuncs ? &m->funcs[i] : NULL;
}

int mg_massif_to_profile(mg_profile *dst, const mg_massif *m, mg_err *err)
{
	size_t i;

	if (dst->nsample_types != 0)
		return mg_err_set(err, MG_ECONFLICT,
		                  "profile already has sample types");
	if (mg_profile_add_sample_type(dst, MG_MASSIF_SAMPLE_TYPE) < 0 ||
	    mg_run_set_str(&dst->default_sample_type, MG_MASSIF_SAMPLE_TYPE) <
	            0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < m->nfuncs; i++) {
		const mg_massif_func *f = &m->funcs[i];

		if (mg_profile_add_func(dst, 0, f->function, f->file, f->flat,
		                        f->cum) < 0)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	return 0;
}

int mg_massif_add_to_run(mg_run *run, const mg_massif *m, const char *bench,
                         int64_t seq, const unsigned char *raw, size_t rawlen,
                         mg_err *err)
{
	size_t bi, pi;
	int error;

	error = mg_run_add_bench(run, &bi, bench, "", 0, NULL, 0);
	if (error == 0)
		error = mg_run_add_sample(run, bi, MG_MASSIF_UNIT_PEAK_HEAP,
		                          (double)m->peak_heap, 1, seq);
	if (error == 0)
		error = mg_run_add_sample(run, bi, MG_MASSIF_UNIT_PEAK_TOTAL,
		                          (double)m->peak_total, 1, seq);
	if (error < 0)
		return mg_err_set(err, error,
		                  "cannot add massif samples of '%s'", bench);
	if (raw == NULL)
		return 0;
	error = mg_run_add_profile(run, &pi, MG_MASSIF_KIND, "", raw, rawlen);
	if (error < 0)
		return mg_err_set(err, error,
		                  "cannot add massif profile of '%s'", bench);
	return mg_massif_to_profile(&run->profiles[pi], m, err);
}
