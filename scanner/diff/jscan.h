/* jscan.h -- a small pull scanner over one JSON text, for reading a few members of scan
 * lines fast (a general parser builds every object of a 2 KB line; diff needs six facts).
 * Contract: never reads outside [p, end); any malformed input makes the scanner fail
 * (js->bad set, every later call fails) rather than guess. Skipping a value checks string
 * escapes and bracket nesting only as far as needed to find its end. Strings are returned
 * unescaped (\uXXXX, surrogate pairs included, as UTF-8) into the caller's buffer; a string
 * longer than the buffer fails. Keys are returned as their raw bytes (scan lines' keys have
 * no escapes). */
#ifndef DS_DIFF_JSCAN_H
#define DS_DIFF_JSCAN_H

#include <stdbool.h>
#include <stddef.h>

struct jscan {
        const char *p, *end;
        bool bad;
        bool fresh; /* just entered a container: no comma before its first member */
};

enum js_type { JS_BAD = 0, JS_OBJECT, JS_ARRAY, JS_STRING, JS_NUMBER, JS_TRUE, JS_FALSE, JS_NULL };

void js_init(struct jscan *js, const char *p, size_t len);
/* The type of the next value (without consuming it). */
enum js_type js_peek(struct jscan *js);
bool js_skip(struct jscan *js);
/* Consumes '{' or '['. */
bool js_enter(struct jscan *js);
/* Inside an object: 1 with the next key (and its ':' consumed), 0 at '}' (consumed). */
int js_key(struct jscan *js, const char **key, size_t *klen);
/* Inside an array: 1 when another element follows, 0 at ']' (consumed). */
int js_elem(struct jscan *js);
/* A string value into out[cap]; its length in *len. */
bool js_string(struct jscan *js, char *out, size_t cap, size_t *len);
/* true/false/null literal: consumes it; returns its type. */
enum js_type js_literal(struct jscan *js);
/* Only white space left. */
bool js_at_end(struct jscan *js);
bool js_key_is(const char *key, size_t klen, const char *name);

#endif
