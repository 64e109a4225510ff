/*
 * pprof_top.c - per-function aggregation of parsed profiles and the
 * `go tool pprof -top` report, including -diff_base.
 *
 * What pprof does for -top with its defaults, and what this file repeats:
 *
 * - Granularity "functions": every Line of a Location becomes a node
 *   named after its function; a location with lines [a, b] is a call
 *   stack b -> a where a was inlined into b. Nodes are merged by function
 *   name. A line whose function has no name (or a location without
 *   lines) is named after the mapping's file, "[file]", or "<unknown>".
 * - For each sample with a non-zero value: every node of the stack gets
 *   the value in cum once (recursion does not count twice); the
 *   innermost node gets it in flat.
 * - total = sum of |value| over the samples; with -diff_base, over the
 *   base's samples only (percentages are then of the base's total).
 * - Nodes with flat = cum = 0 vanish; if |cum| < 0.5% of the sum of all
 *   flats, a node is dropped ("Dropped N nodes (cum <= 0.5% of total)").
 * - Order: |flat| descending, then name, then |cum| descending.
 * - "(inline)" marks a node all of whose incoming call edges (among the
 *   kept nodes, edges of weight >= 0.1% of the sum of flats) are inlined
 *   calls, "(partial-inline)" one with both kinds.
 * - One output unit for the whole table, chosen from the smallest
 *   non-zero value and the total (selectOutputUnit), values printed with
 *   "%.2f" minus a trailing ".00", percentages with "%5.2f%%", or
 *   "%5.2g%%" below 1%.
 *
 * Sums use wrapping int64 arithmetic, as Go's do, so a hostile profile
 * cannot trigger undefined behaviour.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>

#include "pprof_int.h"

static inline int64_t wadd(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t wneg(int64_t a)
{
	return (int64_t)(0 - (uint64_t)a);
}

static inline int64_t wabs(int64_t a)
{
	return a < 0 ? wneg(a) : a;
}

/* Go's int64(f) on amd64: out-of-range conversions give INT64_MIN. */
static int64_t f2i(double d)
{
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)d;
}

/* Units (pprof's measurement package) --------------------------------- */

typedef struct pp_unit {
	const char *name;       /* canonical name, as printed */
	const char *aliases[4]; /* lower-case spellings it is found by */
	double factor;          /* in the base unit of its type */
} pp_unit;

typedef struct pp_unit_type {
	pp_unit units[9];
	size_t nunits;
	pp_unit def; /* used when the target unit is unknown */
} pp_unit_type;

static const pp_unit_type unit_types[] = {
        {{{"B", {"b", "byte"}, 1},
          {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
          {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
          {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
          {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
          {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0}},
         6,
         {"B", {"b", "byte"}, 1}},
        {{{"ns", {"ns", "nanosecond"}, 1},
          {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
          {"ms", {"ms", "millisecond"}, 1e6},
          {"s", {"s", "sec", "second"}, 1e9},
          {"hrs", {"hour", "hr"}, 3600e9}},
         5,
         {"s", {NULL}, 1e9}},
        {{{"n*GCU", {"nanogcu"}, 1e-9},
          {"u*GCU", {"microgcu"}, 1e-6},
          {"m*GCU", {"milligcu"}, 1e-3},
          {"GCU", {"gcu"}, 1},
          {"k*GCU", {"kilogcu"}, 1e3},
          {"M*GCU", {"megagcu"}, 1e6},
          {"G*GCU", {"gigagcu"}, 1e9},
          {"T*GCU", {"teragcu"}, 1e12},
          {"P*GCU", {"petagcu"}, 1e15}},
         9,
         {"GCU", {NULL}, 1}},
};

#define NUNIT_TYPES (sizeof(unit_types) / sizeof(unit_types[0]))

/* Lower-case, drop one trailing 's' from names longer than 2 bytes. */
static const pp_unit *sniff_unit(const pp_unit_type *ut, const char *unit)
{
	char low[64];
	size_t i, j, n = strlen(unit);

	if (n >= sizeof(low))
		return NULL;
	for (i = 0; i < n; i++)
		low[i] = (unit[i] >= 'A' && unit[i] <= 'Z')
		                 ? (char)(unit[i] - 'A' + 'a')
		                 : unit[i];
	if (n > 2 && low[n - 1] == 's')
		n--;
	low[n] = '\0';
	for (i = 0; i < ut->nunits; i++)
		for (j = 0; j < 4 && ut->units[i].aliases[j]; j++)
			if (strcmp(low, ut->units[i].aliases[j]) == 0)
				return &ut->units[i];
	return NULL;
}

static bool auto_unit(const char *to)
{
	return strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0;
}

/* measurement.Scale: value in from_unit, expressed in to_unit. */
static double scale(int64_t value, const char *from, const char *to,
                    const char **unit_out)
{
	size_t i, j;

	if (value < 0 && value != INT64_MIN)
		return -scale(-value, from, to, unit_out);
	for (i = 0; i < NUNIT_TYPES; i++) {
		const pp_unit_type *ut = &unit_types[i];
		const pp_unit *fu = sniff_unit(ut, from), *tu;
		double v, best = 0;
		const char *name = NULL;

		if (fu == NULL)
			continue;
		v = (double)value * fu->factor;
		if (auto_unit(to)) {
			for (j = 0; j < ut->nunits; j++)
				if (ut->units[j].factor >= best &&
				    v / ut->units[j].factor >= 1.0) {
					best = ut->units[j].factor;
					name = ut->units[j].name;
				}
			if (name) {
				*unit_out = name;
				return v / best;
			}
			*unit_out = ut->def.name;
			return v / ut->def.factor;
		}
		tu = sniff_unit(ut, to);
		if (tu == NULL)
			tu = &ut->def;
		*unit_out = tu->name;
		return v / tu->factor;
	}
	if (strcmp(to, "count") == 0 || strcmp(to, "sample") == 0 ||
	    strcmp(to, "unit") == 0 || auto_unit(to))
		*unit_out = "";
	else
		*unit_out = to;
	return (double)value;
}

void mg_pprof_format_value(char *buf, size_t size, int64_t v,
                           const char *from_unit, const char *to_unit)
{
	const char *unit = "";
	double d = scale(v, from_unit, to_unit, &unit);
	char num[400];
	size_t n;

	snprintf(num, sizeof(num), "%.2f", d);
	n = strlen(num);
	if (n > 3 && strcmp(num + n - 3, ".00") == 0)
		num[n - 3] = '\0';
	if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0) {
		snprintf(buf, size, "0");
		return;
	}
	snprintf(buf, size, "%s%s", num, unit);
}

void mg_pprof_format_percent(char *buf, size_t size, int64_t v, int64_t total)
{
	double ratio = 0;

	if (total != 0)
		ratio = fabs((double)v / (double)total) * 100;
	if (ratio >= 99.95 && ratio <= 100.05)
		snprintf(buf, size, "  100%%");
	else if (ratio >= 1.0)
		snprintf(buf, size, "%5.2f%%", ratio);
	else
		snprintf(buf, size, "%5.2g%%", ratio);
}

/* The graph ------------------------------------------------------------ */

typedef struct pp_node {
	const char *key; /* function name, or mapping file if nameless */
	size_t key_len;
	int64_t start_line; /* nameless nodes only */
	bool nameless;
	bool inlined;     /* a non-last line of some location */
	const char *file; /* source file of the first function seen */
	uint32_t stamp;   /* last sample that added to cum */
} pp_node;

typedef struct pp_src {
	const mg_pprof *p;
	bool negate;         /* the base of a diff */
	size_t type;         /* sample type used by the report */
	uint64_t *loc_off;   /* nlocations + 1 offsets into loc_nodes */
	uint32_t *loc_nodes; /* node of every line, innermost first */
} pp_src;

typedef struct pp_graph {
	pp_node *nodes;
	size_t nnodes, cap;
	uint32_t *slots; /* hash of nodes: index + 1, 0 empty */
	size_t mask;
	pp_src src[2];
	size_t nsrc;
	uint32_t stamp;
	uint32_t *stamps;    /* per node: last sample that added to cum */
	size_t ncols;        /* values per node */
	int64_t *flat, *cum; /* nnodes * ncols */
	mg_err *err;
} pp_graph;

static int nomem(pp_graph *g)
{
	return mg_err_set(g->err, MG_ENOMEM, "out of memory");
}

static uint64_t hash_key(const char *k, size_t n, bool nameless,
                         int64_t start_line)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
	if (nameless)
		h = (h ^ (uint64_t)start_line ^ 0x9e3779b97f4a7c15ULL) *
		    1099511628211ULL;
	return h ^ (h >> 29);
}

static int graph_rehash(pp_graph *g, size_t size)
{
	uint32_t *slots = calloc(size, sizeof(*slots));
	size_t i, j;

	if (slots == NULL)
		return nomem(g);
	for (i = 0; i < g->nnodes; i++) {
		const pp_node *n = &g->nodes[i];

		j = hash_key(n->key, n->key_len, n->nameless, n->start_line) &
		    (size - 1);
		while (slots[j] != 0)
			j = (j + 1) & (size - 1);
		slots[j] = (uint32_t)(i + 1);
	}
	free(g->slots);
	g->slots = slots;
	g->mask = size - 1;
	return 0;
}

static int intern(pp_graph *g, uint32_t *out, const char *key, size_t len,
                  bool nameless, int64_t start_line, const char *file)
{
	pp_node *n;
	size_t j;
	int error;

	if (g->slots == NULL || 2 * (g->nnodes + 1) > g->mask + 1) {
		error = graph_rehash(g, g->slots ? 2 * (g->mask + 1) : 1024);
		if (error < 0)
			return error;
	}
	j = hash_key(key, len, nameless, start_line) & g->mask;
	for (; g->slots[j] != 0; j = (j + 1) & g->mask) {
		n = &g->nodes[g->slots[j] - 1];
		if (n->nameless == nameless && n->key_len == len &&
		    (!nameless || n->start_line == start_line) &&
		    memcmp(n->key, key, len) == 0) {
			*out = g->slots[j] - 1;
			return 0;
		}
	}
	if (g->nnodes >= UINT32_MAX - 1)
		return mg_err_set(g->err, MG_ELIMIT, "too many functions");
	if (g->nnodes == g->cap) {
		size_t ncap = g->cap ? 2 * g->cap : 1024;
		pp_node *m = realloc(g->nodes, ncap * sizeof(*m));

		if (m == NULL)
			return nomem(g);
		g->nodes = m;
		g->cap = ncap;
	}
	n = &g->nodes[g->nnodes];
	memset(n, 0, sizeof(*n));
	n->key = key;
	n->key_len = len;
	n->nameless = nameless;
	n->start_line = nameless ? start_line : 0;
	n->file = file;
	g->slots[j] = (uint32_t)(g->nnodes + 1);
	*out = (uint32_t)g->nnodes++;
	return 0;
}

/* Map every line of every location of p to its node. */
static int src_init(pp_graph *g, pp_src *s, const mg_pprof *p, bool negate,
                    size_t type)
{
	uint32_t *func_node = NULL;
	uint64_t total = 0, k = 0;
	size_t l, j;
	int error = 0;

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->negate = negate;
	s->type = type;
	for (l = 0; l < p->nlocations; l++)
		total += p->locations[l].nlines ? p->locations[l].nlines : 1;
	s->loc_off = calloc(p->nlocations + 1, sizeof(*s->loc_off));
	s->loc_nodes = calloc(total ? total : 1, sizeof(*s->loc_nodes));
	func_node = malloc((p->nfunctions ? p->nfunctions : 1) *
	                   sizeof(*func_node));
	if (s->loc_off == NULL || s->loc_nodes == NULL || func_node == NULL) {
		error = nomem(g);
		goto cleanup;
	}
	memset(func_node, 0xff,
	       (p->nfunctions ? p->nfunctions : 1) * sizeof(*func_node));
	for (l = 0; l < p->nlocations && error == 0; l++) {
		const pp_location *loc = &p->locations[l];
		const pp_str *obj = &p->strings[0];

		if (loc->mapping != MG_PPROF_NONE)
			obj = &p->strings[p->mappings[loc->mapping].filename];
		s->loc_off[l] = k;
		if (loc->nlines == 0) {
			error = intern(g, &s->loc_nodes[k++], obj->ptr,
			               obj->len, true, 0, "");
			continue;
		}
		for (j = 0; j < loc->nlines && error == 0; j++) {
			uint32_t fi = p->line_func[loc->line_off + j];
			const pp_function *f = &p->functions[fi];
			const pp_str *name = &p->strings[f->name];
			uint32_t n;

			if (name->len == 0) {
				error = intern(g, &n, obj->ptr, obj->len, true,
				               f->start_line, "");
			} else if (func_node[fi] != MG_PPROF_NONE) {
				n = func_node[fi];
			} else {
				error = intern(g, &n, name->ptr, name->len,
				               false, 0,
				               p->strings[f->filename].ptr);
				func_node[fi] = n;
			}
			if (error < 0)
				break;
			if (j + 1 < loc->nlines)
				g->nodes[n].inlined = true;
			s->loc_nodes[k++] = n;
		}
	}
	s->loc_off[p->nlocations] = k;
cleanup:
	free(func_node);
	return error;
}

static void graph_release(pp_graph *g)
{
	size_t i;

	for (i = 0; i < g->nsrc; i++) {
		free(g->src[i].loc_off);
		free(g->src[i].loc_nodes);
	}
	free(g->nodes);
	free(g->slots);
	free(g->flat);
	free(g->cum);
	free(g->stamps);
	memset(g, 0, sizeof(*g));
}

static uint32_t next_stamp(pp_graph *g)
{
	size_t i;

	if (++g->stamp == 0) {
		for (i = 0; i < g->nnodes; i++)
			g->stamps[i] = 0;
		g->stamp = 1;
	}
	return g->stamp;
}

/*
 * Add the values of sample types types[0..nt) of source s into columns
 * col0.. of flat and cum.
 */
static void aggregate(pp_graph *g, const pp_src *s, const size_t *types,
                      size_t nt, size_t col0)
{
	const mg_pprof *p = s->p;
	size_t i, t;

	for (i = 0; i < p->nsamples; i++) {
		const int64_t *v = p->values + i * p->ntypes;
		uint64_t off = p->sample_off[i], end = p->sample_off[i + 1];
		int64_t w[64];
		bool any = false;
		uint32_t stamp, leaf;
		size_t done = 0;

		if (off == end)
			continue;
		/* in chunks of 64 types: profiles have 1 to 4 */
		while (done < nt) {
			size_t chunk = nt - done < 64 ? nt - done : 64;

			any = false;
			for (t = 0; t < chunk; t++) {
				w[t] = v[types[done + t]];
				if (s->negate)
					w[t] = wneg(w[t]);
				any |= w[t] != 0;
			}
			if (!any) {
				done += chunk;
				continue;
			}
			stamp = next_stamp(g);
			for (uint64_t j = end; j-- > off;) {
				uint32_t loc = p->sample_locs[j];
				uint64_t k;

				for (k = s->loc_off[loc + 1];
				     k-- > s->loc_off[loc];) {
					uint32_t n = s->loc_nodes[k];
					int64_t *c;

					if (g->stamps[n] == stamp)
						continue;
					g->stamps[n] = stamp;
					c = g->cum + (size_t)n * g->ncols +
					    col0 + done;
					for (t = 0; t < chunk; t++)
						c[t] = wadd(c[t], w[t]);
				}
			}
			leaf = s->loc_nodes[s->loc_off[p->sample_locs[off]]];
			for (t = 0; t < chunk; t++) {
				int64_t *f = g->flat + (size_t)leaf * g->ncols +
				             col0 + done + t;

				*f = wadd(*f, w[t]);
			}
			done += chunk;
		}
	}
}

static int graph_alloc_values(pp_graph *g, size_t ncols)
{
	g->ncols = ncols;
	g->flat = calloc(g->nnodes * ncols + 1, sizeof(int64_t));
	g->cum = calloc(g->nnodes * ncols + 1, sizeof(int64_t));
	g->stamps = calloc(g->nnodes + 1, sizeof(uint32_t));
	if (g->flat == NULL || g->cum == NULL || g->stamps == NULL)
		return nomem(g);
	return 0;
}

/* Report items and their order ----------------------------------------- */

typedef struct pp_item {
	uint32_t node;
	int64_t flat, cum;
	const char *name; /* printable name */
	size_t name_len;
	char *owned; /* name when built ("[file]"), else NULL */
	const pp_node *n;
} pp_item;

/* Go's filepath.Base. */
static void go_base(const char *path, size_t len, const char **out,
                    size_t *out_len)
{
	size_t i;

	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0) {
		*out = "/";
		*out_len = 1;
		return;
	}
	for (i = len; i > 0 && path[i - 1] != '/'; i--)
		;
	*out = path + i;
	*out_len = len - i;
}

static int item_name(pp_item *it)
{
	const char *b;
	size_t bl;

	if (!it->n->nameless) {
		it->name = it->n->key;
		it->name_len = it->n->key_len;
		return 0;
	}
	if (it->n->key_len == 0) {
		it->name = "<unknown>";
		it->name_len = 9;
		return 0;
	}
	go_base(it->n->key, it->n->key_len, &b, &bl);
	it->owned = malloc(bl + 3);
	if (it->owned == NULL)
		return MG_ENOMEM;
	it->owned[0] = '[';
	memcpy(it->owned + 1, b, bl);
	it->owned[bl + 1] = ']';
	it->owned[bl + 2] = '\0';
	it->name = it->owned;
	it->name_len = bl + 2;
	return 0;
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

/*
 * pprof's last resort, fmt.Sprint of the node info:
 * "{Name OrigName Address File StartLine Lineno Objfile}".
 */
static int info_cmp(const pp_node *a, const pp_node *b)
{
	mg_buf x = MG_BUF_INIT(MG_BUF_NOLIMIT), y = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const pp_node *n[2] = {a, b};
	mg_buf *s[2] = {&x, &y};
	int i, c;

	for (i = 0; i < 2; i++) {
		if (n[i]->nameless)
			mg_buf_printf(s[i], "{  0  %lld 0 ",
			              (long long)n[i]->start_line);
		else
			mg_buf_putc(s[i], '{');
		mg_buf_put(s[i], n[i]->key, n[i]->key_len);
		mg_buf_puts(s[i], n[i]->nameless ? "}" : "  0  0 0 }");
	}
	c = bytes_cmp(x.ptr, x.len, y.ptr, y.len);
	mg_buf_release(&x);
	mg_buf_release(&y);
	return c;
}

/* FlatNameOrder: |flat| desc, name asc, |cum| desc, node info. */
static int item_cmp(const void *va, const void *vb)
{
	const pp_item *a = va, *b = vb;
	int64_t x = wabs(a->flat), y = wabs(b->flat);
	int c;

	if (x != y)
		return x > y ? -1 : 1;
	c = bytes_cmp(a->name, a->name_len, b->name, b->name_len);
	if (c != 0)
		return c;
	x = wabs(a->cum);
	y = wabs(b->cum);
	if (x != y)
		return x > y ? -1 : 1;
	return info_cmp(a->n, b->n);
}

static void items_free(pp_item *items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++)
		free(items[i].owned);
	free(items);
}

/* Inline marks ----------------------------------------------------------- */

typedef struct pp_edge {
	uint32_t src, dst; /* nodes */
	int64_t weight;
	uint64_t stamp; /* last sample that added to weight */
	bool inlined;   /* every counted occurrence was an inlined call */
} pp_edge;

typedef struct pp_edges {
	pp_edge *e;
	size_t n, cap;
	uint32_t *slots; /* hash of edges: index + 1, 0 empty */
	size_t mask;
} pp_edges;

static size_t edge_hash(uint32_t src, uint32_t dst, size_t mask)
{
	uint64_t k = (uint64_t)src << 32 | dst;

	return (size_t)(k * 0x9e3779b97f4a7c15ULL >> 24) & mask;
}

/* Index of the edge src -> dst, created if new; -1 on ENOMEM. */
static int64_t edge_find(pp_edges *t, uint32_t src, uint32_t dst)
{
	size_t i;

	if (2 * (t->n + 1) > t->mask + 1) {
		size_t size = t->slots ? 2 * (t->mask + 1) : 4096, j;
		uint32_t *ns = calloc(size, sizeof(*ns));

		if (ns == NULL)
			return -1;
		for (j = 0; j < t->n; j++) {
			i = edge_hash(t->e[j].src, t->e[j].dst, size - 1);
			while (ns[i] != 0)
				i = (i + 1) & (size - 1);
			ns[i] = (uint32_t)(j + 1);
		}
		free(t->slots);
		t->slots = ns;
		t->mask = size - 1;
	}
	i = edge_hash(src, dst, t->mask);
	for (; t->slots[i] != 0; i = (i + 1) & t->mask) {
		const pp_edge *e = &t->e[t->slots[i] - 1];

		if (e->src == src && e->dst == dst)
			return t->slots[i] - 1;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 1024;
		pp_edge *m = realloc(t->e, ncap * sizeof(*m));

		if (m == NULL || t->n >= UINT32_MAX - 4)
			return -1;
		t->e = m;
		t->cap = ncap;
	}
	memset(&t->e[t->n], 0, sizeof(t->e[t->n]));
	t->e[t->n].src = src;
	t->e[t->n].dst = dst;
	t->e[t->n].inlined = true;
	t->slots[i] = (uint32_t)(t->n + 1);
	return (int64_t)t->n++;
}

/* What the stack walk does at a line slot (else: the edge's index). */
#define SLOT_NONE UINT32_MAX          /* not a candidate: no edge */
#define SLOT_DYNAMIC (UINT32_MAX - 1) /* parent comes from the stack */
#define SLOT_SELF (UINT32_MAX - 2)    /* parent is the node itself */

/* Per source: the static edges (inside a location) of every line slot. */
typedef struct pp_slots {
	uint32_t *edge;          /* per line slot: SLOT_* or an edge index */
	uint32_t *cached_parent; /* SLOT_DYNAMIC: parent of the last lookup */
	uint32_t *cached_edge;   /* ... and the edge it found */
	uint32_t *inner; /* per location: innermost present node or NONE */
	bool *has_cand;  /* per location: a present candidate is in it */
} pp_slots;

static int slots_init(pp_slots *sl, pp_edges *t, const pp_src *s,
                      const bool *present, const bool *candidate)
{
	const mg_pprof *p = s->p;
	size_t l;
	int64_t e;

	sl->edge = malloc((s->loc_off[p->nlocations] + 1) * sizeof(uint32_t));
	sl->cached_parent =
	        malloc((s->loc_off[p->nlocations] + 1) * sizeof(uint32_t));
	sl->cached_edge =
	        malloc((s->loc_off[p->nlocations] + 1) * sizeof(uint32_t));
	sl->inner = malloc((p->nlocations + 1) * sizeof(uint32_t));
	sl->has_cand = calloc(p->nlocations + 1, sizeof(bool));
	if (sl->edge == NULL || sl->inner == NULL || sl->has_cand == NULL ||
	    sl->cached_parent == NULL || sl->cached_edge == NULL)
		return MG_ENOMEM;
	for (l = 0; l < p->nlocations; l++) {
		uint64_t first = s->loc_off[l], last = s->loc_off[l + 1] - 1;
		uint32_t above = MG_PPROF_NONE; /* nearest present outer line */
		uint64_t k;

		for (k = last + 1; k-- > first;) {
			uint32_t n = s->loc_nodes[k];

			sl->edge[k] = SLOT_NONE;
			sl->cached_parent[k] = MG_PPROF_NONE;
			if (!present[n])
				continue;
			if (candidate[n]) {
				sl->has_cand[l] = true;
				if (above == MG_PPROF_NONE) {
					sl->edge[k] = SLOT_DYNAMIC;
				} else if (above == n) {
					sl->edge[k] = SLOT_SELF;
				} else {
					e = edge_find(t, above, n);
					if (e < 0)
						return MG_ENOMEM;
					sl->edge[k] = (uint32_t)e;
				}
			}
			above = n;
		}
		sl->inner[l] = above;
	}
	return 0;
}

static void slots_release(pp_slots *sl)
{
	free(sl->edge);
	free(sl->cached_parent);
	free(sl->cached_edge);
	free(sl->inner);
	free(sl->has_cand);
}

/* Count one occurrence of edge e in sample `stamp`. */
static inline void edge_add(pp_edge *e, uint64_t stamp, int64_t w, bool inlined)
{
	if (e->stamp == stamp)
		return;
	e->stamp = stamp;
	e->weight = wadd(e->weight, w);
	if (!inlined)
		e->inlined = false;
}

/*
 * Compute the "(inline)" marks of the candidate nodes: walk every stack
 * as pprof's newGraph does over the nodes `present` in the graph, adding
 * each edge into a candidate once per sample. Edges between the lines of
 * one location are fixed and looked up once per location, not per frame.
 */
static int inline_marks(pp_graph *g, const bool *present, const bool *candidate,
                        int64_t edge_cutoff, const char **marks)
{
	pp_edges t;
	pp_slots sl[2];
	bool *has_in = NULL, *has_noin = NULL;
	uint64_t stamp = 0;
	size_t si, i;
	int error = 0;

	memset(&t, 0, sizeof(t));
	memset(sl, 0, sizeof(sl));
	has_in = calloc(g->nnodes + 1, sizeof(bool));
	has_noin = calloc(g->nnodes + 1, sizeof(bool));
	if (has_in == NULL || has_noin == NULL)
		goto nomem;
	for (si = 0; si < g->nsrc; si++)
		if (slots_init(&sl[si], &t, &g->src[si], present, candidate) <
		    0)
			goto nomem;
	for (si = 0; si < g->nsrc; si++) {
		const pp_src *s = &g->src[si];
		const mg_pprof *p = s->p;

		for (i = 0; i < p->nsamples; i++) {
			int64_t w = p->values[i * p->ntypes + s->type];
			uint64_t off = p->sample_off[i];
			uint64_t j = p->sample_off[i + 1];
			uint32_t parent = MG_PPROF_NONE;

			if (s->negate)
				w = wneg(w);
			if (w == 0)
				continue;
			stamp++;
			while (j-- > off) {
				uint32_t loc = p->sample_locs[j];
				uint64_t first = s->loc_off[loc];
				uint64_t last = s->loc_off[loc + 1] - 1;
				uint64_t k;

				if (!sl[si].has_cand[loc]) {
					if (sl[si].inner[loc] != MG_PPROF_NONE)
						parent = sl[si].inner[loc];
					continue;
				}
				for (k = last + 1; k-- > first;) {
					uint32_t n = s->loc_nodes[k];
					uint32_t se = sl[si].edge[k];
					int64_t e;

					if (!present[n])
						continue;
					if (se < SLOT_SELF) {
						edge_add(&t.e[se], stamp, w,
						         true);
					} else if (se == SLOT_DYNAMIC &&
					           parent != MG_PPROF_NONE &&
					           parent != n) {
						/*
						 * a call site is mostly
						 * reached from one caller
						 */
						if (sl[si].cached_parent[k] ==
						    parent) {
							e = sl[si].cached_edge
							            [k];
						} else {
							e = edge_find(
							        &t, parent, n);
							if (e < 0)
								goto nomem;
							sl[si].cached_parent
							        [k] = parent;
							sl[si].cached_edge[k] =
							        (uint32_t)e;
						}
						edge_add(&t.e[e], stamp, w,
						         k != last);
					}
					parent = n;
				}
			}
		}
	}
	for (i = 0; i < t.n; i++) {
		if (t.e[i].stamp == 0 || wabs(t.e[i].weight) < edge_cutoff)
			continue;
		if (t.e[i].inlined)
			has_in[t.e[i].dst] = true;
		else
			has_noin[t.e[i].dst] = true;
	}
	for (i = 0; i < g->nnodes; i++)
		if (has_in[i])
			marks[i] =
			        has_noin[i] ? "(partial-inline)" : "(inline)";
	goto cleanup;
nomem:
	error = nomem(g);
cleanup:
	for (si = 0; si < 2; si++)
		slots_release(&sl[si]);
	free(t.e);
	free(t.slots);
	free(has_in);
	free(has_noin);
	return error;
}

/* Header lines ------------------------------------------------------------ */

static int add_label(mg_pprof_top *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int add_label(mg_pprof_top *t, const char *fmt, ...)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	char **m;
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = mg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (error < 0)
		goto fail;
	m = realloc(t->labels, (t->nlabels + 1) * sizeof(*m));
	if (m == NULL) {
		error = MG_ENOMEM;
		goto fail;
	}
	t->labels = m;
	t->labels[t->nlabels] = mg_buf_detach(&b);
	if (t->labels[t->nlabels] == NULL)
		return MG_ENOMEM;
	t->nlabels++;
	return 0;
fail:
	mg_buf_release(&b);
	return error;
}

/* Go's "Jan 2, 2006 at 3:04pm (MST)", in UTC. */
static void format_time(char *buf, size_t size, int64_t nanos)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
	                                  "May", "Jun", "Jul", "Aug",
	                                  "Sep", "Oct", "Nov", "Dec"};
	time_t secs = (time_t)(nanos / 1000000000);
	struct tm tm;
	int h;

	if (nanos % 1000000000 < 0)
		secs--;
	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	h = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
	snprintf(buf, size, "%s %d, %d at %d:%02d%s (UTC)", mon[tm.tm_mon],
	         tm.tm_mday, tm.tm_year + 1900, h, tm.tm_min,
	         tm.tm_hour < 12 ? "am" : "pm");
}

void mg_pprof_top_format(const mg_pprof_top *t, char *buf, size_t size,
                         int64_t v)
{
	mg_pprof_format_value(buf, size, v, t->sample_unit, t->output_unit);
}

/*
 * The profile header lines (report.ProfileLabels). For a diff, the
 * merged profile's: mapping and comments of the head first, the earlier
 * time, the summed durations.
 */
static int profile_labels(mg_pprof_top *t, const mg_pprof *head,
                          const mg_pprof *base)
{
	const mg_pprof *ps[2] = {head, base};
	const mg_pprof *mp = head->nmappings ? head : base;
	int64_t time_nanos = 0, duration = 0;
	char tb[64], db[128], vb[128], pb[32];
	size_t i, j, k;
	int error = 0;

	if (mp && mp->nmappings) {
		const pp_str *file = &mp->strings[mp->mappings[0].filename];
		const pp_str *bid = &mp->strings[mp->mappings[0].build_id];
		const char *b;
		size_t bl;

		if (file->len) {
			go_base(file->ptr, file->len, &b, &bl);
			error = add_label(t, "File: %.*s", (int)bl, b);
		}
		if (error == 0 && bid->len)
			error = add_label(t, "Build ID: %s", bid->ptr);
	}
	/*
	 * Merge (which pprof runs even on one profile) keeps the first of
	 * equal comments, head's before base's; '#' lines are not shown.
	 */
	for (i = 0; i < 2 && error == 0 && ps[i]; i++) {
		for (j = 0; j < ps[i]->ncomments && error == 0; j++) {
			const char *c = ps[i]->strings[ps[i]->comments[j]].ptr;
			bool dup = false;
			size_t i2;

			for (i2 = 0; i2 <= i && !dup; i2++) {
				const mg_pprof *q = ps[i2];
				size_t upto = i2 == i ? j : q->ncomments;

				for (k = 0; k < upto && !dup; k++)
					dup = strcmp(q->strings[q->comments[k]]
					                     .ptr,
					             c) == 0;
			}
			if (!dup && c[0] != '#')
				error = add_label(t, "%s", c);
		}
	}
	if (error == 0)
		error = add_label(t, "Type: %s", t->sample_type);
	for (i = 0; i < 2 && ps[i]; i++) {
		if (time_nanos == 0 || ps[i]->time_nanos < time_nanos)
			time_nanos = ps[i]->time_nanos;
		duration = wadd(duration, ps[i]->duration_nanos);
	}
	if (!base)
		time_nanos = head->time_nanos;
	if (error == 0 && time_nanos != 0) {
		format_time(tb, sizeof(tb), time_nanos);
		error = add_label(t, "Time: %s", tb);
	}
	if (error == 0 && duration != 0) {
		const char *unit = "";
		double ns =
		        scale(t->total, t->sample_unit, "nanoseconds", &unit);

		mg_pprof_format_value(db, sizeof(db), duration, "nanoseconds",
		                      "auto");
		mg_pprof_top_format(t, vb, sizeof(vb), t->total);
		pb[0] = '\0';
		if (strcmp(unit, "ns") == 0 && ns != 0) {
			char pct[24];

			mg_pprof_format_percent(pct, sizeof(pct), f2i(ns),
			                        duration);
			snprintf(pb, sizeof(pb), "(%s)", pct);
		}
		error = add_label(t, "Duration: %s, Total samples = %s %s", db,
		                  vb, pb);
	}
	return error;
}

static const char *trim_space(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* reportLabels: what the table shows and what it dropped. */
static int report_labels(mg_pprof_top *t, size_t shown)
{
	char a[128], b[128], pct[32];
	int error;

	mg_pprof_top_format(t, a, sizeof(a), t->shown_flat);
	mg_pprof_top_format(t, b, sizeof(b), t->total);
	mg_pprof_format_percent(pct, sizeof(pct), t->shown_flat, t->total);
	error = add_label(t, "Showing nodes accounting for %s, %s of %s total",
	                  a, trim_space(pct), b);
	if (error < 0 || t->total == 0)
		return error;
	if (t->dropped_nodes > 0) {
		mg_pprof_top_format(
		        t, a, sizeof(a),
		        wabs(f2i((double)t->total * MG_PPROF_NODE_FRACTION)));
		error = add_label(t, "Dropped %zu node%s (cum <= %s)",
		                  t->dropped_nodes,
		                  t->dropped_nodes > 1 ? "s" : "", a);
	}
	if (error == 0 && shown > 0 && shown < t->nodes_before_count)
		error = add_label(t, "Showing top %zu nodes out of %zu", shown,
		                  t->nodes_before_count);
	return error;
}

/* selectOutputUnit: one unit for the table. */
static int select_unit(mg_pprof_top *t, const pp_item *items, size_t n)
{
	int64_t min = 0, max = t->total;
	const char *min_unit = "", *max_unit = "", *unit;
	size_t i;

	if (n == 0) {
		t->output_unit = mg_strdup("minimum");
		return t->output_unit ? 0 : MG_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		int64_t v = wabs(items[i].flat);

		if (v == 0)
			v = wabs(items[i].cum);
		if (v > 0 && (min == 0 || v < min))
			min = v;
	}
	if (min == 0)
		min = max;
	scale(min, t->sample_unit, "minimum", &min_unit);
	scale(max, t->sample_unit, "minimum", &max_unit);
	unit = min_unit;
	if (strcmp(min_unit, max_unit) != 0 &&
	    (int64_t)((uint64_t)min * 100) < max)
		scale((int64_t)((uint64_t)min * 100), t->sample_unit, "minimum",
		      &unit);
	t->output_unit = mg_strdup(unit[0] ? unit : t->sample_unit);
	return t->output_unit ? 0 : MG_ENOMEM;
}

/* computeTotal: sum of |v|; of the base's samples only when there are. */
static int64_t report_total(const pp_graph *g)
{
	int64_t total = 0, base_total = 0;
	size_t si, i;

	for (si = 0; si < g->nsrc; si++) {
		const pp_src *s = &g->src[si];
		const mg_pprof *p = s->p;

		for (i = 0; i < p->nsamples; i++) {
			int64_t v = wabs(p->values[i * p->ntypes + s->type]);

			total = wadd(total, v);
			if (s->negate || (p->base_mark && p->base_mark[i]))
				base_total = wadd(base_total, v);
		}
	}
	return base_total > 0 ? base_total : total;
}

void mg_pprof_top_free(mg_pprof_top *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nlabels; i++)
		free(t->labels[i]);
	free(t->labels);
	for (i = 0; i < t->nrows; i++) {
		free(t->rows[i].function);
		free(t->rows[i].file);
	}
	free(t->rows);
	free(t->sample_type);
	free(t->sample_unit);
	free(t->output_unit);
	free(t);
}

/* Build the report from an aggregated graph (one column per source). */
static int build_top(mg_pprof_top **out, pp_graph *g, const mg_pprof *head,
                     const mg_pprof *base, const mg_pprof_top_opts *opts)
{
	mg_pprof_top *t = NULL;
	pp_item *items = NULL;
	bool *present = NULL, *candidate = NULL;
	const char **marks = NULL;
	size_t n = 0, i, kept, ncand = 0;
	int64_t flat_sum = 0, node_cutoff, edge_cutoff;
	int error = 0;

	t = calloc(1, sizeof(*t));
	items = calloc(g->nnodes + 1, sizeof(*items));
	present = malloc(g->nnodes + 1);
	candidate = calloc(g->nnodes + 1, sizeof(bool));
	marks = calloc(g->nnodes + 1, sizeof(*marks));
	if (!t || !items || !present || !candidate || !marks) {
		error = nomem(g);
		goto cleanup;
	}
	t->diff = base != NULL;
	t->sample_type = mg_strdup(head->type_names[g->src[0].type]);
	t->sample_unit = mg_strdup(head->unit_names[g->src[0].type]);
	if (!t->sample_type || !t->sample_unit) {
		error = nomem(g);
		goto cleanup;
	}
	t->total = report_total(g);

	/* the full graph: nodes with a non-zero flat or cum */
	for (i = 0; i < g->nnodes; i++) {
		pp_item *it = &items[n];
		size_t c;

		memset(it, 0, sizeof(*it));
		for (c = 0; c < g->ncols; c++) {
			it->flat = wadd(it->flat, g->flat[i * g->ncols + c]);
			it->cum = wadd(it->cum, g->cum[i * g->ncols + c]);
		}
		if (it->flat == 0 && it->cum == 0)
			continue;
		it->node = (uint32_t)i;
		it->n = &g->nodes[i];
		if (item_name(it) < 0) {
			error = nomem(g);
			goto cleanup;
		}
		flat_sum = wadd(flat_sum, it->flat);
		n++;
	}
	/* every node takes part in edges until some are dropped */
	memset(present, 1, g->nnodes + 1);
	node_cutoff = wabs(f2i((double)flat_sum * MG_PPROF_NODE_FRACTION));
	edge_cutoff = wabs(f2i((double)flat_sum * MG_PPROF_EDGE_FRACTION));
	if (node_cutoff > 0) {
		for (i = 0, kept = 0; i < n; i++)
			if (wabs(items[i].cum) >= node_cutoff)
				kept++;
		if (kept != n) {
			memset(present, 0, g->nnodes + 1);
			for (i = 0, kept = 0; i < n; i++) {
				if (wabs(items[i].cum) >= node_cutoff) {
					pp_item tmp = items[kept];

					items[kept] = items[i];
					items[i] = tmp;
					present[items[kept].node] = true;
					kept++;
				}
			}
			t->dropped_nodes = n - kept;
			n = kept;
		}
	}
	t->nodes_before_count = n;
	qsort(items, n, sizeof(*items), item_cmp);
	if (opts && opts->node_count > 0 && opts->node_count < n) {
		memset(present, 0, g->nnodes + 1);
		n = opts->node_count;
		for (i = 0; i < n; i++)
			present[items[i].node] = true;
	}
	for (i = 0; i < n; i++) {
		if (g->nodes[items[i].node].inlined) {
			candidate[items[i].node] = true;
			ncand++;
		}
	}
	if (ncand > 0) {
		error = inline_marks(g, present, candidate, edge_cutoff, marks);
		if (error < 0)
			goto cleanup;
	}
	error = select_unit(t, items, n);
	if (error < 0)
		goto cleanup;

	t->rows = calloc(n + 1, sizeof(*t->rows));
	if (t->rows == NULL) {
		error = nomem(g);
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		mg_pprof_row *r = &t->rows[i];
		const pp_node *nd = items[i].n;

		r->function = malloc(items[i].name_len + 1);
		r->file = mg_strdup(nd->file ? nd->file : "");
		if (r->function == NULL || r->file == NULL) {
			free(r->function);
			free(r->file);
			error = nomem(g);
			goto cleanup;
		}
		memcpy(r->function, items[i].name, items[i].name_len);
		r->function[items[i].name_len] = '\0';
		r->inline_mark =
		        marks[items[i].node] ? marks[items[i].node] : "";
		r->flat = items[i].flat;
		r->cum = items[i].cum;
		if (base) {
			r->base_flat =
			        wneg(g->flat[items[i].node * g->ncols + 1]);
			r->base_cum =
			        wneg(g->cum[items[i].node * g->ncols + 1]);
		}
		t->shown_flat = wadd(t->shown_flat, r->flat);
		t->nrows++;
	}
	error = profile_labels(t, head, base);
	if (error == 0)
		error = report_labels(t, n);
	if (error < 0) {
		error = mg_err_set(g->err, error, "out of memory");
		goto cleanup;
	}
	*out = t;
	t = NULL;
cleanup:
	items_free(items, g->nnodes + 1);
	free(present);
	free(candidate);
	free(marks);
	mg_pprof_top_free(t);
	return error;
}

int mg_pprof_top_new(mg_pprof_top **out, const mg_pprof *p, const char *which,
                     const mg_pprof_top_opts *opts, mg_err *err)
{
	pp_graph g;
	size_t type;
	int error;

	memset(&g, 0, sizeof(g));
	g.err = err;
	error = mg_pprof_sample_index(&type, p, which, err);
	if (error < 0)
		return error;
	g.nsrc = 1;
	error = src_init(&g, &g.src[0], p, false, type);
	if (error == 0)
		error = graph_alloc_values(&g, 1);
	if (error == 0) {
		aggregate(&g, &g.src[0], &type, 1, 0);
		error = build_top(out, &g, p, NULL, opts);
	}
	graph_release(&g);
	return error;
}

int mg_pprof_diff(mg_pprof_top **out, const mg_pprof *base,
                  const mg_pprof *head, const char *which,
                  const mg_pprof_top_opts *opts, mg_err *err)
{
	pp_graph g;
	size_t type, i;
	int error;

	memset(&g, 0, sizeof(g));
	g.err = err;
	if (base->ntypes != head->ntypes)
		return mg_err_set(err, MG_EINPUT,
		                  "%s and %s have different sample types",
		                  base->name, head->name);
	for (i = 0; i < head->ntypes; i++)
		if (strcmp(base->type_names[i], head->type_names[i]) != 0 ||
		    strcmp(base->unit_names[i], head->unit_names[i]) != 0)
			return mg_err_set(
			        err, MG_EINPUT,
			        "%s and %s have different sample "
			        "types ('%s/%s' and '%s/%s')",
			        base->name, head->name, base->type_names[i],
			        base->unit_names[i], head->type_names[i],
			        head->unit_names[i]);
	error = mg_pprof_sample_index(&type, head, which, err);
	if (error < 0)
		return error;
	g.nsrc = 2;
	error = src_init(&g, &g.src[0], head, false, type);
	if (error == 0)
		error = src_init(&g, &g.src[1], base, true, type);
	if (error == 0)
		error = graph_alloc_values(&g, 2);
	if (error == 0) {
		aggregate(&g, &g.src[0], &type, 1, 0);
		aggregate(&g, &g.src[1], &type, 1, 1);
		error = build_top(out, &g, head, base, opts);
	}
	graph_release(&g);
	return error;
}

/* Text output ---------------------------------------------------------- */

/* Pad to `width` runes on the left, as Go's %10s counts runes. */
static int put_padded(mg_buf *b, const char *s, int width)
{
	int runes = 0, error = 0;
	const char *q;

	for (q = s; *q; q++)
		runes += ((unsigned char)*q & 0xc0) != 0x80;
	for (; runes < width && error == 0; runes++)
		error = mg_buf_putc(b, ' ');
	return error ? error : mg_buf_puts(b, s);
}

int mg_pprof_top_write_text(mg_buf *out, const mg_pprof_top *t)
{
	char flat[128], cum[128], p1[32], p2[32], p3[32];
	int64_t sum = 0;
	size_t i;
	int error = 0;

	for (i = 0; i < t->nlabels && error == 0; i++)
		error = mg_buf_printf(out, "%s\n", t->labels[i]);
	if (error == 0)
		error = mg_buf_printf(out, "%10s %5s%% %5s%% %10s %5s%%\n",
		                      "flat", "flat", "sum", "cum", "cum");
	for (i = 0; i < t->nrows && error == 0; i++) {
		const mg_pprof_row *r = &t->rows[i];

		sum = wadd(sum, r->flat);
		mg_pprof_top_format(t, flat, sizeof(flat), r->flat);
		mg_pprof_top_format(t, cum, sizeof(cum), r->cum);
		mg_pprof_format_percent(p1, sizeof(p1), r->flat, t->total);
		mg_pprof_format_percent(p2, sizeof(p2), sum, t->total);
		mg_pprof_format_percent(p3, sizeof(p3), r->cum, t->total);
		error = put_padded(out, flat, 10);
		if (error == 0)
			error = mg_buf_printf(out, " %s %s ", p1, p2);
		if (error == 0)
			error = put_padded(out, cum, 10);
		if (error == 0)
			error = mg_buf_printf(
			        out, " %s  %s%s%s\n", p3, r->function,
			        r->inline_mark[0] ? " " : "", r->inline_mark);
	}
	return error;
}

/* mg_run ----------------------------------------------------------------- */

int mg_pprof_to_run(mg_profile *dst, const mg_pprof *p, mg_err *err)
{
	pp_graph g;
	pp_item *items = NULL;
	size_t *types = NULL, t, i, n;
	char tu[1024];
	int error = 0;

	if (dst->nsample_types != 0)
		return mg_err_set(err, MG_ECONFLICT,
		                  "%s: the run profile already has sample "
		                  "types",
		                  p->name);
	memset(&g, 0, sizeof(g));
	g.err = err;
	for (t = 0; t < p->ntypes && error == 0; t++) {
		snprintf(tu, sizeof(tu), "%s/%s", p->type_names[t],
		         p->unit_names[t]);
		error = mg_profile_add_sample_type(dst, tu);
	}
	if (error == 0 && mg_pprof_default_sample_type(p))
		error = mg_run_set_str(&dst->default_sample_type,
		                       mg_pprof_default_sample_type(p));
	if (error < 0 || p->ntypes == 0)
		goto done;
	g.nsrc = 1;
	error = src_init(&g, &g.src[0], p, false, 0);
	if (error < 0)
		goto done;
	types = calloc(p->ntypes, sizeof(*types));
	items = calloc(g.nnodes + 1, sizeof(*items));
	if (types == NULL || items == NULL) {
		error = MG_ENOMEM;
		goto done;
	}
	for (t = 0; t < p->ntypes; t++)
		types[t] = t;
	error = graph_alloc_values(&g, p->ntypes);
	if (error < 0)
		goto done;
	aggregate(&g, &g.src[0], types, p->ntypes, 0);
	for (t = 0; t < p->ntypes && error == 0; t++) {
		for (i = 0, n = 0; i < g.nnodes && error == 0; i++) {
			pp_item *it = &items[n];

			free(it->owned);
			memset(it, 0, sizeof(*it));
			it->flat = g.flat[i * g.ncols + t];
			it->cum = g.cum[i * g.ncols + t];
			if (it->flat == 0 && it->cum == 0)
				continue;
			it->node = (uint32_t)i;
			it->n = &g.nodes[i];
			error = item_name(it);
			n++;
		}
		if (error < 0)
			break;
		qsort(items, n, sizeof(*items), item_cmp);
		for (i = 0; i < n && error == 0; i++) {
			char *name = malloc(items[i].name_len + 1);

			if (name == NULL) {
				error = MG_ENOMEM;
				break;
			}
			memcpy(name, items[i].name, items[i].name_len);
			name[items[i].name_len] = '\0';
			error = mg_profile_add_func(
			        dst, t, name, items[i].n->file, items[i].flat,
			        items[i].cum);
			free(name);
		}
		for (i = 0; i < n; i++) {
			free(items[i].owned);
			items[i].owned = NULL;
		}
	}
done:
	if (error < 0 && (err == NULL || err->code != error))
		mg_err_set(err, error, "%s: cannot record the profile: %s",
		           p->name, mg_err_name(error));
	items_free(items, g.nnodes + 1);
	free(types);
	graph_release(&g);
	return error;
}
