/* fuzz_input.c -- fuzz targets for the domain-list reader (scanner/input.c): built twice,
 * as input_lines (FUZZ_INPUT_CSV 0: the line reader, BOM/comment/blank handling, gzip and
 * zstd detection, list and auto-detected formats, and domain_normalize_field on the raw
 * bytes) and as input_csv (FUZZ_INPUT_CSV 1: rank CSV and headered CSV under the column
 * options a user can give).
 * The reader opens paths, so the bytes go to a memfd opened through /proc/self/fd.
 * Properties: no crash and no sanitizer report; input_open and input_next return 1, 0 or a
 * negative errno with a message; every item is well formed (an OK item's domain is its own
 * normalization, an ILLEGAL one has an empty domain and a reason, lines never go back). */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scanner/domain.h"
#include "scanner/input.h"

#ifndef FUZZ_INPUT_CSV
#error "FUZZ_INPUT_CSV must be 0 (input_lines) or 1 (input_csv)"
#endif

/* Decompressed input can be far longer than the fuzz input: stop after this many items. */
#define ITEMS_MAX 20000

static const struct input_config configs[] = {
#if FUZZ_INPUT_CSV
    {INPUT_RANK, NULL, NULL},
    {INPUT_CSV, NULL, NULL},
    {INPUT_CSV, "2", "3"},
    {INPUT_CSV, "Domain", "sector"},
#else
    {INPUT_AUTO, NULL, NULL},
    {INPUT_LIST, NULL, NULL},
#endif
};

static struct {
        int fd; /* the memfd, made once; 0 before */
        char path[64];
        struct input_item item;
        char norm[DS_NAME_MAX_TEXT + 1];
} st;

static void write_memfd(const uint8_t *data, size_t size)
{
        if (st.fd <= 0) {
                st.fd = memfd_create("fuzz-input", MFD_CLOEXEC);
                fuzz_check(st.fd > 0);
                snprintf(st.path, sizeof st.path, "/proc/self/fd/%d", st.fd);
        }
        fuzz_check(ftruncate(st.fd, 0) == 0);
        fuzz_check(pwrite(st.fd, data, size, 0) == (ssize_t)size);
}

/* An OK domain normalizes to itself: normalization is idempotent. */
static void check_normal(const char *domain)
{
        char again[DS_NAME_MAX_TEXT + 1];
        const char *reason = NULL;
        size_t n = strlen(domain);
        fuzz_check(n > 0 && n <= DS_NAME_MAX_TEXT);
        fuzz_check(domain_normalize_field(domain, n, again, sizeof again, &reason) == 0);
        fuzz_check(strcmp(again, domain) == 0);
}

static void check_item(const struct input_item *it, uint64_t prev_line)
{
        fuzz_check(it->line > prev_line);
        fuzz_check(memchr(it->raw, '\0', sizeof it->raw) != NULL);
        fuzz_check(memchr(it->error, '\0', sizeof it->error) != NULL);
        if (it->status == INPUT_ITEM_OK) {
                check_normal(it->domain);
                fuzz_check(it->raw_differs == (strcmp(it->raw, it->domain) != 0));
                fuzz_check(it->error[0] == '\0');
        } else {
                fuzz_check(it->status == INPUT_ITEM_ILLEGAL);
                fuzz_check(it->domain[0] == '\0' && it->error[0] != '\0');
        }
        fuzz_check(it->rank == -1 || it->rank > 0);
        if (it->sector)
                fuzz_check(it->sector[0] != '\0' && strlen(it->sector) <= DS_SECTOR_MAX);
}

static void read_all(const struct input_config *cfg)
{
        struct input *in = NULL;
        char err[256] = "";
        uint64_t prev = 0;
        int rc;

        rc = input_open(&in, st.path, cfg, err, sizeof err);
        if (rc < 0) {
                fuzz_check(in == NULL && err[0] != '\0');
                return;
        }
        for (unsigned n = 0; n < ITEMS_MAX; n++) {
                rc = input_next(in, &st.item);
                if (rc != 1)
                        break;
                check_item(&st.item, prev);
                prev = st.item.line;
        }
        fuzz_check(rc >= 0 || input_error(in)[0] != '\0');
        if (rc == 0)
                fuzz_check(input_next(in, &st.item) == 0);
        input_close(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        write_memfd(data, size);
        for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
                read_all(&configs[i]);
#if !FUZZ_INPUT_CSV
        const char *reason = NULL;
        if (domain_normalize_field((const char *)data, size, st.norm, sizeof st.norm, &reason) == 0)
                check_normal(st.norm);
        else
                fuzz_check(reason != NULL);
#endif
        return 0;
}
