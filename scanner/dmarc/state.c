/* state.c -- the growable parts of a domain's DMARC state (see state.h). */
#include "scanner/dmarc/state.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"

void held_put(struct dmarc_state *st, const void *data, size_t n)
{
        size_t cap = st->held_big ? st->held_cap : DS_HELD_INLINE;
        if (st->held_len + n > cap) {
                size_t ncap = cap * 2;
                while (ncap < st->held_len + n)
                        ncap *= 2;
                uint8_t *p = ds_xmalloc(ncap, "a job's held records");
                memcpy(p, held_buf(st), st->held_len);
                free(st->held_big);
                st->held_big = p;
                st->held_cap = (uint32_t)ncap;
        }
        memcpy(held_buf(st) + st->held_len, data, n);
        st->held_len += (uint32_t)n;
}

void held_put_name(struct dmarc_state *st, const char *name)
{
        uint8_t n = (uint8_t)strnlen(name, DS_NAME_MAX_TEXT);
        held_put(st, &n, 1);
        held_put(st, name, n);
}

void held_get_name(struct dmarc_state *st, uint32_t *pos, char *out)
{
        const uint8_t *p = held_buf(st) + *pos;
        memcpy(out, p + 1, p[0]);
        out[p[0]] = 0;
        *pos += 1u + p[0];
}

void held_set_own(struct dmarc_state *st, const char *target)
{
        st->held_len = 0;
        held_put_name(st, target);
        st->held_base = st->held_len;
}

struct auth_slot auth_get(const struct dmarc_state *st, unsigned k)
{
        if (k < DS_AUTH_INLINE)
                return st->auth[k];
        k -= DS_AUTH_INLINE;
        if ((k + 1) * sizeof(struct auth_slot) > st->auth_cap)
                return (struct auth_slot){0};
        return st->auth_big[k];
}

struct auth_slot *auth_at(struct dmarc_state *st, unsigned k)
{
        if (k < DS_AUTH_INLINE)
                return &st->auth[k];
        k -= DS_AUTH_INLINE;
        size_t old = st->auth_cap;
        st->auth_big = ds_xgrow(st->auth_big, &st->auth_cap, (k + 1) * sizeof(struct auth_slot),
                                "a job's authorization results");
        memset((char *)st->auth_big + old, 0, st->auth_cap - old);
        return &st->auth_big[k];
}

void dmarc_state_release(struct dmarc_state *st)
{
        free(st->held_big);
        st->held_big = NULL;
        free(st->auth_big);
        st->auth_big = NULL;
        st->auth_cap = 0;
}
