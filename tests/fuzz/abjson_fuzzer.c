/*
 * abjson_fuzzer.c - mg_abjson_read() on arbitrary bytes. A session it
 * accepts must survive the trip back: written with mg_abjson_write(),
 * read again and written again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "abjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_buf first = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf second = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mg_abjson d, again;

	mg_abjson_init(&d);
	mg_abjson_init(&again);
	if (mg_abjson_read(&d, (const char *)data, size, &err) != 0)
		goto done;
	if (mg_abjson_write(&first, d.project, d.key, d.base_key, d.head_key,
	                    &d.session, &err) != 0)
		abort(); /* the reader accepted what the writer refuses */
	if (!mg_abjson_is_session(first.ptr, first.len))
		abort();
	if (mg_abjson_read(&again, first.ptr, first.len, &err) != 0)
		abort(); /* the writer wrote what the reader refuses */
	if (mg_abjson_write(&second, again.project, again.key, again.base_key,
	                    again.head_key, &again.session, &err) != 0)
		abort();
	if (first.len != second.len ||
	    memcmp(first.ptr, second.ptr, first.len) != 0)
		abort(); /* something changed on the way round */
done:
	mg_abjson_release(&d);
	mg_abjson_release(&again);
	mg_buf_release(&first);
	mg_buf_release(&second);
	return 0;
}
