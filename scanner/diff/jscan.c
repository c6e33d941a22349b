/* jscan.c -- pull scanning of JSON text. */
#include "scanner/diff/jscan.h"

#include <string.h>

static bool fail(struct jscan *js)
{
        js->bad = true;
        return false;
}

void js_init(struct jscan *js, const char *p, size_t len)
{
        js->p = p;
        js->end = p + len;
        js->bad = false;
        js->fresh = false;
}

static void ws(struct jscan *js)
{
        while (js->p < js->end &&
               (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r'))
                js->p++;
}

enum js_type js_peek(struct jscan *js)
{
        ws(js);
        if (js->bad || js->p == js->end)
                return JS_BAD;
        switch (*js->p) {
        case '{':
                return JS_OBJECT;
        case '[':
                return JS_ARRAY;
        case '"':
                return JS_STRING;
        case 't':
                return JS_TRUE;
        case 'f':
                return JS_FALSE;
        case 'n':
                return JS_NULL;
        default:
                return (*js->p == '-' || (*js->p >= '0' && *js->p <= '9')) ? JS_NUMBER : JS_BAD;
        }
}

/* Past a string whose opening quote is at p; false when it does not end. */
static bool skip_string(struct jscan *js)
{
        const char *p = js->p + 1;
        for (;;) {
                const char *q = memchr(p, '"', (size_t)(js->end - p));
                if (!q)
                        return fail(js);
                /* The quote ends the string unless an odd run of backslashes precedes it. */
                const char *b = q;
                while (b > p && b[-1] == '\\')
                        b--;
                if ((q - b) % 2 == 0) {
                        js->p = q + 1;
                        return true;
                }
                p = q + 1;
        }
}

static bool skip_container(struct jscan *js)
{
        size_t depth = 0;
        while (js->p < js->end) {
                char c = *js->p;
                if (c == '"') {
                        if (!skip_string(js))
                                return false;
                        continue;
                }
                if (c == '{' || c == '[')
                        depth++;
                else if ((c == '}' || c == ']') && --depth == 0) {
                        js->p++;
                        return true;
                }
                js->p++;
        }
        return fail(js);
}

bool js_skip(struct jscan *js)
{
        switch (js_peek(js)) {
        case JS_BAD:
                return fail(js);
        case JS_STRING:
                return skip_string(js);
        case JS_OBJECT:
        case JS_ARRAY:
                return skip_container(js);
        default: /* a number or literal: up to the next delimiter */
                while (js->p < js->end && !strchr(",}] \t\r\n", *js->p))
                        js->p++;
                return true;
        }
}

bool js_enter(struct jscan *js)
{
        enum js_type t = js_peek(js);
        if (t != JS_OBJECT && t != JS_ARRAY)
                return fail(js);
        js->p++;
        js->fresh = true;
        return true;
}

/* After a member or element: ',' (consumed) -> 1, the closer (consumed) -> 0, else bad. */
static int next_or_close(struct jscan *js, char closer, bool first)
{
        ws(js);
        if (js->bad || js->p == js->end)
                return fail(js) ? 0 : -1;
        if (*js->p == closer) {
                js->p++;
                return 0;
        }
        if (!first) {
                if (*js->p != ',')
                        return fail(js) ? 0 : -1;
                js->p++;
        }
        return 1;
}

int js_key(struct jscan *js, const char **key, size_t *klen)
{
        int rc = next_or_close(js, '}', js->fresh);
        js->fresh = false;
        if (rc <= 0)
                return rc;
        if (js_peek(js) != JS_STRING)
                return fail(js) ? 0 : -1;
        const char *k = js->p + 1;
        if (!skip_string(js))
                return -1;
        *key = k;
        *klen = (size_t)(js->p - 1 - k);
        ws(js);
        if (js->p == js->end || *js->p != ':')
                return fail(js) ? 0 : -1;
        js->p++;
        return 1;
}

int js_elem(struct jscan *js)
{
        bool first = js->fresh;
        js->fresh = false;
        return next_or_close(js, ']', first);
}

static int hex4(const char *p)
{
        int v = 0;
        for (int i = 0; i < 4; i++) {
                char c = p[i];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0)
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

static size_t utf8(unsigned cp, char *o)
{
        if (cp < 0x80) {
                o[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                o[0] = (char)(0xc0 | cp >> 6);
                o[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                o[0] = (char)(0xe0 | cp >> 12);
                o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                o[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        o[0] = (char)(0xf0 | cp >> 18);
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

/* The code point of the \u escape at p (p[0] == 'u'), a surrogate pair taken whole;
 * *used: the characters after the backslash it took. -1 when malformed. */
static long unicode_escape(const char *p, const char *end, size_t *used)
{
        if (end - p < 5)
                return -1;
        int hi = hex4(p + 1);
        *used = 5;
        if (hi < 0xd800 || hi > 0xdfff)
                return hi;
        if (hi > 0xdbff || end - p < 11 || p[5] != '\\' || p[6] != 'u')
                return 0xfffd; /* a lone surrogate: as a parser that replaces it */
        int lo = hex4(p + 7);
        if (lo < 0xdc00 || lo > 0xdfff)
                return 0xfffd;
        *used = 11;
        return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

bool js_string(struct jscan *js, char *out, size_t cap, size_t *len)
{
        if (js_peek(js) != JS_STRING)
                return fail(js);
        const char *p = js->p + 1;
        size_t n = 0;
        while (p < js->end && *p != '"') {
                char buf[4];
                size_t k = 1;
                if (*p != '\\') {
                        buf[0] = *p++;
                } else {
                        if (js->end - p < 2)
                                return fail(js);
                        char e = p[1];
                        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
                        const char *at = e ? strchr(from, e) : NULL;
                        if (at) {
                                buf[0] = to[at - from];
                                p += 2;
                        } else if (e == 'u') {
                                size_t used;
                                long cp = unicode_escape(p + 1, js->end, &used);
                                if (cp < 0)
                                        return fail(js);
                                k = utf8((unsigned)cp, buf);
                                p += 1 + used;
                        } else {
                                return fail(js);
                        }
                }
                if (n + k > cap)
                        return fail(js);
                memcpy(out + n, buf, k);
                n += k;
        }
        if (p == js->end)
                return fail(js);
        js->p = p + 1;
        *len = n;
        return true;
}

enum js_type js_literal(struct jscan *js)
{
        static const char *const words[] = {"true", "false", "null"};
        static const enum js_type types[] = {JS_TRUE, JS_FALSE, JS_NULL};
        enum js_type t = js_peek(js);
        for (int i = 0; i < 3; i++)
                if (t == types[i]) {
                        size_t n = strlen(words[i]);
                        if ((size_t)(js->end - js->p) < n || memcmp(js->p, words[i], n) != 0)
                                break;
                        js->p += n;
                        return t;
                }
        fail(js);
        return JS_BAD;
}

bool js_at_end(struct jscan *js)
{
        ws(js);
        return !js->bad && js->p == js->end;
}

bool js_key_is(const char *key, size_t klen, const char *name)
{
        return strlen(name) == klen && memcmp(key, name, klen) == 0;
}
