/*
 * Unit tests for buf: the ceiling is a hard limit (exactly max bytes fit, one
 * more does not), a failure sticks until reset so callers can check once,
 * printf grows the allocation as needed, and steal hands over a string the
 * caller frees. Blobs: a copy with a NUL after it, freed by the last of
 * many references dropped from many threads (ASan reports a leak or a
 * double free otherwise).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"

static void
test_init_is_empty(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	assert_int_equal(b.failed, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_append_and_puts(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_puts(&b, "def"), 0);
	assert_int_equal(buf_append(&b, "ghi", 0), 0);
	assert_int_equal(b.len, 6);
	assert_string_equal(buf_cstr(&b), "abcdef");
	/* Binary data with a NUL keeps its length. */
	assert_int_equal(buf_append(&b, "x\0y", 3), 0);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "abcdefx\0y", 10);
	buf_free(&b);
}

static void
test_ceiling_exact_fit(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(b.len, 5);
	assert_int_equal(b.failed, 0);
	assert_string_equal(buf_cstr(&b), "12345");
	assert_true(b.cap <= 6);	/* never allocates past max + NUL */
	buf_free(&b);
}

static void
test_ceiling_one_over(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "1234"), 0);
	assert_int_equal(buf_puts(&b, "56"), -1);
	assert_int_equal(b.failed, 1);
	/* The failed append left nothing behind. */
	assert_int_equal(b.len, 4);
	assert_string_equal(buf_cstr(&b), "1234");
	buf_free(&b);
}

static void
test_ceiling_zero(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_puts(&b, "a"), -1);
	assert_int_equal(b.failed, 1);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_huge_length_rejected(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_puts(&b, "a"), 0);
	/* len + n would overflow size_t: must fail, not wrap. */
	assert_int_equal(buf_append(&b, "b", SIZE_MAX), -1);
	assert_int_equal(b.failed, 1);
	assert_string_equal(buf_cstr(&b), "a");
	buf_free(&b);
}

static void
test_failed_is_sticky_until_reset(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "123456789"), -1);
	assert_int_equal(b.failed, 1);
	/* Would fit, but the buffer already lost text: refuse. */
	assert_int_equal(buf_puts(&b, "ab"), -1);
	assert_int_equal(buf_printf(&b, "%d", 1), -1);
	assert_string_equal(buf_cstr(&b), "");
	buf_reset(&b);
	assert_int_equal(b.failed, 0);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_string_equal(buf_cstr(&b), "ab");
	buf_free(&b);
}

static void
test_null_input_fails(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, NULL), -1);
	assert_int_equal(b.failed, 1);
	buf_free(&b);
}

static void
test_printf_small(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	assert_int_equal(buf_printf(&b, ";%s", ""), 0);
	assert_string_equal(buf_cstr(&b), "n=42;");
	assert_int_equal(b.len, 5);
	buf_free(&b);
}

static void
test_printf_grows(void **state)
{
	struct buf	 b;
	char		 big[5000];
	size_t		 i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "start:"), 0);
	assert_int_equal(buf_printf(&b, "%s|%05d", big, 7), 0);
	assert_int_equal(b.len, 6 + 4999 + 6);
	assert_memory_equal(b.data, "start:", 6);
	for (i = 6; i < 6 + 4999; i++)
		assert_int_equal(b.data[i], 'x');
	assert_string_equal(b.data + 6 + 4999, "|00007");
	/* Many small appends through several reallocations. */
	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%03zu,", i), 0);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.data + 3996, "999,", 4);
	assert_int_equal(b.data[4000], '\0');
	buf_free(&b);
}

static void
test_printf_ceiling(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%s", "0123456789"), 0);
	assert_int_equal(b.len, 10);
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%s", "abc"), 0);
	assert_int_equal(buf_printf(&b, "%d", 12345678), -1);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.len, 3);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_free(&b);
}

/* Printing into a buffer that already has room must not leave a partial
 * write behind when the text turns out to be over the ceiling. */
static void
test_printf_ceiling_within_allocation(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_puts(&b, "ab"), 0);	/* allocates 64 */
	b.max = 4;					/* tighten the ceiling */
	assert_int_equal(buf_printf(&b, "%s", "cdef"), -1);
	assert_string_equal(buf_cstr(&b), "ab");
	assert_int_equal(b.len, 2);
	buf_free(&b);
}

static void
test_self_append(void **state)
{
	struct buf	 b;
	int		 i;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	/* Doubling from its own data forces realloc under the source. */
	for (i = 0; i < 10; i++)
		assert_int_equal(buf_append(&b, b.data, b.len), 0);
	assert_int_equal(b.len, 2048);
	for (i = 0; i < 2048; i += 2)
		assert_memory_equal(b.data + i, "ab", 2);
	buf_free(&b);
}

static void
test_steal(void **state)
{
	struct buf	 b;
	char		*s;
	size_t		 len = 99;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "hello"), 0);
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	/* The buffer is empty and usable, with the same ceiling. */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "again"), 0);
	assert_string_equal(buf_cstr(&b), "again");
	free(s);
	buf_free(&b);
}

static void
test_steal_empty(void **state)
{
	struct buf	 b;
	char		*s;
	size_t		 len = 99;

	(void)state;
	buf_init(&b, 100);
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	s = buf_steal(&b, NULL);
	assert_non_null(s);
	free(s);
	buf_free(&b);
}

static void
test_reset_keeps_allocation(void **state)
{
	struct buf	 b;
	char		*before;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "some text"), 0);
	before = b.data;
	buf_reset(&b);
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.max, 100);
	buf_free(&b);
}

static void
test_free_twice_and_zeroed(void **state)
{
	struct buf	 b, z;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "x"), 0);
	buf_free(&b);
	assert_null(b.data);
	buf_free(&b);
	memset(&z, 0, sizeof(z));
	buf_free(&z);
	buf_free(NULL);
}

static void
test_blob_copy_and_nul(void **state)
{
	char src[4] = { 'a', '\0', 'b', 'c' };
	struct blob *b;

	(void)state;
	b = blob_new(src, sizeof(src));
	assert_non_null(b);
	src[0] = 'z';
	assert_int_equal(blob_len(b), 4);
	assert_memory_equal(blob_data(b), "a\0bc", 4);
	assert_int_equal(blob_data(b)[4], '\0');
	blob_unref(b);
	blob_unref(NULL);
	b = blob_new("", 0);
	assert_non_null(b);
	assert_int_equal(blob_len(b), 0);
	assert_string_equal(blob_data(b), "");
	blob_unref(b);
}

#define BLOB_THREADS	8
#define BLOB_ROUNDS	10000

static void *
blob_churn(void *arg)
{
	struct blob *b = arg;
	int i;

	for (i = 0; i < BLOB_ROUNDS; i++)
		blob_unref(blob_ref(b));
	blob_unref(b);		/* the reference main took for this thread */
	return NULL;
}

static void
test_blob_shared_between_threads(void **state)
{
	pthread_t t[BLOB_THREADS];
	struct blob *b;
	int i;

	(void)state;
	b = blob_new("shared", 6);
	assert_non_null(b);
	for (i = 0; i < BLOB_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, blob_churn,
		    blob_ref(b)), 0);
	for (i = 0; i < BLOB_THREADS; i++)
		pthread_join(t[i], NULL);
	/* Only main's reference is left: the bytes are intact. */
	assert_string_equal(blob_data(b), "shared");
	blob_unref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty),
		cmocka_unit_test(test_blob_copy_and_nul),
		cmocka_unit_test(test_blob_shared_between_threads),
		cmocka_unit_test(test_append_and_puts),
		cmocka_unit_test(test_ceiling_exact_fit),
		cmocka_unit_test(test_ceiling_one_over),
		cmocka_unit_test(test_ceiling_zero),
		cmocka_unit_test(test_huge_length_rejected),
		cmocka_unit_test(test_failed_is_sticky_until_reset),
		cmocka_unit_test(test_null_input_fails),
		cmocka_unit_test(test_printf_small),
		cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_printf_ceiling),
		cmocka_unit_test(test_printf_ceiling_within_allocation),
		cmocka_unit_test(test_self_append),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_steal_empty),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_free_twice_and_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
