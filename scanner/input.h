/* input.h -- streaming reader of domain lists: plain lists, "rank,domain" CSV (Tranco,
 * Umbrella) and headered CSV with a domain and an optional sector column.
 * Contract: constant memory whatever the input length (one line buffer plus the interned
 * sector names); gzip and zstd compression detected from the content; UTF-8 BOM, blank
 * lines, '#' comments, surrounding spaces, upper case, trailing dots handled; IDN U-labels
 * become A-labels. Every non-blank, non-comment data line yields exactly one item, an
 * ILLEGAL item (with a reason) when the field is not a valid domain name. Not thread-safe:
 * one reader thread owns a struct input. */
#ifndef DS_INPUT_H
#define DS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"
#include "scanner/limits.h"

enum input_format { INPUT_AUTO = 0, INPUT_LIST, INPUT_RANK, INPUT_CSV };

struct input_config {
        enum input_format format;
        const char *domain_column; /* header name or 1-based number; NULL: auto */
        const char *sector_column; /* header name or 1-based number; NULL: none */
};

enum input_status {
        INPUT_ITEM_OK = 0,
        INPUT_ITEM_ILLEGAL,
        INPUT_ITEM_EXCLUDED, /* set by the scan (--exclude), never by the reader */
};

struct input_item {
        uint64_t line; /* 1-based physical line number in the (decompressed) input */
        int64_t rank;  /* -1 when the input has no rank */
        enum input_status status;
        char domain[DS_NAME_MAX_TEXT + 1]; /* normalized; "" when ILLEGAL */
        char raw[DS_INPUT_RAW_MAX + 1];    /* the field as read (trimmed), truncated */
        bool raw_differs;                  /* raw != domain: output carries "input" */
        const char *sector;                /* interned, valid until input_close(); NULL when none */
        char error[160];                   /* ILLEGAL: why, e.g. "label longer than 63 octets" */
};

struct input;

/* Open path ("-" or NULL: stdin). On failure returns -errno and writes a message to err. */
int input_open(struct input **out, const char *path, const struct input_config *cfg, char *err,
               size_t errlen);

/* Next data line: 1 with *item filled, 0 at end of input, -errno on a fatal read or
 * decompression error (input_error() says what). */
int input_next(struct input *in, struct input_item *item);

const char *input_error(const struct input *in);

/* Bytes consumed of the file as stored (compressed) and its size, 0 when unknown (pipe):
 * for progress and ETA. Safe to call from another thread (relaxed atomics). */
void input_progress(const struct input *in, uint64_t *done, uint64_t *total);

/* Format that was detected (or forced), and its name: "list", "rank", "csv". */
enum input_format input_format_of(const struct input *in);
const char *input_format_name(enum input_format f);

/* What was read, for the summary (reader thread, or once it ended): data lines returned,
 * and the SHA-256 of the file as stored (compressed or not), in lower-case hex, computed
 * as the bytes were read -- false (hex "") unless it was read to its end without error. */
uint64_t input_rows(const struct input *in);
bool input_sha256(const struct input *in, char hex[65]);

void input_close(struct input *in);

#endif
