/* state.h -- the parts of a domain's DMARC state (struct dmarc_state, scanner/dmarc/check.h)
 * that grow: the held text, which survives between lookups, and the per-receiver
 * authorization results. Both live inside the job up to a size (DS_HELD_INLINE bytes,
 * DS_AUTH_INLINE slots) and on the heap past it.
 * Contract: the state's owner thread only (the job's, check.h). Growth runs on a classifier
 * mid-scan: out of memory aborts (common/check.h). dmarc_state_release() frees what grew
 * and may be called again.
 *
 * Held text layout: [u8 n][n bytes: the domain's own lookup's CNAME target] (held_base ends
 * it), then for the held name: [u8 n][its CNAME target] and per record [u16 n][n bytes]. */
#ifndef DS_DMARC_STATE_H
#define DS_DMARC_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/dmarc/check.h"

static inline uint8_t *held_buf(struct dmarc_state *st)
{
        return st->held_big ? st->held_big : st->held_inl;
}

/* Append n bytes to the held text. */
void held_put(struct dmarc_state *st, const void *data, size_t n);
/* Append a [u8 n][bytes] name. */
void held_put_name(struct dmarc_state *st, const char *name);
/* Read a [u8 n][bytes] name at *pos into out (DS_NAME_MAX_TEXT + 1 bytes); *pos moves on. */
void held_get_name(struct dmarc_state *st, uint32_t *pos, char *out);
/* The domain's own lookup is done: its CNAME target starts the held text. */
void held_set_own(struct dmarc_state *st, const char *target);

/* Receiver k's authorization result (a zero slot when never asked). */
struct auth_slot auth_get(const struct dmarc_state *st, unsigned k);
/* Where receiver k's result goes; past the inline slots the heap part grows, zeroed (a
 * record naming more than DS_AUTH_INLINE external receivers is rare). */
struct auth_slot *auth_at(struct dmarc_state *st, unsigned k);

void dmarc_state_release(struct dmarc_state *st);

#endif
