/* resume.c -- a scan's checkpoint set up, an earlier run's taken over, a finished one marked. */
#include "scanner/resume.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scanner/dmarc/psl.h"

/* Output to a regular file (or one about to be created) from input files: checkpoints are
 * kept, so that --resume can continue this run. */
static bool can_checkpoint(const struct scan_config *cfg)
{
        struct stat st;
        if (!cfg->output || strcmp(cfg->output, "-") == 0)
                return false;
        return stat(cfg->output, &st) < 0 ? errno == ENOENT : S_ISREG(st.st_mode);
}

static int resume_from(struct resume *r, const struct scan_config *cfg, const char *ident,
                       char *err, size_t errlen)
{
        char why[600];
        if (checkpoint_same_scan(r->ckpt.ident, ident, why, sizeof(why)) < 0) {
                snprintf(err, errlen,
                         "--resume: %s; run the command that wrote %s again, or leave out "
                         "--resume to start afresh (that overwrites %s)",
                         why, r->ckpt.path, cfg->output);
                return -EINVAL;
        }
        if (r->ckpt.complete) {
                fprintf(stderr,
                        "dmarcscan: %s is complete (%" PRIu64 " lines, checkpoint %s): nothing "
                        "to resume\n",
                        cfg->output, r->ckpt.done.count, r->ckpt.path);
                return 1;
        }
        if (ckpt_set_copy(&r->resumed, &r->ckpt.done) < 0) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        r->resuming = true;
        r->offset = r->ckpt.offset;
        r->lines = r->ckpt.done.count;
        fprintf(stderr,
                "dmarcscan: resuming from %s: %" PRIu64 " lines kept (%" PRIu64 " bytes of %s)\n",
                r->ckpt.path, r->lines, r->offset, cfg->output);
        return 0;
}

/* The scan's identity for the checkpoint; -errno (err set) when an input is not a file. */
static int scan_ident(const struct scan_config *cfg, const struct ds_psl *p, char **ident,
                      char *err, size_t errlen)
{
        const char *src = ds_psl_source(p), *date = ds_psl_date(p);
        char psl[600];
        snprintf(psl, sizeof(psl), "%s %s", src ? src : "none", date ? date : "");
        int rc = checkpoint_ident(ident, cfg, psl, err, errlen);
        if (rc < 0) {
                size_t n = strlen(err);
                snprintf(err + n, errlen - n, ": --resume needs input files");
        }
        return rc;
}

/* 0 resuming, or starting afresh when there is no checkpoint yet; 1 when complete. */
static int load_for_resume(struct resume *r, const struct scan_config *cfg, const char *path,
                           const char *ident, char *err, size_t errlen)
{
        int rc = checkpoint_load(&r->ckpt, path, err, errlen);
        if (rc == 0)
                return resume_from(r, cfg, ident, err, errlen);
        if (rc != -ENOENT)
                return rc;
        fprintf(stderr, "dmarcscan: no checkpoint %s: starting from the beginning\n", path);
        return 0;
}

int resume_prepare(struct resume *r, const struct scan_config *cfg, const struct ds_psl *psl,
                   char *err, size_t errlen)
{
        char *ident = NULL;
        if (!can_checkpoint(cfg)) {
                if (!cfg->resume)
                        return 0;
                snprintf(err, errlen, "--resume: %s is not a regular file", cfg->output);
                return -EINVAL;
        }
        int rc = scan_ident(cfg, psl, &ident, err, errlen);
        if (rc < 0) /* an input that cannot be read again: it cannot be resumed either */
                return cfg->resume ? rc : 0;
        char *path = checkpoint_path_for(cfg->output);
        rc = path ? 0 : -ENOMEM;
        if (rc == 0 && cfg->resume)
                rc = load_for_resume(r, cfg, path, ident, err, errlen);
        if (rc == 0 && !r->resuming) {
                checkpoint_free(&r->ckpt);
                rc = checkpoint_init(&r->ckpt, path, ident);
                if (rc == 0 && (rc = checkpoint_save(&r->ckpt)) < 0)
                        snprintf(err, errlen, "%s (kept beside the output %s)", r->ckpt.err,
                                 cfg->output);
        }
        if (rc == -ENOMEM)
                snprintf(err, errlen, "out of memory");
        r->checkpointing = rc == 0;
        free(ident);
        free(path);
        return rc;
}

void resume_mark_complete(struct resume *r, uint64_t items, bool clean)
{
        if (!r->checkpointing || !clean || r->ckpt.done.count != items ||
            r->ckpt.done.base != items)
                return;
        r->ckpt.complete = true;
        if (checkpoint_save(&r->ckpt) < 0)
                fprintf(stderr, "dmarcscan: %s\n", r->ckpt.err);
}

void resume_free(struct resume *r)
{
        checkpoint_free(&r->ckpt);
        ckpt_set_free(&r->resumed);
}
