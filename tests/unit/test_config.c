/*
 * test_config.c - lib/config.c: `.memgate.ini` as written by people,
 * with the errors they make, each reported with its line.
 */
#include "config.h"
#include "mgtest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int parse(mg_config *cfg, const char *text, mg_err *err)
{
	mg_config_init(cfg);
	return mg_config_parse(cfg, text, strlen(text), ".memgate.ini", err);
}

static void test_valid(void **state)
{
	static const char text[] = "; memgate settings\n"
	                           "# a comment too\n"
	                           "[thresholds]\n"
	                           "allocs/op = 0\n"
	                           "B/op = 2%   ; bytes per op\n"
	                           "ns/op=10 %\n"
	                           "* = 5%\n"
	                           "\n"
	                           "[server]\n"
	                           "listen = 127.0.0.1:8080\n"
	                           "[compare]\n"
	                           "alpha = 0.01\r\n"
	                           "confidence = 0.99\n";
	mg_config cfg;
	mg_err err = MG_ERR_INIT;

	(void)state;
	if (parse(&cfg, text, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.thresholds.n, 4);
	assert_string_equal(cfg.thresholds.items[0].unit, "allocs/op");
	assert_true(cfg.thresholds.items[0].absolute &&
	            cfg.thresholds.items[0].value == 0);
	assert_string_equal(cfg.thresholds.items[1].unit, "B/op");
	assert_true(!cfg.thresholds.items[1].absolute &&
	            cfg.thresholds.items[1].value == 0.02);
	assert_true(!cfg.thresholds.items[2].absolute &&
	            cfg.thresholds.items[2].value == 0.10);
	assert_string_equal(cfg.thresholds.items[3].unit, "*");
	assert_true(cfg.has_alpha && cfg.alpha == 0.01);
	assert_true(cfg.has_confidence && cfg.confidence == 0.99);
	mg_config_release(&cfg);

	/* Empty file: nothing set. */
	assert_int_equal(parse(&cfg, "", &err), 0);
	assert_int_equal(cfg.thresholds.n, 0);
	assert_false(cfg.has_alpha);
	mg_config_release(&cfg);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg; /* exact */
	} cases[] = {
	        {"[thresholds]\nB/op = x\n", MG_EINPUT,
	         ".memgate.ini:2: [thresholds] 'B/op': expected a number >= "
	         "0, optionally with '%', got 'x'"},
	        {"[thresholds]\nB/op = -2%\n", MG_EINPUT,
	         ".memgate.ini:2: [thresholds] 'B/op': expected a number >= "
	         "0, optionally with '%', got '-2%'"},
	        {"[compare]\n\nalpha = 1.5\n", MG_EINPUT,
	         ".memgate.ini:3: [compare] 'alpha': expected a number "
	         "between 0 and 1, got '1.5'"},
	        {"[compare]\nconfidence=\n", MG_EINPUT,
	         ".memgate.ini:2: [compare] 'confidence': expected a number "
	         "between 0 and 1, got ''"},
	        {"[compare]\nalpah = 0.05\n", MG_EINPUT,
	         ".memgate.ini:2: [compare] unknown key 'alpah' (known: "
	         "alpha, confidence)"},
	        {"[thresholds\nB/op = 2%\n", MG_EINPUT,
	         ".memgate.ini:1: expected '[section]' or 'key = value'"},
	        {"[thresholds]\njust words\n", MG_EINPUT,
	         ".memgate.ini:2: expected '[section]' or 'key = value'"},
	        {"[thresholds]\nB/op = 2%\nallocs/op = y\nns/op = z\n",
	         MG_EINPUT,
	         ".memgate.ini:3: [thresholds] 'allocs/op': expected a "
	         "number >= 0, optionally with '%', got 'y'"},
	};
	mg_config cfg;
	mg_err err = MG_ERR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		mg_err_clear(&err);
		if (parse(&cfg, cases[i].text, &err) != cases[i].code)
			fail_msg("case %zu accepted", i);
		if (strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: got '%s'", i, err.msg);
		mg_config_release(&cfg);
	}
}

static void test_limits(void **state)
{
	mg_buf big = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_config cfg;
	mg_err err = MG_ERR_INIT;
	size_t i;

	(void)state;
	/* A line inih would split: refused with its line number. */
	assert_int_equal(mg_buf_puts(&big, "[thresholds]\nB/op = 2%"), 0);
	for (i = 0; i < MG_CONFIG_MAX_LINE; i++)
		assert_int_equal(mg_buf_putc(&big, ' '), 0);
	assert_int_equal(mg_buf_puts(&big, "\n"), 0);
	mg_config_init(&cfg);
	assert_int_equal(mg_config_parse(&cfg, big.ptr, big.len, "c.ini", &err),
	                 MG_ELIMIT);
	assert_string_equal(err.msg, "c.ini:2: line longer than 197 bytes");
	mg_config_release(&cfg);
	/* A NUL byte would end inih's string early. */
	assert_int_equal(mg_config_parse(&cfg, "[compare]\n\0alpha=2\n", 18,
	                                 "c.ini", &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "c.ini:2: NUL byte in a text file");
	mg_config_release(&cfg);
	/* Too large as a whole. */
	mg_buf_reset(&big);
	for (i = 0; big.len <= MG_CONFIG_MAX_BYTES; i++)
		assert_int_equal(mg_buf_puts(&big, "; padding padding\n"), 0);
	assert_int_equal(mg_config_parse(&cfg, big.ptr, big.len, "c.ini", &err),
	                 MG_ELIMIT);
	mg_config_release(&cfg);
	mg_buf_release(&big);
}

static void test_load(void **state)
{
	static const char text[] = "[thresholds]\nB/op = 5%\n";
	char *dir = mgt_tmpdir(), *path = mgt_path(dir, ".memgate.ini");
	mg_config cfg;
	mg_err err = MG_ERR_INIT;

	(void)state;
	mg_config_init(&cfg);
	assert_int_equal(mg_config_load(&cfg, path, &err), MG_ENOTFOUND);
	mgt_write_file(path, text, strlen(text));
	assert_int_equal(mg_config_load(&cfg, path, &err), 0);
	assert_int_equal(cfg.thresholds.n, 1);
	assert_true(cfg.thresholds.items[0].value == 0.05);
	mg_config_release(&cfg);
	free(path);
	mgt_tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
