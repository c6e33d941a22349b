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

/* The writers below take a key and its length (klen, strlen(key)); key may be NULL inside
 * arrays. The inline forms without _k pass strlen(key) themselves: for a literal key the
 * compiler folds it to a constant, so the ~500 members a line is written with cost no
 * scan of their keys. */
#define JW_KLEN(key) ((key) ? strlen(key) : 0)
void jw_obj_open_k(struct jw *w, const char *key, size_t klen);
void jw_arr_open_k(struct jw *w, const char *key, size_t klen);
void jw_str_k(struct jw *w, const char *key, size_t klen, const char *s, size_t n);
void jw_int_k(struct jw *w, const char *key, size_t klen, int64_t v);
void jw_uint_k(struct jw *w, const char *key, size_t klen, uint64_t v);
void jw_bool_k(struct jw *w, const char *key, size_t klen, bool v);
void jw_null_k(struct jw *w, const char *key, size_t klen);
void jw_obj_close(struct jw *w);
void jw_arr_close(struct jw *w);

static inline void jw_obj_open(struct jw *w, const char *key)
{
        jw_obj_open_k(w, key, JW_KLEN(key));
}
static inline void jw_arr_open(struct jw *w, const char *key)
{
        jw_arr_open_k(w, key, JW_KLEN(key));
}
static inline void jw_str(struct jw *w, const char *key, const char *s, size_t n)
{
        jw_str_k(w, key, JW_KLEN(key), s, n);
}
/* NULL gives null. */
static inline void jw_cstr(struct jw *w, const char *key, const char *s)
{
        if (s)
                jw_str_k(w, key, JW_KLEN(key), s, strlen(s));
        else
                jw_null_k(w, key, JW_KLEN(key));
}
static inline void jw_int(struct jw *w, const char *key, int64_t v)
{
        jw_int_k(w, key, JW_KLEN(key), v);
}
static inline void jw_uint(struct jw *w, const char *key, uint64_t v)
{
        jw_uint_k(w, key, JW_KLEN(key), v);
}
static inline void jw_bool(struct jw *w, const char *key, bool v)
{
        jw_bool_k(w, key, JW_KLEN(key), v);
}
static inline void jw_null(struct jw *w, const char *key)
{
        jw_null_k(w, key, JW_KLEN(key));
}
/* A tristate: v < 0 gives null, else true or false. */
static inline void jw_tri(struct jw *w, const char *key, int v)
{
        if (v < 0)
                jw_null(w, key);
        else
                jw_bool(w, key, v != 0);
}
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
