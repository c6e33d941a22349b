/* pycheck.h -- test helper: one NDJSON line parsed by python3's json module (duplicate keys
 * rejected, exactly one line ending in one newline) and checked by python expressions over
 * it (d: the parsed object). Shared by test_ndjson.c and test_spf_check.c.
 * Header-only (static inline); include after cmocka.h. pycheck_setup() and
 * pycheck_teardown() are a cmocka group's setup and teardown: the checker lives in a scratch
 * directory for the whole group (one per test executable). */
#ifndef DS_TEST_PYCHECK_H
#define DS_TEST_PYCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYCHECK_PYTHON "/usr/bin/python3"

/* argv[1]: the bytes of one line; argv[2]: python expressions, one a line, over d (the
 * parsed object) and whatever the prelude defines. Prints OK or the first failing
 * expression. */
#define PYCHECK_HEAD                                                                               \
        "import sys, json\n"                                                                       \
        "raw = open(sys.argv[1], 'rb').read()\n"                                                   \
        "def pairs(kv):\n"                                                                         \
        "    keys = [k for k, _ in kv]\n"                                                          \
        "    if len(keys) != len(set(keys)):\n"                                                    \
        "        raise ValueError('duplicate key in %r' % keys)\n"                                 \
        "    return dict(kv)\n"                                                                    \
        "if not raw.endswith(b'\\n') or raw.count(b'\\n') != 1:\n"                                 \
        "    print('FAIL: not exactly one line ending in one newline'); sys.exit(1)\n"             \
        "d = json.loads(raw.decode('utf-8'), object_pairs_hook=pairs)\n"
#define PYCHECK_TAIL                                                                               \
        "for e in open(sys.argv[2], encoding='utf-8').read().splitlines():\n"                      \
        "    if not eval(e):\n"                                                                    \
        "        print('FAIL: ' + e + '\\n  line: ' + raw.decode('utf-8')); sys.exit(1)\n"         \
        "print('OK')\n"

static char pycheck_dir[64];

static inline void pycheck_write(const char *name, const void *data, size_t n)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", pycheck_dir, name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
}

/* tag names the scratch directory; prelude (top-level python lines, may be "") runs after
 * the parse, before the expressions. Returns 0 or -1. */
static inline int pycheck_setup(const char *tag, const char *prelude)
{
        snprintf(pycheck_dir, sizeof(pycheck_dir), "/tmp/%s.XXXXXX", tag);
        if (!mkdtemp(pycheck_dir))
                return -1;
        char path[128];
        snprintf(path, sizeof(path), "%s/check.py", pycheck_dir);
        FILE *f = fopen(path, "w");
        if (!f)
                return -1;
        fputs(PYCHECK_HEAD, f);
        fputs(prelude, f);
        fputs(PYCHECK_TAIL, f);
        return fclose(f) == 0 ? 0 : -1;
}

static inline int pycheck_teardown(void)
{
        char path[128];
        static const char *const names[] = {"check.py", "line.json", "checks.txt"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", pycheck_dir, names[i]);
                unlink(path);
        }
        rmdir(pycheck_dir);
        return 0;
}

/* Run the python checks (NULL-terminated) over one line of n bytes. */
static inline void pycheck_line(const char *line, size_t n, const char *const *exprs)
{
        char cmd[512], out[8192];
        size_t used = 0;
        FILE *f;

        pycheck_write("line.json", line, n);
        snprintf(cmd, sizeof(cmd), "%s/checks.txt", pycheck_dir);
        f = fopen(cmd, "w");
        assert_non_null(f);
        for (size_t i = 0; exprs[i]; i++)
                fprintf(f, "%s\n", exprs[i]);
        assert_int_equal(fclose(f), 0);

        snprintf(cmd, sizeof(cmd), "%s %s/check.py %s/line.json %s/checks.txt 2>&1", PYCHECK_PYTHON,
                 pycheck_dir, pycheck_dir, pycheck_dir);
        f = popen(cmd, "r");
        assert_non_null(f);
        size_t got;
        while (used < sizeof(out) - 1 && (got = fread(out + used, 1, sizeof(out) - 1 - used, f)))
                used += got;
        out[used] = 0;
        int rc = pclose(f);
        if (rc != 0 || strcmp(out, "OK\n") != 0)
                fail_msg("python check failed (rc %d):\n%s", rc, out);
}

#endif
