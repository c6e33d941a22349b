/* asserts.h -- the cmocka assertions the shared test headers use (tests/grammar_util.h,
 * tests/dmarc_invariants.h, tests/spf_invariants.h), mapped onto fuzz_check, so a fuzz
 * target checks the very properties the unit tests check and a failure names its line.
 * Contract: include instead of <cmocka.h>, before those headers. */
#ifndef DS_FUZZ_ASSERTS_H
#define DS_FUZZ_ASSERTS_H

#include <string.h>

#include "fuzz.h"

#define assert_true(c)                fuzz_check(c)
#define assert_false(c)               fuzz_check(!(c))
#define assert_int_equal(a, b)        fuzz_check((a) == (b))
#define assert_non_null(p)            fuzz_check((p) != NULL)
#define assert_string_equal(a, b)     fuzz_check(strcmp((a), (b)) == 0)
#define assert_string_not_equal(a, b) fuzz_check(strcmp((a), (b)) != 0)
#define fail_msg(...)                                                                              \
        do {                                                                                       \
                fprintf(stderr, __VA_ARGS__);                                                      \
                abort();                                                                           \
        } while (0)

#endif
