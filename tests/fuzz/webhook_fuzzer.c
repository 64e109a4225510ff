/*
 * webhook_fuzzer.c - the webhook entry points on arbitrary bytes: the body
 * parsed as each event memgate reads (ping, pull_request, push), and the
 * signature check with the input as body and as header. What the parser
 * accepts must hold together (SHAs of 40 or 64 characters, names present,
 * commits within the limit), and a body signed with mg_webhook_sign must
 * verify while its first bytes as a header never crash the check.
 */
#include <stdint.h>
#include <stdlib.h>

#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sha(const char *s, int optional)
{
	size_t n = strlen(s);

	if (!(n == 40 || n == 64 || (optional && n == 0)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const events[] = {"ping", "pull_request", "push"};
	char sig[MG_WEBHOOK_SIG_LEN + 1], header[MG_WEBHOOK_SIG_LEN + 1];
	mg_webhook_event ev;
	mg_err err = MG_ERR_INIT;
	size_t i;

	mg_webhook_event_init(&ev);
	for (i = 0; i < 3; i++) {
		if (mg_webhook_parse(&ev, events[i], data, size, &err) != 0)
			continue;
		if (ev.kind == MG_WEBHOOK_PULL_REQUEST) {
			check_sha(ev.head_sha, 0);
			check_sha(ev.base_sha, 0);
			check_sha(ev.before, 1);
			if (ev.number <= 0 || !ev.repository || !ev.head_ref ||
			    !ev.base_ref)
				abort();
		} else if (ev.kind == MG_WEBHOOK_PUSH) {
			check_sha(ev.before, 0);
			check_sha(ev.after, 0);
			if (!ev.ref || !ev.repository || !ev.default_branch ||
			    ev.ncommits > MG_WEBHOOK_MAX_COMMITS)
				abort();
			for (size_t c = 0; c < ev.ncommits; c++)
				check_sha(ev.commits[c], 0);
		} else if (ev.kind == MG_WEBHOOK_PING && ev.hook_id <= 0) {
			abort();
		}
	}
	mg_webhook_event_release(&ev);

	if (mg_webhook_sign(sig, "fuzz-secret", data, size, &err) != 0 ||
	    mg_webhook_verify("fuzz-secret", data, size, sig, &err) != 0)
		abort();
	i = size < MG_WEBHOOK_SIG_LEN ? size : MG_WEBHOOK_SIG_LEN;
	memcpy(header, data, i);
	header[i] = '\0';
	(void)mg_webhook_verify("fuzz-secret", data, size, header, &err);
	return 0;
}
