/*
 * runjson_fuzzer.c - mg_runjson_read() on arbitrary bytes, twice: with its
 * one-pass reader (runjson_pull.c) and with every document through the
 * tree. The two must agree: both refuse with the same message, or both
 * accept and write the same document. A document it accepts must also
 * survive the trip back: written with mg_runjson_write(), read again, and
 * written again to the same bytes (whatever the reader accepts, the
 * writer can express, and nothing is lost or changed on the way).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_buf first = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf second = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf tree_doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT, tree_err = MG_ERR_INIT;
	mg_run run, again, tree;
	int rc, tree_rc;

	rc = mg_runjson_read(&run, (const char *)data, size, &err);
	mg_runjson_set_pull(false);
	tree_rc = mg_runjson_read(&tree, (const char *)data, size, &tree_err);
	mg_runjson_set_pull(true);
	if (rc != tree_rc)
		abort(); /* one accepts what the other refuses */
	if (rc != 0) {
		if (strcmp(err.msg, tree_err.msg) != 0)
			abort();
		return 0;
	}
	if (mg_runjson_write(&first, &run, &err) != 0 ||
	    mg_runjson_write(&tree_doc, &tree, &tree_err) != 0)
		abort(); /* the reader accepted what the writer refuses */
	if (first.len != tree_doc.len ||
	    memcmp(first.ptr, tree_doc.ptr, first.len) != 0)
		abort(); /* the two readers made different runs */
	mg_run_release(&tree);
	mg_buf_release(&tree_doc);
	mg_run_init(&again);
	if (mg_runjson_read(&again, first.ptr, first.len, &err) != 0)
		abort(); /* the writer wrote what the reader refuses */
	if (mg_runjson_write(&second, &again, &err) != 0)
		abort();
	if (first.len != second.len ||
	    memcmp(first.ptr, second.ptr, first.len) != 0)
		abort(); /* something changed on the way round */
	mg_run_release(&run);
	mg_run_release(&again);
	mg_buf_release(&first);
	mg_buf_release(&second);
	return 0;
}
