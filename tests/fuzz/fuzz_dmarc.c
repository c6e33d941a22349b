/* fuzz_dmarc.c -- fuzz target: the DMARC record grammar (scanner/dmarc.c).
 * Properties: no crash and no sanitizer report on any bytes (the input is the TXT text, read
 * from libFuzzer's exact-size buffer so ASan sees any overread); the result has every
 * property tests/dmarc_invariants.h states; the return code agrees with the verdict; the
 * parse is a pure function (a second parse into a dirty struct gives the same bytes). */
#include "asserts.h"
#include "fuzz.h"

#include "tests/grammar_util.h"
#include "tests/dmarc_invariants.h"

#include "scanner/dmarc/record.h"

/* Two results, outside the stack: each is tens of kilobytes. */
static struct {
        struct dmarc_record first, again;
} out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = size ? (const char *)data : NULL;

        int rc = dmarc_parse(text, size, &out.first);
        fuzz_check(rc == (out.first.valid ? 0 : 1));
        dmarc_check_invariants(&out.first, size);
        memset(&out.again, 0xa5, sizeof out.again);
        fuzz_check(dmarc_parse(text, size, &out.again) == rc);
        fuzz_check(memcmp(&out.first, &out.again, sizeof out.first) == 0);
        return 0;
}
