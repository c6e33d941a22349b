/* meta.h -- writing a metadata object (the run's --metadata FILE, later summaries): the
 * generic pieces; what goes in it is assembled by the caller (scanner/runmeta.c).
 * Contract: meta_write_file replaces path atomically (path.tmp, then rename), so a reader
 * never sees half an object. Returns 0 or -errno. */
#ifndef DS_META_H
#define DS_META_H

#include "output/json.h"

/* The members every file dmarcscan writes opens with: "schema": schema, "tool": {"name":
 * "dmarcscan", "version"}. */
void meta_header(struct jw *w, int schema);

/* An RFC 3339 UTC time with milliseconds from Unix seconds. */
void meta_time(struct jw *w, const char *key, double unix_s);

int meta_write_file(const char *path, const struct jbuf *b);

#endif
