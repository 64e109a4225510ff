/*
 * sampleset_fuzzer.c - mg_sampleset_decode() and mg_sampleset_run_decode()
 * on arbitrary bytes. What they accept must survive the round trip:
 * encoded again and decoded, every seq, value (bit for bit) and iteration
 * count is the same (and for a run every benchmark id and unit), and the
 * text of a set is a fixed point of encode(decode(.)).
 * mg_sampleset_run_read() of every entry must give what
 * mg_sampleset_run_decode() gives (the same error and message, or the same
 * entries bit for bit); of the odd benchmark ids, the same entries of
 * whatever the tree reader takes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sampleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* -0.0 is written as 0, as SQLite would store it */
static bool same_value(double got, double was)
{
	double want = was == 0 ? 0.0 : was;

	return memcmp(&got, &want, sizeof(want)) == 0;
}

/* The items of a decoded run's entry e, as a set's text into out. */
static void encode_entry(mg_buf *out, const mg_sampleset_run *r,
                         const mg_sampleset_entry *e)
{
	mg_sample *s = calloc(e->n, sizeof(*s));
	const mg_sample **ps = calloc(e->n, sizeof(*ps));
	mg_err err = MG_ERR_INIT;
	size_t i;

	if (s == NULL || ps == NULL)
		abort();
	for (i = 0; i < e->n; i++) {
		s[i].value = r->items[e->first + i].value;
		s[i].seq = r->items[e->first + i].seq;
		s[i].iterations = r->items[e->first + i].iterations;
		ps[i] = &s[i];
	}
	if (mg_sampleset_encode(out, ps, e->n, &err) < 0)
		abort();
	free(s);
	free(ps);
}

static void run_round_trip(const uint8_t *data, size_t size)
{
	mg_sampleset_run a, b;
	mg_buf set = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t i, k;

	if (mg_sampleset_run_decode(&a, (const char *)data, size, &err) < 0) {
		mg_sampleset_run_free(&a);
		return;
	}
	for (i = 0; i < a.n; i++) {
		encode_entry(&set, &a, &a.v[i]);
		if (mg_sampleset_run_add(&text, a.v[i].bench_id, a.v[i].unit,
		                         set.ptr, set.len, &err) < 0)
			abort();
	}
	if (mg_sampleset_run_end(&text, &err) < 0 ||
	    mg_sampleset_run_decode(&b, text.ptr, text.len, &err) < 0 ||
	    b.n != a.n || b.nitems != a.nitems)
		abort();
	for (i = 0; i < a.n; i++) {
		if (b.v[i].bench_id != a.v[i].bench_id ||
		    strcmp(b.v[i].unit, a.v[i].unit) != 0 ||
		    b.v[i].n != a.v[i].n)
			abort();
		for (k = 0; k < a.v[i].n; k++) {
			const mg_sampleset_item *x = &a.items[a.v[i].first + k];
			const mg_sampleset_item *y = &b.items[b.v[i].first + k];

			if (!same_value(y->value, x->value) ||
			    y->seq != x->seq || y->iterations != x->iterations)
				abort();
		}
	}
	mg_sampleset_run_free(&a);
	mg_sampleset_run_free(&b);
	mg_buf_release(&set);
	mg_buf_release(&text);
}

static bool odd(int64_t bench_id, void *arg)
{
	(void)arg;
	return bench_id % 2 != 0;
}

/* b holds a's entries that keep() takes (NULL: all), bit for bit. */
static void same_entries(const mg_sampleset_run *a, const mg_sampleset_run *b,
                         mg_sampleset_keep_fn keep)
{
	size_t i, j = 0, k;

	for (i = 0; i < a->n; i++) {
		const mg_sampleset_entry *x = &a->v[i], *y;

		if (keep && !keep(x->bench_id, NULL))
			continue;
		if (j >= b->n)
			abort();
		y = &b->v[j++];
		if (y->bench_id != x->bench_id || strcmp(y->unit, x->unit) ||
		    y->n != x->n)
			abort();
		for (k = 0; k < x->n; k++) {
			const mg_sampleset_item *p = &a->items[x->first + k];
			const mg_sampleset_item *q = &b->items[y->first + k];

			if (memcmp(&p->value, &q->value, sizeof(p->value)) ||
			    p->seq != q->seq || p->iterations != q->iterations)
				abort();
		}
	}
	if (j != b->n)
		abort();
}

static void compare_readers(const uint8_t *data, size_t size)
{
	mg_sampleset_run a, b;
	mg_err ea = MG_ERR_INIT, eb = MG_ERR_INIT;
	int ra, rb;

	ra = mg_sampleset_run_decode(&a, (const char *)data, size, &ea);
	rb = mg_sampleset_run_read(&b, (const char *)data, size, NULL, NULL,
	                           &eb);
	if (ra != rb || (ra < 0 && strcmp(ea.msg, eb.msg) != 0))
		abort();
	if (ra == 0)
		same_entries(&a, &b, NULL);
	mg_sampleset_run_free(&b);
	rb = mg_sampleset_run_read(&b, (const char *)data, size, odd, NULL,
	                           &eb);
	if (ra == 0) {
		if (rb != 0)
			abort();
		same_entries(&a, &b, odd);
	}
	mg_sampleset_run_free(&a);
	mg_sampleset_run_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_sampleset_item *a = NULL, *b = NULL;
	mg_sample *s = NULL;
	const mg_sample **ps = NULL;
	mg_buf t1 = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       t2 = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t na = 0, nb = 0, i;

	run_round_trip(data, size);
	compare_readers(data, size);
	if (mg_sampleset_decode((const char *)data, size, &a, &na, &err) < 0)
		return 0;
	s = calloc(na, sizeof(*s));
	ps = calloc(na, sizeof(*ps));
	if (s == NULL || ps == NULL)
		abort();
	for (i = 0; i < na; i++) {
		s[i].value = a[i].value;
		s[i].seq = a[i].seq;
		s[i].iterations = a[i].iterations;
		ps[i] = &s[i];
	}
	if (mg_sampleset_encode(&t1, ps, na, &err) < 0 ||
	    mg_sampleset_decode(t1.ptr, t1.len, &b, &nb, &err) < 0 || nb != na)
		abort();
	for (i = 0; i < na; i++) {
		if (!same_value(b[i].value, a[i].value) ||
		    b[i].seq != a[i].seq || b[i].iterations != a[i].iterations)
			abort();
		s[i].value = b[i].value;
	}
	if (mg_sampleset_encode(&t2, ps, na, &err) < 0 || t2.len != t1.len ||
	    memcmp(t1.ptr, t2.ptr, t1.len) != 0)
		abort();
	mg_buf_release(&t1);
	mg_buf_release(&t2);
	free(a);
	free(b);
	free(s);
	free(ps);
	return 0;
}
