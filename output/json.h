/* json.h -- JSON text building for NDJSON lines.
 * Contract: the caller owns a struct jbuf (grown by doubling; it never shrinks, so a reused
 * buffer stops allocating after the first long line). Strings are escaped so that any
 * bytes give valid JSON: quotes, backslashes and control bytes are escaped, invalid UTF-8
 * sequences become U+FFFD. The jw_* writer inserts commas and tracks nesting. */
#ifndef DS_JSON_H
#define DS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jbuf {
        char *p;
        size_t len, cap;
};

void jbuf_init(struct jbuf *b);
void jbuf_free(struct jbuf *b);
static inline void jbuf_reset(struct jbuf *b)
{
        b->len = 0;
}
/* Make room for n more bytes; aborts the process on allocation failure. */
void jbuf_reserve(struct jbuf *b, size_t n);
void jbuf_raw(struct jbuf *b, const char *s, size_t n);
/* Quoted, escaped JSON string. */
void jbuf_str(struct jbuf *b, const char *s, size_t n);
void jbuf_u64(struct jbuf *b, uint64_t v);
void jbuf_i64(struct jbuf *b, int64_t v);

#define JW_DEPTH_MAX 16

struct jw {
        struct jbuf *b;
        int depth;
        bool first[JW_DEPTH_MAX];
};

/* Start a top-level object in b (appends '{'). */
void jw_begin(struct jw *w, struct jbuf *b);
/* Close it (appends '}' and '\n'). */
void jw_end(struct jw *w);

/* The writers below take a key and its length (klen); key may be NULL inside arrays. The
 * macros without _k pass them for you: the length is strlen(key), with JW_TRUSTED set when
 * the compiler knows the key's text and finds nothing in it to escape (a literal: user data
 * is never known), so that it is copied without its bytes being tested; for a literal both
 * are folded to constants, so the ~60 members a line is written with cost no scan of their
 * keys. Any other key is checked and escaped. (A key given as a named array
 * trips GCC's -Waddress in these macros: pass a pointer to it.) A helper that takes its key
 * as a plain `const char *` has lost the literal, and every key it writes is measured and
 * checked: give it (key, klen) with JW_KEY("...") at its call site and call the _k writers. */
#define JW_TRUSTED   ((size_t)1 << (sizeof(size_t) * 8 - 1))
#define JW_KSTR(key) ((key) ? (key) : "")
/* Every byte put_str would not copy as it is, and every non-ASCII byte. */
#define JW_NOT_PLAIN                                                                               \
        "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14"         \
        "\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x22\x5c\x7f\x80\x81\x82\x83\x84\x85"         \
        "\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99"         \
        "\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad"         \
        "\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf\xc0\xc1"         \
        "\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf\xd0\xd1\xd2\xd3\xd4\xd5"         \
        "\xd6\xd7\xd8\xd9\xda\xdb\xdc\xdd\xde\xdf\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9"         \
        "\xea\xeb\xec\xed\xee\xef\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd"         \
        "\xfe\xff"
/* Known at compile time and free of JW_NOT_PLAIN (both folded for a literal; never called). */
#define JW_PLAIN_LITERAL(key)                                                                      \
        (__builtin_constant_p(strlen(JW_KSTR(key))) &&                                             \
         __builtin_constant_p(strcspn(JW_KSTR(key), JW_NOT_PLAIN)) &&                              \
         strcspn(JW_KSTR(key), JW_NOT_PLAIN) == strlen(JW_KSTR(key)))
#define JW_KEY(key) (key), (strlen(JW_KSTR(key)) | (JW_PLAIN_LITERAL(key) ? JW_TRUSTED : 0))
/* A key known only at run time but fixed for a whole scan (a check's name), checked once:
 * its length, with JW_TRUSTED when nothing in it needs an escape, for the _k writers. */
size_t jw_key_len(const char *key);
void jw_obj_open_k(struct jw *w, const char *key, size_t klen);
void jw_arr_open_k(struct jw *w, const char *key, size_t klen);
void jw_str_k(struct jw *w, const char *key, size_t klen, const char *s, size_t n);
void jw_int_k(struct jw *w, const char *key, size_t klen, int64_t v);
void jw_uint_k(struct jw *w, const char *key, size_t klen, uint64_t v);
void jw_bool_k(struct jw *w, const char *key, size_t klen, bool v);
void jw_null_k(struct jw *w, const char *key, size_t klen);
/* Members written beforehand: text is one or more `,"key":value` (each key and value valid
 * JSON, the comma first), copied as they are; the comma is dropped when they come first. */
void jw_members_raw(struct jw *w, const char *text, size_t len);
void jw_obj_close(struct jw *w);
void jw_arr_close(struct jw *w);

/* s NULL gives null. */
static inline void jw_cstr_k(struct jw *w, const char *key, size_t klen, const char *s)
{
        if (s)
                jw_str_k(w, key, klen, s, strlen(s));
        else
                jw_null_k(w, key, klen);
}
/* A tristate: v < 0 gives null, else true or false. */
static inline void jw_tri_k(struct jw *w, const char *key, size_t klen, int v)
{
        if (v < 0)
                jw_null_k(w, key, klen);
        else
                jw_bool_k(w, key, klen, v != 0);
}

#define jw_obj_open(w, key)  jw_obj_open_k((w), JW_KEY(key))
#define jw_arr_open(w, key)  jw_arr_open_k((w), JW_KEY(key))
#define jw_str(w, key, s, n) jw_str_k((w), JW_KEY(key), (s), (n))
#define jw_cstr(w, key, s)   jw_cstr_k((w), JW_KEY(key), (s))
#define jw_int(w, key, v)    jw_int_k((w), JW_KEY(key), (v))
#define jw_uint(w, key, v)   jw_uint_k((w), JW_KEY(key), (v))
#define jw_bool(w, key, v)   jw_bool_k((w), JW_KEY(key), (v))
#define jw_null(w, key)      jw_null_k((w), JW_KEY(key))
#define jw_tri(w, key, v)    jw_tri_k((w), JW_KEY(key), (v))

/* One entry of an errors/warnings array: the code alone, or with detail the object
 * {"code", "message"} and, when about_key is not NULL, about_key: about (null when NULL). */
void jw_issue(struct jw *w, bool detail, const char *code, const char *message,
              const char *about_key, const char *about);
/* A number with three decimals ("12.345"), e.g. milliseconds to the microsecond. */
void jw_fixed3(struct jw *w, const char *key, double v);
/* A finite number with three significant digits ("3.36e-05"), e.g. a probability; a value
 * that is not finite gives null (JSON has no NaN). */
void jw_double(struct jw *w, const char *key, double v);

#endif
