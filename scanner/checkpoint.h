/* checkpoint.h -- what --resume continues from: which input items already have their line
 * durably in the output, and how many output bytes hold exactly those lines.
 * Contract: items are named by sequence number (their position in the input, counted across
 * input files from 0). The file (OUTPUT.checkpoint, beside the output) is only ever replaced
 * atomically: written to FILE.tmp, fsynced, renamed over FILE, and the directory fsynced, so
 * after a crash or power loss it holds the previous or the next state, never a torn one; a
 * CRC over its text catches any other damage. Its identity text (the inputs' paths, sizes,
 * modification times and a hash of their first MiB; the options that change what a line
 * says; the output path) binds it to one scan: checkpoint_same_scan() refuses another.
 * The durable set is kept as "every item below base" plus the holes between base and the
 * highest durable item: holes are items in flight or still in the writer pipeline, so the
 * file stays small however long the scan. Not thread-safe: one thread at a time. */
#ifndef DS_CHECKPOINT_H
#define DS_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/cli.h"

#define CHECKPOINT_SUFFIX ".checkpoint"

/* A set of sequence numbers that grows mostly in order. */
struct ckpt_set {
        uint64_t base;   /* every seq below base is a member, base is not */
        uint64_t top;    /* one past the highest member */
        uint64_t count;  /* members */
        uint64_t origin; /* seq of bit 0 of w[0]: a multiple of 64, at most base */
        uint64_t *w;     /* owned bitmap from origin to top */
        size_t nw, cap;
};

void ckpt_set_init(struct ckpt_set *s);
void ckpt_set_free(struct ckpt_set *s);
/* Returns false when seq was a member already. */
bool ckpt_set_add(struct ckpt_set *s, uint64_t seq);
bool ckpt_set_has(const struct ckpt_set *s, uint64_t seq);
/* Non-members between base and top, ascending, into out (at most max); returns how many
 * there are in all (top - count). */
uint64_t ckpt_set_holes(const struct ckpt_set *s, uint64_t *out, size_t max);
/* Replace s by [0, base) plus [base, top) without holes[0..nholes) (ascending, inside
 * [base, top)). -EINVAL when they are not. */
int ckpt_set_load(struct ckpt_set *s, uint64_t base, uint64_t top, const uint64_t *holes,
                  size_t nholes);
int ckpt_set_copy(struct ckpt_set *dst, const struct ckpt_set *src);

struct checkpoint {
        char *path;           /* owned: OUTPUT.checkpoint */
        char *ident;          /* owned: identity lines, "key value\n" each */
        uint64_t offset;      /* output bytes that hold exactly the durable lines */
        bool complete;        /* the scan ended with every input line written */
        struct ckpt_set done; /* items whose line is durable */
        char err[600];        /* why the last save failed */
};

/* An empty checkpoint (nothing durable, offset 0) for path, owning a copy of ident. */
int checkpoint_init(struct checkpoint *c, const char *path, const char *ident);
void checkpoint_free(struct checkpoint *c);

/* Write c atomically (see above). 0, or -errno with c->err naming the file. */
int checkpoint_save(struct checkpoint *c);

/* Read path into c (initialized by this call). -ENOENT when there is none; other errors
 * (-EINVAL for a damaged or foreign file) with a message in err. */
int checkpoint_load(struct checkpoint *c, const char *path, char *err, size_t errlen);

/* 0 when saved and current identity texts are of the same scan, else -EINVAL with a sentence
 * saying what differs (an input, an option) in why. */
int checkpoint_same_scan(const char *saved, const char *current, char *why, size_t len);

/* The identity text of the scan cfg describes (psl: the Public Suffix List's source and
 * date, or NULL), into *out (owned by the caller). -errno with a message when an input is
 * not a regular file (stdin, a pipe): such a scan cannot be resumed. */
int checkpoint_ident(char **out, const struct scan_config *cfg, const char *psl, char *err,
                     size_t errlen);

/* "OUTPUT.checkpoint" into a new string; NULL when out of memory. */
char *checkpoint_path_for(const char *output);

#endif
