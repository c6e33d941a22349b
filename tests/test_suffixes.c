/* test_suffixes.c -- the PSL hash table against libpsl, its reference: every rule of the
 * system list (names made from each rule, one to three labels longer) and every name of the
 * shared real-world lists must get the organizational domain and the public-suffix answer
 * libpsl gives, and the table must answer for almost all of them (else the fast path would
 * be silently unused); a small list pins the algorithm's cases (paths, wildcards,
 * exceptions, the "*" rule), the names left to libpsl, and the files refused. */
#include <errno.h>
#include <libpsl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanner/dmarc/psl.h"
#include "scanner/dmarc/suffixes.h"

#ifndef DS_SHARED_DATA
#define DS_SHARED_DATA "/work/shared/data"
#endif

#define SYSTEM_DAT   "/usr/share/publicsuffix/public_suffix_list.dat"
#define SYSTEM_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"

struct oracle {
        struct ds_psl *ours; /* opened on SYSTEM_DAT: hash table first, libpsl the rest */
        psl_ctx_t *ref;      /* libpsl alone on the same file */
        struct suffixes *table;
        size_t names, answered;
};

static void oracle_open(struct oracle *o, const char *path)
{
        char err[256];
        memset(o, 0, sizeof(*o));
        if (ds_psl_open(&o->ours, path, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_true(ds_psl_fast(o->ours));
        o->ref = psl_load_file(path);
        assert_non_null(o->ref);
        assert_int_equal(suffixes_load(&o->table, path), 0);
}

static void oracle_close(struct oracle *o)
{
        ds_psl_close(o->ours);
        psl_free(o->ref);
        suffixes_free(o->table);
}

/* name (lower case) must read the same through ours as through libpsl alone. */
static void oracle_check(struct oracle *o, const char *name)
{
        const char *want = psl_registrable_domain(o->ref, name);
        const char *got = ds_psl_org(o->ours, name);
        if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
                fail_msg("%s: org %s, libpsl %s", name, got ? got : "(none)",
                         want ? want : "(none)");
        bool want_suffix = psl_is_public_suffix2(o->ref, name, PSL_TYPE_ANY) != 0;
        if (ds_psl_is_suffix(o->ours, name) != want_suffix)
                fail_msg("%s: public suffix %d, libpsl %d", name, !want_suffix, want_suffix);
        size_t off;
        o->names++;
        o->answered += suffixes_find(o->table, name, strlen(name), &off);
}

static void check_prefixed(struct oracle *o, const char *base)
{
        static const char *const more[] = {"", "x.", "y.x.", "a-b.y.x.", "z9.w_.a-b.y.x."};
        char name[600];
        for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
                snprintf(name, sizeof(name), "%s%s", more[i], base);
                oracle_check(o, name);
        }
}

static void t_every_rule_of_the_system_list(void **st)
{
        (void)st;
        struct oracle o;
        oracle_open(&o, SYSTEM_DAT);
        FILE *f = fopen(SYSTEM_DAT, "r");
        assert_non_null(f);
        char line[1024];
        size_t rules = 0;
        while (fgets(line, sizeof(line), f)) {
                char *p = line + strspn(line, " \t");
                p[strcspn(p, " \t\r\n")] = '\0';
                if (!*p || (p[0] == '/' && p[1] == '/'))
                        continue;
                if (*p == '!')
                        p++;
                else if (p[0] == '*' && p[1] == '.')
                        p += 2;
                for (char *c = p; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char)(*c - 'A' + 'a');
                rules++;
                /* the rule, each shorter suffix of it, and longer names under it */
                for (char *c = p; c; c = strchr(c, '.') ? strchr(c, '.') + 1 : NULL)
                        check_prefixed(&o, c);
        }
        fclose(f);
        assert_true(rules > 5000);
        /* IDN rules and the names made from them go to libpsl; the rest do not */
        fprintf(stderr, "every rule: %zu names, %zu answered by the table\n", o.names, o.answered);
        assert_true(o.answered * 100 > o.names * 85);
        oracle_close(&o);
}

/* Domain-looking fields (a dot, no space) of every line of a shared list, lower-cased. */
static size_t check_list(struct oracle *o, const char *file)
{
        char path[512], line[4096];
        snprintf(path, sizeof(path), "%s/%s", DS_SHARED_DATA, file);
        FILE *f = fopen(path, "r");
        if (!f)
                return 0;
        size_t n = 0;
        while (fgets(line, sizeof(line), f)) {
                for (char *tok = strtok(line, ",\r\n\""); tok; tok = strtok(NULL, ",\r\n\"")) {
                        if (!strchr(tok, '.') || strpbrk(tok, " /:@()"))
                                continue;
                        for (char *c = tok; *c; c++)
                                if (*c >= 'A' && *c <= 'Z')
                                        *c = (char)(*c - 'A' + 'a');
                        oracle_check(o, tok);
                        n++;
                }
        }
        fclose(f);
        return n;
}

static void t_shared_real_world_lists(void **st)
{
        (void)st;
        static const char *const files[] = {
            "top-65535.csv",           "crux-top10k-hostnames-zdns-benchmark.txt",
            "fdic-bank-websites.txt",  "majestic-million-first15000.csv",
            "dotgov-current-full.csv", "umbrella-style-top50525.csv"};
        if (access(DS_SHARED_DATA, R_OK) != 0)
                skip();
        struct oracle o;
        oracle_open(&o, SYSTEM_DAT);
        size_t n = 0;
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
                n += check_list(&o, files[i]);
        fprintf(stderr, "shared lists: %zu names, %zu answered by the table\n", o.names,
                o.answered);
        assert_true(n > 100000);
        assert_true(o.answered * 100 > o.names * 95);
        oracle_close(&o);
}

static char *write_list(char *dir, const char *name, const char *text)
{
        static char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        return path;
}

/* The offset of name's public suffix, or -1 when the table leaves the name to libpsl. */
static long suffix_of(const struct suffixes *s, const char *name)
{
        size_t off;
        return suffixes_find(s, name, strlen(name), &off) ? (long)off : -1;
}

static void t_small_list(void **st)
{
        (void)st;
        char dir[] = "/tmp/test_suffixes.XXXXXX";
        assert_non_null(mkdtemp(dir));
        const char *path = write_list(dir, "list.dat",
                                      "// comment\n\nztest\nco.ztest  trailing words\n"
                                      "*.wild.ztest\n!x.wild.ztest\na.b.deep.ztest\n"
                                      "UP.ztest\n\xe5\x85\xac\xe5\x8f\xb8.ztest\n");
        struct suffixes *s = NULL;
        assert_int_equal(suffixes_load(&s, path), 0);
        assert_int_equal(suffixes_rules(s), 6);
        assert_int_equal(suffixes_skipped(s), 1);
        assert_int_equal(suffix_of(s, "www.shop.co.ztest"), 9); /* co.ztest */
        assert_int_equal(suffix_of(s, "co.ztest"), 0);          /* a suffix itself */
        assert_int_equal(suffix_of(s, "shop.ztest"), 5);        /* ztest */
        assert_int_equal(suffix_of(s, "b.deep.ztest"), 7);      /* paths are not rules */
        assert_int_equal(suffix_of(s, "a.b.deep.ztest"), 0);    /* the deep rule */
        assert_int_equal(suffix_of(s, "q.a.b.deep.ztest"), 2);  /* under it */
        assert_int_equal(suffix_of(s, "k.wild.ztest"), 0);      /* the wildcard */
        assert_int_equal(suffix_of(s, "m.k.wild.ztest"), 2);    /* under it */
        assert_int_equal(suffix_of(s, "wild.ztest"), 0);        /* the wildcard base, as libpsl */
        assert_int_equal(suffix_of(s, "x.wild.ztest"), 2);      /* the exception */
        assert_int_equal(suffix_of(s, "y.x.wild.ztest"), 4);    /* under it */
        assert_int_equal(suffix_of(s, "up.ztest"), 3);          /* "UP.ztest" matches nothing */
        assert_int_equal(suffix_of(s, "a.b.unlisted"), 4);      /* the "*" rule */
        assert_int_equal(suffix_of(s, "unlisted"), 0);
        assert_int_equal(suffix_of(s, "under_score.ztest"), 12); /* '_' is a name byte */
        /* and libpsl on the same list agrees on each */
        static const char *const pinned[] = {
            "www.shop.co.ztest", "co.ztest",         "shop.ztest",       "b.deep.ztest",
            "a.b.deep.ztest",    "q.a.b.deep.ztest", "k.wild.ztest",     "m.k.wild.ztest",
            "wild.ztest",        "x.wild.ztest",     "y.x.wild.ztest",   "up.ztest",
            "a.b.unlisted",      "unlisted",         "under_score.ztest"};
        struct oracle o;
        oracle_open(&o, path);
        for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++)
                oracle_check(&o, pinned[i]);
        assert_int_equal(o.answered, o.names);
        oracle_close(&o);
        /* left to libpsl */
        static const char *const other[] = {"",
                                            "A.ztest",
                                            "a..ztest",
                                            ".ztest",
                                            "ztest.",
                                            "xn--55qx5d.ztest",
                                            "a.xn--p1ai",
                                            "a b.ztest",
                                            "\xc3\xa9.ztest",
                                            "a*.ztest",
                                            "xn--abc.shop.co.ztest"};
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
                if (suffix_of(s, other[i]) != -1)
                        fail_msg("\"%s\" answered by the table", other[i]);
        suffixes_free(s);

        /* refused: a rule with an inner '*', an empty list, a NUL byte, a missing file */
        s = (struct suffixes *)1;
        assert_int_equal(suffixes_load(&s, write_list(dir, "star.dat", "a.*.ztest\n")), -EINVAL);
        assert_null(s);
        assert_int_equal(suffixes_load(&s, write_list(dir, "empty.dat", "// nothing\n")), -EINVAL);
        path = write_list(dir, "nul.dat", "ztest\n");
        FILE *f = fopen(path, "a");
        fputc(0, f);
        fputs("x\n", f);
        fclose(f);
        assert_int_equal(suffixes_load(&s, path), -EINVAL);
        assert_int_equal(suffixes_load(&s, "/nonexistent/list.dat"), -ENOENT);
        if (access(SYSTEM_DAFSA, R_OK) == 0)
                assert_int_equal(suffixes_load(&s, SYSTEM_DAFSA), -EINVAL);
        static const char *const files[] = {"list.dat", "star.dat", "empty.dat", "nul.dat"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
                unlink(write_list(dir, files[i], ""));
        rmdir(dir);
}

/* The distribution's .dafsa has its .dat beside it: libpsl and the table both read the
 * .dat (the metadata names it). A .dafsa named on the command line stays libpsl's alone, even
 * with a .dat beside it that says otherwise. */
static void t_default_list_and_its_text(void **st)
{
        (void)st;
        char err[256], dir[] = "/tmp/test_suffixes.XXXXXX", path[300], cmd[700];
        struct ds_psl *p = NULL;
        if (access(SYSTEM_DAT, R_OK) != 0 || access(SYSTEM_DAFSA, R_OK) != 0)
                skip();
        assert_int_equal(ds_psl_open(&p, NULL, err, sizeof(err)), 0);
        assert_true(ds_psl_fast(p));
        assert_string_equal(ds_psl_source(p), SYSTEM_DAT);
        ds_psl_close(p);

        /* the system's .dafsa beside a .dat that makes example.com a suffix */
        assert_non_null(mkdtemp(dir));
        snprintf(cmd, sizeof(cmd), "cp %s %s/list.dafsa", SYSTEM_DAFSA, dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "%s/list.dat", dir);
        FILE *f = fopen(cmd, "w");
        assert_non_null(f);
        fputs("com\nexample.com\nuk\nco.uk\n", f);
        assert_int_equal(fclose(f), 0);
        snprintf(path, sizeof(path), "%s/list.dafsa", dir);
        assert_int_equal(ds_psl_open(&p, path, err, sizeof(err)), 0);
        assert_false(ds_psl_fast(p));
        assert_string_equal(ds_psl_source(p), path);
        assert_string_equal(ds_psl_org(p, "www.example.com"), "example.com");
        ds_psl_close(p);
        snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
        assert_int_equal(system(cmd), 0);
}

/* A list whose rules the table reads differently from libpsl (an exception under a
 * wildcard with a longer rule below it: the table lets the exception prevail, as the list's
 * algorithm says; libpsl takes the longer rule) is left to libpsl. */
static void t_disagreeing_list_dropped(void **st)
{
        (void)st;
        char err[256], dir[] = "/tmp/test_suffixes.XXXXXX";
        assert_non_null(mkdtemp(dir));
        const char *path =
            write_list(dir, "odd.dat", "ztest\n*.x.ztest\n!a.x.ztest\nb.a.x.ztest\n");
        const char *name = "b.a.x.ztest";
        psl_ctx_t *ref = psl_load_file(path);
        assert_non_null(ref);
        const char *want = psl_registrable_domain(ref, name);
        /* the table's own reading: the exception prevails, x.ztest is the suffix */
        struct suffixes *s = NULL;
        assert_int_equal(suffixes_load(&s, path), 0);
        assert_int_equal(suffix_of(s, name), 4);
        suffixes_free(s);
        assert_false(want && strcmp(want, "a.x.ztest") == 0); /* libpsl reads it otherwise */
        struct ds_psl *p = NULL;
        assert_int_equal(ds_psl_open(&p, path, err, sizeof(err)), 0);
        assert_false(ds_psl_fast(p));
        const char *got = ds_psl_org(p, name);
        assert_true((got == NULL) == (want == NULL));
        if (got)
                assert_string_equal(got, want);
        ds_psl_close(p);
        psl_free(ref);
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_every_rule_of_the_system_list),
            cmocka_unit_test(t_shared_real_world_lists),
            cmocka_unit_test(t_small_list),
            cmocka_unit_test(t_default_list_and_its_text),
            cmocka_unit_test(t_disagreeing_list_dropped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
