/* fuzz.h -- what every fuzz target shares: the libFuzzer entry point it defines and the
 * check that turns a broken property into a crash libFuzzer records (with the input).
 * Contract: fuzz_check never returns on a false condition; it names the file, line and the
 * property, then aborts, so the same input fails under libFuzzer and under replay.c. */
#ifndef DS_FUZZ_H
#define DS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(cond)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "fuzz: property failed: %s:%d: %s\n", __FILE__, __LINE__,  \
                                #cond);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

#endif
