/* fuzz_spf.c -- fuzz target: the SPF record grammar (scanner/spf/record.c), one record
 * through spf_parse() and, split at '\n', several TXT strings through spf_select().
 * Properties: no crash and no sanitizer report on any bytes (exact-size buffers, so ASan
 * sees any overread); every result has the properties tests/spf_invariants.h states; the
 * return code agrees with the result; spf_is_record() agrees with a result of none; the
 * parse is a pure function of its input (a second parse, into a record whose storage held
 * the previous input's result, gives the same result). */
#include "asserts.h"
#include "fuzz.h"

#include <errno.h>

#include "tests/grammar_util.h"
#include "tests/spf_invariants.h"

#include "scanner/spf/record.h"

#define TXTS_MAX 8

/* "first" starts empty for every input; "again" is reused from one input to the next, as
 * the scanner reuses its own, so it holds the previous input's result when it parses. */
static struct {
        struct spf_record first, again;
        struct spf_txt txts[TXTS_MAX];
} st;

static void check_parse(const char *text, size_t size)
{
        int rc = spf_parse(text, size, &st.first);
        if (size > DS_TXT_MAX) {
                fuzz_check(rc == -EINVAL);
                return;
        }
        fuzz_check(rc == (st.first.result == SPF_RESULT_OK ? 0 : 1));
        fuzz_check(spf_is_record(text, size) == (st.first.result != SPF_RESULT_NONE));
        spf_check_invariants(&st.first, size);
        fuzz_check(spf_parse(text, size, &st.again) == rc);
        spf_check_same(&st.first, &st.again);
        spf_record_free(&st.first);
}

/* The same bytes as the TXT strings at one name, separated by '\n'. Offsets in the result
 * are into the selected string, so the invariants are checked against the longest one. */
static void check_select(const char *text, size_t size)
{
        size_t n = 0, start = 0, longest = 0, nrec = 0;
        for (size_t i = 0; i <= size && n < TXTS_MAX; i++) {
                if (i < size && text[i] != '\n')
                        continue;
                st.txts[n++] = (struct spf_txt){text + start, i - start};
                nrec += spf_is_record(text + start, i - start);
                longest = i - start > longest ? i - start : longest;
                start = i + 1;
        }
        int rc = spf_select(st.txts, n, &st.first);
        fuzz_check(rc == (st.first.result == SPF_RESULT_OK ? 0 : 1));
        fuzz_check(st.first.records == nrec);
        fuzz_check(nrec != 0 || st.first.result == SPF_RESULT_NONE);
        fuzz_check(nrec < 2 || st.first.result == SPF_RESULT_PERMERROR);
        spf_check_invariants(&st.first, longest);
        spf_record_free(&st.first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = size ? (const char *)data : NULL;

        check_parse(text, size);
        if (size > 0 && size <= DS_TXT_MAX)
                check_select(text, size);
        return 0;
}
