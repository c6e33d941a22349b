/* text.c -- see text.h. */
#include "common/text.h"

#include <string.h>

/* One pass, no strlen: the grammars call this for every tag name against each keyword, and
 * most comparisons fail at the first byte. */
bool ds_ascii_ieq_rest(const char *p, size_t n, const char *lit)
{
        for (size_t i = 0; i < n; i++)
                if (lit[i] == '\0' || ds_ascii_lower((unsigned char)p[i]) != (unsigned char)lit[i])
                        return false;
        return lit[n] == '\0';
}

size_t ds_concat(char *dst, size_t cap, const char *const *parts, size_t n)
{
        size_t used = 0;
        for (size_t i = 0; i < n && used + 1 < cap; i++) {
                size_t len = strnlen(parts[i], cap - 1 - used);
                memcpy(dst + used, parts[i], len);
                used += len;
        }
        dst[used] = 0;
        return used;
}

const char *ds_snip(char *dst, size_t cap, const char *p, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
                size_t need = plain ? 1 : 4;
                size_t rest = (i + 1 < n) ? 3 : 0; /* room kept for "..." unless last */
                if (o + need + rest + 1 > cap) {
                        memcpy(dst + o, "...", 3);
                        o += 3;
                        break;
                }
                if (plain) {
                        dst[o++] = (char)c;
                } else {
                        dst[o++] = '\\';
                        dst[o++] = 'x';
                        dst[o++] = hex[c >> 4];
                        dst[o++] = hex[c & 15];
                }
        }
        dst[o] = '\0';
        return dst;
}

bool ds_listed(const char *const *list, const char *s)
{
        for (; *list; list++)
                if (strcmp(*list, s) == 0)
                        return true;
        return false;
}
