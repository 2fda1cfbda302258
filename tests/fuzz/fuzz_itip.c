/*
 * libFuzzer target for the iTIP REPLY/COUNTER parser (itip_parse_reply), the code
 * that reads calendars arriving from outside through POST /api/v1/itip.
 * Built with -DCONVENE_FUZZ=ON under clang; run briefly by
 * tests/integration/test_fuzz_itip.py and for longer on demand:
 *
 *   ./fuzz_itip -max_total_time=600 tests/fuzz/corpus_itip
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libical/ical.h>

#include "itip.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	icalerror_set_errors_are_fatal(0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct itip_reply r;
	char err[160];

	if (itip_parse_reply((const char *)data, size, &r, err,
	    sizeof(err)) == 0) {
		/* A reply the parser accepts is one the matcher can use: a
		 * REPLY has a PARTSTAT, a COUNTER a time that ends after it
		 * starts (its PARTSTAT is optional). */
		if (r.uid[0] == '\0' || strchr(r.attendee, '@') == NULL ||
		    r.sequence < 0 || (!r.counter && r.partstat[0] == '\0') ||
		    (r.counter && r.ends <= r.starts))
			__builtin_trap();
	} else if (err[0] == '\0')
		__builtin_trap();
	return 0;
}
