/* resume.h -- the scan's checkpoints and --resume: whether this run keeps a checkpoint
 * beside its output, what an earlier run left durable, and the mark of a finished scan.
 * Contract: resume_prepare() runs before the output is opened (a fresh run first replaces
 * any old checkpoint by an empty one, so that a crash before its first checkpoint cannot
 * pair an old checkpoint with the new output); while the writer runs, ckpt is the writer
 * thread's (its sync callback) and resumed, a copy of what was durable when this run
 * started, the loop thread's; resume_mark_complete() after the writer closed. */
#ifndef DS_RESUME_H
#define DS_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/checkpoint.h"
#include "scanner/cli.h"

struct ds_psl;

struct resume {
        bool checkpointing; /* a checkpoint is kept beside the output */
        bool resuming;      /* --resume continues an earlier run */
        struct checkpoint ckpt;
        struct ckpt_set resumed;
        uint64_t offset; /* output bytes kept from the earlier runs */
        uint64_t lines;  /* lines those bytes hold */
};

/* 0 (checkpointing or not, resuming or not), 1 when a --resume finds the scan complete
 * (nothing to do), or -errno with err set. psl: the list the scan reads (its identity is
 * part of the scan's). */
int resume_prepare(struct resume *r, const struct scan_config *cfg, const struct ds_psl *psl,
                   char *err, size_t errlen);

/* After the writer closed without error: a scan that wrote every one of items input lines
 * (clean: not interrupted, no input or output error) says so, and a later --resume then
 * has nothing to do. */
void resume_mark_complete(struct resume *r, uint64_t items, bool clean);

void resume_free(struct resume *r);

#endif
