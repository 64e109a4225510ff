/*
 * numfmt.c - see numfmt.h. The fast paths give exactly the text of the
 * %.15g..%.17g search: tests/unit/test_numfmt.c compares them on
 * integers, short decimals and random bit patterns.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

char *mg_numfmt_int(char buf[24], int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = buf + 24;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return p;
}

size_t mg_numfmt_int_at(char *out, int64_t v)
{
	char buf[24], *d = mg_numfmt_int(buf, v);
	size_t n = (size_t)(buf + 24 - d);

	memcpy(out, d, n);
	return n;
}

/*
 * v written the way the %.15g..%.17g search would, when it is a decimal
 * of at most 4 places and 15 significant digits (medians of integral
 * samples end in .5): d = m / 10^k is then the decimal the double
 * nearest to it is (checked with a correctly rounded division), %.15g
 * rounds v to d, and strtod reads d back as v. Fixed notation applies as
 * %g uses it for exponents from -4 up to 14. 0 if v is not such a
 * decimal.
 */
static size_t fmt_short_decimal(char out[MG_NUMFMT_MAX], double v)
{
	static const double p10[] = {1, 10, 100, 1000, 10000};
	char ibuf[24], *ip;
	double m;
	uint64_t u, frac;
	size_t len;
	int k, i;

	if (v == trunc(v)) /* integers (and -0) are not its business */
		return 0;
	for (k = 1; k <= 4; k++) {
		m = v * p10[k];
		if (m != floor(m) || fabs(m) >= 1e15 || m / p10[k] != v)
			continue;
		u = (uint64_t)fabs(m);
		frac = u % (uint64_t)p10[k];
		ip = mg_numfmt_int(ibuf, (int64_t)(u / (uint64_t)p10[k]));
		len = 0;
		if (v < 0)
			out[len++] = '-';
		memcpy(out + len, ip, (size_t)(ibuf + 24 - ip));
		len += (size_t)(ibuf + 24 - ip);
		out[len++] = '.';
		for (i = k - 1; i >= 0; i--) {
			out[len + (size_t)i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		len += (size_t)k;
		while (out[len - 1] == '0')
			len--;
		out[len] = '\0';
		return len;
	}
	return 0;
}

size_t mg_numfmt_double(char out[MG_NUMFMT_MAX], double v)
{
	size_t len;
	int prec;

	/* integers below 10^15 are what %.15g prints digit for digit */
	if (v == trunc(v) && fabs(v) < 1e15 && !(v == 0 && signbit(v))) {
		char buf[24], *p = mg_numfmt_int(buf, (int64_t)v);

		len = (size_t)(buf + 24 - p);
		memcpy(out, p, len);
		out[len] = '\0';
		return len;
	}
	len = fmt_short_decimal(out, v);
	if (len > 0)
		return len;
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, MG_NUMFMT_MAX, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return strlen(out);
	}
	snprintf(out, MG_NUMFMT_MAX, "%.17g", v);
	return strlen(out);
}
