/* fuzz_dmarc.c -- fuzz target: the DMARC record grammar (scanner/dmarc.c).
 * Properties: no crash and no sanitizer report on any bytes (the input is the TXT text, read
 * from libFuzzer's exact-size buffer so ASan sees any overread); the result has every
 * property tests/dmarc_invariants.h states; the return code agrees with the verdict; the
 * parse is a pure function of its input (a second parse, into a record whose storage held
 * the previous input's result, gives the same result), and a parse without sentences
 * (no_sentences) gives the same result but for the empty sentences. */
#include "asserts.h"
#include "fuzz.h"

#include "tests/grammar_util.h"
#include "tests/dmarc_invariants.h"

#include "scanner/dmarc/record.h"

/* "first" starts empty for every input; "again" is reused from one input to the next, as
 * the scanner reuses its own, so it holds the previous input's result when it parses. */
static struct {
        struct dmarc_record first, again, quiet; /* quiet: no_sentences, reused as again */
} out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = size ? (const char *)data : NULL;

        int rc = dmarc_parse(text, size, &out.first);
        fuzz_check(rc == (out.first.valid ? 0 : 1));
        dmarc_check_invariants(&out.first, size);
        fuzz_check(dmarc_parse(text, size, &out.again) == rc);
        dmarc_check_same(&out.first, &out.again);
        out.quiet.no_sentences = true;
        fuzz_check(dmarc_parse(text, size, &out.quiet) == rc);
        dmarc_check_invariants(&out.quiet, size);
        dmarc_check_same(&out.first, &out.quiet);
        dmarc_record_free(&out.first);
        return 0;
}
