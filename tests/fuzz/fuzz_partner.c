/*
 * fuzz_partner: libFuzzer target for the meeting pack link's token
 * (partner_token_verify), which arrives in a URL from anyone. Properties
 * checked beyond memory safety: a token that verifies names an id in the
 * range, and building the token of that id gives back exactly the input
 * (one spelling per token); random input never verifies under the key
 * (a forged MAC). The input is copied to an exact-size buffer so a read
 * past its end is caught.
 *
 *   ./scripts/fuzz.sh 600      (every target), or by hand:
 *   build-fuzz/fuzz_partner -max_total_time=600 tests/fuzz/corpus_partner
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "partner.h"
#include "rsvp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[RSVP_KEY_BYTES] = "fuzz-partner-key-32-bytes-long!";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char again[PARTNER_TOKEN_MAX];
	char *in;
	long pid = 0;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (partner_token_verify(key, in, &pid) == 0) {
		if (pid < 1 || partner_token_build(key, pid, again,
		    sizeof(again)) != 0 || strcmp(again, in) != 0)
			abort();
	}
	free(in);
	return 0;
}
