/* json.c -- JSON text builder for NDJSON lines (see json.h).
 * Contract: any input bytes yield valid JSON; no allocation except jbuf growth, which runs
 * mid-scan and so follows common/check.h (out of memory aborts); misuse of the jw_* nesting
 * is a broken invariant: a close with nothing open is dropped (the line stays valid),
 * overflow or a line ended with containers open cannot be repaired and aborts. */
#include "output/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

/* Escape classes: 0 copies the byte, 'u' writes \u00XX, MB sends the byte to the UTF-8
 * validator, any other value is the letter of a two-byte escape (\n, \", ...). */
#define U_ 'u'
#define MB 1
/* clang-format off */
static const unsigned char esc_class[256] = {
    U_,  U_, U_, U_, U_, U_, U_, U_, 'b', 't', 'n', U_, 'f', 'r', U_, U_, /* 0x00 */
    U_,  U_, U_, U_, U_, U_, U_, U_, U_,  U_,  U_,  U_, U_,  U_,  U_, U_, /* 0x10 */
    0,   0,  '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                  /* 0x20 */
    0,   0,  0,  0,  0,  0,  0,  0,  0,   0,   0,   0,  0,   0,   0,  0,  /* 0x30 */
    0,   0,  0,  0,  0,  0,  0,  0,  0,   0,   0,   0,  0,   0,   0,  0,  /* 0x40 */
    0,   0,  0,  0,  0,  0,  0,  0,  0,   0,   0,   0,  '\\', 0,  0,  0,  /* 0x50 */
    0,   0,  0,  0,  0,  0,  0,  0,  0,   0,   0,   0,  0,   0,   0,  0,  /* 0x60 */
    0,   0,  0,  0,  0,  0,  0,  0,  0,   0,   0,   0,  0,   0,   0,  U_, /* 0x70 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0x80 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0x90 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0xa0 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0xb0 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0xc0 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0xd0 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0xe0 */
    MB,  MB, MB, MB, MB, MB, MB, MB, MB,  MB,  MB,  MB, MB,  MB,  MB, MB, /* 0xf0 */
};
/* clang-format on */

static const char hex_digit[16] = "0123456789abcdef";

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* Worst case output per input byte: \ufffd or \u00XX (6 bytes); U+2028 is 3 -> 6. */
#define ESC_GROWTH 6

void jbuf_init(struct jbuf *b)
{
        b->p = NULL;
        b->len = 0;
        b->cap = 0;
}

void jbuf_free(struct jbuf *b)
{
        free(b->p);
        jbuf_init(b);
}

static void jbuf_grow(struct jbuf *b, size_t need)
{
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
                ds_require(cap <= SIZE_MAX / 2);
                cap *= 2;
        }
        b->p = ds_xrealloc(b->p, cap, "a JSON line");
        b->cap = cap;
}

/* Kept out of line so the capacity check in room() stays small enough to inline. */
__attribute__((noinline, cold)) static void jbuf_grow_by(struct jbuf *b, size_t n)
{
        ds_require(n <= SIZE_MAX - b->len);
        jbuf_grow(b, b->len + n);
}

static inline void room(struct jbuf *b, size_t n)
{
        if (n > b->cap - b->len)
                jbuf_grow_by(b, n);
}

void jbuf_reserve(struct jbuf *b, size_t n)
{
        room(b, n);
}

void jbuf_raw(struct jbuf *b, const char *s, size_t n)
{
        if (n == 0)
                return;
        room(b, n);
        memcpy(b->p + b->len, s, n);
        b->len += n;
}

static void jbuf_byte(struct jbuf *b, char c)
{
        room(b, 1);
        b->p[b->len++] = c;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 with *bad set to the length of its
 * maximal ill-formed prefix (Unicode ch. 3 "maximal subpart" replacement), so one U+FFFD
 * stands for exactly what Python, browsers and ICU would replace. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xbf;
        size_t need;

        if (c >= 0xc2 && c <= 0xdf) {
                need = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
                need = 3;
                lo = c == 0xe0 ? 0xa0 : lo; /* overlong */
                hi = c == 0xed ? 0x9f : hi; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
                need = 4;
                lo = c == 0xf0 ? 0x90 : lo; /* overlong */
                hi = c == 0xf4 ? 0x8f : hi; /* beyond U+10FFFF */
        } else {
                *bad = 1; /* continuation, C0/C1 overlong leads, F5..FF */
                return 0;
        }
        if (n < 2 || s[1] < lo || s[1] > hi) {
                *bad = 1;
                return 0;
        }
        size_t i = 2;
        while (i < need && i < n && (s[i] & 0xc0) == 0x80)
                i++;
        if (i == need)
                return need;
        *bad = i;
        return 0;
}

static char *put(char *d, const char *s, size_t n)
{
        memcpy(d, s, n);
        return d + n;
}

/* Handles the non-ASCII byte at s[0]; returns input bytes consumed, advances *dp. */
static size_t put_multibyte(char **dp, const unsigned char *s, size_t n)
{
        size_t bad = 0, len = utf8_seq(s, n, &bad);

        if (len == 0) {
                *dp = put(*dp, "\\ufffd", 6);
                return bad;
        }
        /* U+2028/2029 are legal in JSON but end a line in pre-ES2019 JavaScript. */
        if (len == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] & 0xfe) == 0xa8)
                *dp = put(*dp, s[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
        else
                *dp = put(*dp, (const char *)s, len);
        return len;
}

static char *put_escape(char *d, unsigned char c, unsigned char cls)
{
        *d++ = '\\';
        *d++ = (char)cls;
        if (cls == U_) {
                *d++ = '0';
                *d++ = '0';
                *d++ = hex_digit[c >> 4];
                *d++ = hex_digit[c & 15];
        }
        return d;
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Some byte of v is 0. */
static inline uint64_t zero_byte(uint64_t v)
{
        return (v - ONES) & ~v & HIGHS;
}

/* Every byte of v is one esc_class leaves as it is: 0x20-0x7e but '"' and '\\' (no high bit,
 * none below 0x20, none 0x7f). Lines are mostly such text: 8 bytes a test instead of 8
 * table lookups. */
static inline bool plain8(uint64_t v)
{
        uint64_t bad = (v & HIGHS) | ((v - 0x20 * ONES) & ~v & HIGHS) |
                       zero_byte(v ^ (0x7f * ONES)) | zero_byte(v ^ ('"' * ONES)) |
                       zero_byte(v ^ ('\\' * ONES));
        return bad == 0;
}

/* Keys this long or longer take put_str's path; values shorter are first tried whole. */
#define KEY_FAST 32

/* Sixteen bytes in one vector (GCC's generic vectors: SSE2 on x86-64, NEON on arm64), signed
 * so that one compare finds both the controls below 0x20 and the bytes of 0x80 and above. */
typedef signed char s8x16 __attribute__((vector_size(16)));

/* The bytes of v that esc_class does not leave as they are: -1 there, 0 elsewhere. */
static inline s8x16 needs_escape(s8x16 v)
{
        return (s8x16)((v < 0x20) | (v == 0x7f) | (v == '"') | (v == '\\'));
}

static inline bool none_set(s8x16 m)
{
        uint64_t w[2];
        memcpy(w, &m, 16);
        return (w[0] | w[1]) == 0;
}

static inline s8x16 load16(const void *p)
{
        s8x16 v;
        memcpy(&v, p, 16);
        return v;
}

static inline bool plain16(const unsigned char *s)
{
        return none_set(needs_escape(load16(s)));
}

/* Copies a short key's or value's n bytes (n < KEY_FAST) to d and, when check, says whether
 * none needs an escape. Whole words are copied (and tested), the last one overlapping the
 * one before, so a short string costs a few loads and stores whatever its length, where a
 * byte loop cost ~7 instructions a byte; from 8 bytes on, the test is one vector's for the
 * whole string. Inlined with check constant: a trusted key skips the tests. */
static inline __attribute__((always_inline)) bool copy_short(char *d, const char *key, size_t n,
                                                             bool check)
{
        if (n >= 16) {
                s8x16 a = load16(key), b = load16(key + n - 16);
                memcpy(d, &a, 16);
                memcpy(d + n - 16, &b, 16);
                return !check || none_set(needs_escape(a) | needs_escape(b));
        }
        uint64_t v;
        if (n >= 8) {
                uint64_t w[2];
                memcpy(&w[0], key, 8);
                memcpy(&w[1], key + n - 8, 8);
                memcpy(d, &w[0], 8);
                memcpy(d + n - 8, &w[1], 8);
                return !check || plain16((const unsigned char *)w);
        }
        if (n >= 4) {
                uint32_t lo, hi;
                memcpy(&lo, key, 4);
                memcpy(&hi, key + n - 4, 4);
                memcpy(d, &lo, 4);
                memcpy(d + n - 4, &hi, 4);
                return !check || plain8((uint64_t)lo | (uint64_t)hi << 32);
        }
        if (n == 0)
                return true;
        /* 1-3 bytes: the first, middle and last cover them all; spaces fill the word. */
        unsigned char b0 = (unsigned char)key[0], b1 = (unsigned char)key[n / 2],
                      b2 = (unsigned char)key[n - 1];
        d[0] = (char)b0;
        d[n / 2] = (char)b1;
        d[n - 1] = (char)b2;
        v = (uint64_t)b0 | (uint64_t)b1 << 8 | (uint64_t)b2 << 16 | 0x2020202020ull << 24;
        return !check || plain8(v);
}

/* Writes s as a quoted JSON string at d, which has room for n * ESC_GROWTH + 2 bytes. Most
 * strings are short keys and values of plain ASCII: bytes are checked and copied in one
 * pass, sixteen or eight at a time while they are plain, with no call per run. */
static char *put_str(char *d, const unsigned char *s, size_t n)
{
        *d++ = '"';
        /* Most values are short and plain: copied and tested whole, a few words at a time. */
        if (n < KEY_FAST && copy_short(d, (const char *)s, n, true)) {
                d[n] = '"';
                return d + n + 1;
        }
        /* A plain string, sixteen bytes at a time; its tail, shorter than that, as the last
         * sixteen bytes, overlapping the copy so far: in a plain prefix the output is the
         * input byte for byte, so they land where they were already written. */
        size_t i = 0;
        while (i + 16 <= n && plain16(s + i)) {
                memcpy(d + i, s + i, 16);
                i += 16;
        }
        if (i < n && i + 16 > n && n >= 16 && plain16(s + n - 16)) {
                memcpy(d + n - 16, s + n - 16, 16);
                d[n] = '"';
                return d + n + 1;
        }
        d += i;
        while (i < n) {
                if (i + 16 <= n && plain16(s + i)) {
                        memcpy(d, s + i, 16);
                        d += 16;
                        i += 16;
                        continue;
                }
                uint64_t v;
                if (i + 8 <= n) {
                        memcpy(&v, s + i, 8);
                        if (plain8(v)) {
                                memcpy(d, &v, 8);
                                d += 8;
                                i += 8;
                                continue;
                        }
                }
                unsigned char c = s[i], cls = esc_class[c];
                if (cls == 0) {
                        *d++ = (char)c;
                        i++;
                } else if (cls == MB) {
                        i += put_multibyte(&d, s + i, n - i);
                } else {
                        d = put_escape(d, c, cls);
                        i++;
                }
        }
        *d++ = '"';
        return d;
}

static size_t str_room(size_t n)
{
        ds_require(n <= (SIZE_MAX - 4) / ESC_GROWTH);
        return n * ESC_GROWTH + 2;
}

void jbuf_str(struct jbuf *b, const char *s, size_t n)
{
        room(b, str_room(n));
        char *d = put_str(b->p + b->len, (const unsigned char *)s, n);
        b->len = (size_t)(d - b->p);
}

/* The most a number takes: '-' and 20 digits. */
#define U64_ROOM 21

/* Writes v (after a '-' when neg) at d, which has U64_ROOM bytes; returns its end. Digits
 * are produced two at a time from the end, avoiding printf's locale and parsing. */
static char *put_u64(char *d, uint64_t v, bool neg)
{
        if (neg)
                *d++ = '-';
        size_t n = 1;
        for (uint64_t t = v; t >= 10; t /= 10)
                n++;
        char *e = d + n, *p = e;
        while (v >= 100) {
                unsigned k = (unsigned)(v % 100) * 2;
                v /= 100;
                *--p = digit_pairs[k + 1];
                *--p = digit_pairs[k];
        }
        if (v >= 10) {
                *--p = digit_pairs[v * 2 + 1];
                *--p = digit_pairs[v * 2];
        } else {
                *--p = (char)('0' + v);
        }
        return e;
}

void jbuf_u64(struct jbuf *b, uint64_t v)
{
        room(b, U64_ROOM);
        b->len = (size_t)(put_u64(b->p + b->len, v, false) - b->p);
}

/* v's magnitude, negated in unsigned arithmetic so INT64_MIN does not overflow. */
static inline uint64_t magnitude(int64_t v)
{
        return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

void jbuf_i64(struct jbuf *b, int64_t v)
{
        room(b, U64_ROOM);
        b->len = (size_t)(put_u64(b->p + b->len, magnitude(v), v < 0) - b->p);
}

size_t jw_key_len(const char *key)
{
        size_t n = strlen(key);
        for (size_t i = 0; i < n; i++)
                if (esc_class[(unsigned char)key[i]] != 0)
                        return n;
        return n | JW_TRUSTED;
}

/* Comma before every member but the first of its container, then the key if any: the
 * general path, for any key and a buffer that may have to grow. */
static void jw_sep(struct jw *w, const char *key, size_t klen)
{
        struct jbuf *b = w->b;
        bool trusted = klen & JW_TRUSTED;
        klen &= ~JW_TRUSTED;
        room(b, KEY_FAST + 4);
        char *d = b->p + b->len;
        if (w->first[w->depth])
                w->first[w->depth] = false;
        else
                *d++ = ',';
        if (key) {
                if (klen < KEY_FAST && (trusted ? copy_short(d + 1, key, klen, false)
                                                : copy_short(d + 1, key, klen, true))) {
                        d[0] = '"';
                        d += klen + 1;
                        *d++ = '"';
                        *d++ = ':';
                } else {
                        b->len = (size_t)(d - b->p);
                        room(b, str_room(klen) + 1);
                        d = put_str(b->p + b->len, (const unsigned char *)key, klen);
                        *d++ = ':';
                }
        }
        b->len = (size_t)(d - b->p);
}

/* Values this long or longer take the general path (their room is then computed with its
 * overflow check). */
#define VALUE_FAST 256

/* The common member: no key (an array's element) or a trusted key (JW_TRUSTED: nothing in it
 * to test) shorter than KEY_FAST, and a buffer with room for the comma, the key and value_room
 * bytes of value (at most VALUE_FAST * ESC_GROWTH + 2). Writes the comma and the key, and returns
 * where the value goes; NULL for any other member, which then takes the general path (jw_sep).
 * Inlined into each writer, it calls nothing, so that a member costs a few dozen instructions
 * rather than a full call frame's; each writer's other branch takes the general path. */
static inline __attribute__((always_inline)) char *fast_member(struct jw *w, const char *key,
                                                               size_t klen, size_t value_room)
{
        struct jbuf *b = w->b;
        size_t n = klen & ~JW_TRUSTED;
        if ((key && !(klen & JW_TRUSTED)) || n >= KEY_FAST ||
            KEY_FAST + 4 + value_room > b->cap - b->len)
                return NULL;
        char *d = b->p + b->len;
        bool *first = &w->first[w->depth];
        *d = ',';
        d += !*first;
        *first = false;
        if (!key) /* an array's element */
                return d;
        d[0] = '"';
        copy_short(d + 1, key, n, false);
        d[n + 1] = '"';
        d[n + 2] = ':';
        return d + n + 3;
}

static inline void fast_done(struct jw *w, const char *d)
{
        w->b->len = (size_t)(d - w->b->p);
}

static void jw_push(struct jw *w, const char *key, size_t klen, char open)
{
        ds_require(w->depth + 1 < JW_DEPTH_MAX);
        char *d = fast_member(w, key, klen, 1);
        if (d) {
                *d++ = open;
                fast_done(w, d);
        } else {
                jw_sep(w, key, klen);
                jbuf_byte(w->b, open);
        }
        w->first[++w->depth] = true;
}

static void jw_pop(struct jw *w, char close)
{
        if (ds_fails(w->depth > 0)) /* a close with nothing open */
                return;
        jbuf_byte(w->b, close);
        w->depth--;
}

void jw_begin(struct jw *w, struct jbuf *b)
{
        w->b = b;
        w->depth = 0;
        w->first[0] = true;
        jbuf_byte(b, '{');
}

void jw_end(struct jw *w)
{
        ds_require(w->depth == 0);
        jbuf_raw(w->b, "}\n", 2);
}

void jw_obj_open_k(struct jw *w, const char *key, size_t klen)
{
        jw_push(w, key, klen, '{');
}

void jw_obj_close(struct jw *w)
{
        jw_pop(w, '}');
}

void jw_arr_open_k(struct jw *w, const char *key, size_t klen)
{
        jw_push(w, key, klen, '[');
}

void jw_arr_close(struct jw *w)
{
        jw_pop(w, ']');
}

__attribute__((noinline)) static void str_slow(struct jw *w, const char *key, size_t klen,
                                               const char *s, size_t n)
{
        jw_sep(w, key, klen);
        jbuf_str(w->b, s, n);
}

void jw_str_k(struct jw *w, const char *key, size_t klen, const char *s, size_t n)
{
        char *d = n < VALUE_FAST ? fast_member(w, key, klen, n * ESC_GROWTH + 2) : NULL;
        if (!d) {
                str_slow(w, key, klen, s, n);
                return;
        }
        fast_done(w, put_str(d, (const unsigned char *)s, n));
}

static void number_k(struct jw *w, const char *key, size_t klen, uint64_t v, bool neg)
{
        char *d = fast_member(w, key, klen, U64_ROOM);
        if (!d) {
                jw_sep(w, key, klen);
                room(w->b, U64_ROOM);
                d = w->b->p + w->b->len;
        }
        fast_done(w, put_u64(d, v, neg));
}

void jw_int_k(struct jw *w, const char *key, size_t klen, int64_t v)
{
        number_k(w, key, klen, magnitude(v), v < 0);
}

void jw_uint_k(struct jw *w, const char *key, size_t klen, uint64_t v)
{
        number_k(w, key, klen, v, false);
}

/* A literal value (true, false, null): 8 bytes of room cover each. */
static inline __attribute__((always_inline)) void word_k(struct jw *w, const char *key, size_t klen,
                                                         const char *word, size_t n)
{
        char *d = fast_member(w, key, klen, 8);
        if (d) {
                memcpy(d, word, 8); /* the word and the NULs after it: room was checked */
                fast_done(w, d + n);
        } else {
                jw_sep(w, key, klen);
                jbuf_raw(w->b, word, n);
        }
}

void jw_bool_k(struct jw *w, const char *key, size_t klen, bool v)
{
        if (v)
                word_k(w, key, klen, "true\0\0\0", 4);
        else
                word_k(w, key, klen, "false\0\0", 5);
}

void jw_null_k(struct jw *w, const char *key, size_t klen)
{
        word_k(w, key, klen, "null\0\0\0", 4);
}

void jw_members_raw(struct jw *w, const char *text, size_t len)
{
        if (len == 0 || ds_fails(text[0] == ','))
                return;
        if (w->first[w->depth]) {
                w->first[w->depth] = false;
                text++;
                len--;
        }
        jbuf_raw(w->b, text, len);
}

void jw_fixed3(struct jw *w, const char *key, double v)
{
        char num[328]; /* "%.3f" of DBL_MAX: 309 digits, the point and three decimals */
        int n = snprintf(num, sizeof(num), "%.3f", v);
        jw_sep(w, key, strlen(JW_KSTR(key)));
        jbuf_raw(w->b, num, n > 0 && (size_t)n < sizeof(num) ? (size_t)n : 0);
}

void jw_double(struct jw *w, const char *key, double v)
{
        if (!isfinite(v)) {
                jw_null(w, key);
                return;
        }
        char num[32];
        int n = snprintf(num, sizeof(num), "%.3g", v);
        jw_sep(w, key, strlen(JW_KSTR(key)));
        jbuf_raw(w->b, num, n > 0 && (size_t)n < sizeof(num) ? (size_t)n : 0);
}

void jw_issue(struct jw *w, bool detail, const char *code, const char *message,
              const char *about_key, const char *about)
{
        if (!detail) {
                jw_cstr(w, NULL, code);
                return;
        }
        jw_obj_open(w, NULL);
        jw_cstr(w, "code", code);
        jw_cstr(w, "message", message);
        if (about_key)
                jw_cstr(w, about_key, about);
        jw_obj_close(w);
}
