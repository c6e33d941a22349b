/* meta.c -- a metadata object's time fields and its atomic file write. */
#include "output/meta.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

void meta_header(struct jw *w, int schema)
{
        jw_int(w, "schema", schema);
        jw_obj_open(w, "tool");
        jw_cstr(w, "name", "dmarcscan");
        jw_cstr(w, "version", DS_VERSION);
        jw_obj_close(w);
}

void meta_time(struct jw *w, const char *key, double unix_s)
{
        char buf[40];
        time_t t = (time_t)unix_s;
        struct tm tm;
        gmtime_r(&t, &tm);
        size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)((unix_s - (double)t) * 1000) % 1000);
        jw_cstr(w, key, buf);
}

int meta_write_file(const char *path, const struct jbuf *b)
{
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        int rc = 0;
        if (!f || fwrite(b->p, 1, b->len, f) != b->len)
                rc = -errno;
        if (f && fclose(f) != 0 && rc == 0)
                rc = -errno;
        if (rc == 0 && rename(tmp, path) != 0)
                rc = -errno;
        return rc;
}
