/* test_resolvers.c -- unit tests for dns/resolvers.c.
 * Contract: every accepted spelling of a resolver (IPv4, IPv4:PORT, [IPv6]:PORT, bare IPv6,
 * comma lists with spaces, @FILE with comments), rejected entries named in the message
 * (with file and line for files), resolv.conf reading, and address comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns/resolvers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tmp {
        char path[256];
};

static void tmp_write(struct tmp *t, const char *text)
{
        const char *dir = getenv("TMPDIR");
        snprintf(t->path, sizeof t->path, "%s/test_resolvers.XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(t->path);
        assert_true(fd >= 0);
        size_t n = strlen(text);
        assert_int_equal(write(fd, text, n), (ssize_t)n);
        assert_int_equal(close(fd), 0);
}

static void tmp_remove(struct tmp *t)
{
        unlink(t->path);
}

static void assert_contains(const char *hay, const char *needle)
{
        if (!strstr(hay, needle))
                fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void assert_v4(const struct resolver *r, const char *ip, unsigned port, const char *name)
{
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&r->addr;
        assert_int_equal(r->addr.ss_family, AF_INET);
        assert_int_equal(r->addrlen, sizeof(struct sockaddr_in));
        assert_int_equal(ntohs(s4->sin_port), port);
        struct in_addr want;
        assert_int_equal(inet_pton(AF_INET, ip, &want), 1);
        assert_int_equal(s4->sin_addr.s_addr, want.s_addr);
        assert_string_equal(r->name, name);
        assert_int_equal(r->stats.sent, 0);
        assert_int_equal(r->stats.answered, 0);
}

static void assert_v6(const struct resolver *r, const char *ip, unsigned port, const char *name)
{
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&r->addr;
        assert_int_equal(r->addr.ss_family, AF_INET6);
        assert_int_equal(r->addrlen, sizeof(struct sockaddr_in6));
        assert_int_equal(ntohs(s6->sin6_port), port);
        struct in6_addr want;
        assert_int_equal(inet_pton(AF_INET6, ip, &want), 1);
        assert_memory_equal(&s6->sin6_addr, &want, sizeof want);
        assert_string_equal(r->name, name);
}

/* Parse spec that must succeed with n resolvers. */
static void parse_ok(struct resolver_list *l, const char *spec, size_t n)
{
        char err[256] = "";
        memset(l, 0, sizeof *l);
        int rc = resolvers_parse(l, spec, err, sizeof err);
        if (rc != 0)
                fail_msg("resolvers_parse(\"%s\") = %d: %s", spec, rc, err);
        assert_int_equal(l->n, n);
}

/* Parse spec that must fail with -EINVAL and a message naming `names`. */
static void parse_bad(const char *spec, const char *names)
{
        struct resolver_list l = {0};
        char err[256] = "";
        int rc = resolvers_parse(&l, spec, err, sizeof err);
        if (rc != -EINVAL)
                fail_msg("resolvers_parse(\"%s\") = %d, want -EINVAL", spec, rc);
        char quoted[128];
        snprintf(quoted, sizeof quoted, "'%s'", names);
        assert_contains(err, quoted);
        resolvers_free(&l);
}

static void t_parse_ipv4(void **state)
{
        (void)state;
        struct resolver_list l;
        parse_ok(&l, "127.0.0.1", 1);
        assert_v4(&l.v[0], "127.0.0.1", 53, "127.0.0.1:53");
        resolvers_free(&l);
        assert_null(l.v);
        assert_int_equal(l.n, 0);

        parse_ok(&l, "127.0.0.1:5300", 1);
        assert_v4(&l.v[0], "127.0.0.1", 5300, "127.0.0.1:5300");
        resolvers_free(&l);

        parse_ok(&l, "  192.0.2.1:65535\t", 1);
        assert_v4(&l.v[0], "192.0.2.1", 65535, "192.0.2.1:65535");
        resolvers_free(&l);

        parse_ok(&l, "10.0.0.1:1", 1);
        assert_v4(&l.v[0], "10.0.0.1", 1, "10.0.0.1:1");
        resolvers_free(&l);
}

static void t_parse_ipv6(void **state)
{
        (void)state;
        struct resolver_list l;
        parse_ok(&l, "[::1]:53", 1);
        assert_v6(&l.v[0], "::1", 53, "[::1]:53");
        resolvers_free(&l);

        parse_ok(&l, "::1", 1);
        assert_v6(&l.v[0], "::1", 53, "[::1]:53");
        resolvers_free(&l);

        parse_ok(&l, "[2001:db8::53]:5353", 1);
        assert_v6(&l.v[0], "2001:db8::53", 5353, "[2001:db8::53]:5353");
        resolvers_free(&l);

        parse_ok(&l, "2001:DB8:0:0:0:0:0:1", 1);
        assert_v6(&l.v[0], "2001:db8::1", 53, "[2001:db8::1]:53");
        resolvers_free(&l);

        parse_ok(&l, "[::1]", 1);
        assert_v6(&l.v[0], "::1", 53, "[::1]:53");
        resolvers_free(&l);
}

static void t_parse_list(void **state)
{
        (void)state;
        struct resolver_list l;
        parse_ok(&l, "127.0.0.1:5300, 127.0.0.2", 2);
        assert_v4(&l.v[0], "127.0.0.1", 5300, "127.0.0.1:5300");
        assert_v4(&l.v[1], "127.0.0.2", 53, "127.0.0.2:53");
        resolvers_free(&l);

        parse_ok(&l, " 127.0.0.1 ,[::1]:54,, ::2 ,", 3);
        assert_v4(&l.v[0], "127.0.0.1", 53, "127.0.0.1:53");
        assert_v6(&l.v[1], "::1", 54, "[::1]:54");
        assert_v6(&l.v[2], "::2", 53, "[::2]:53");
        resolvers_free(&l);

        /* Duplicates are kept: spreading load over one resolver twice is the user's call. */
        parse_ok(&l, "127.0.0.1,127.0.0.1", 2);
        resolvers_free(&l);
}

static void t_parse_bad_entries(void **state)
{
        (void)state;
        parse_bad("1.2.3", "1.2.3");
        parse_bad("127.0.0.1:0", "127.0.0.1:0");
        parse_bad("127.0.0.1:70000", "127.0.0.1:70000");
        parse_bad("127.0.0.1:65536", "127.0.0.1:65536");
        parse_bad("127.0.0.1:", "127.0.0.1:");
        parse_bad("127.0.0.1:53x", "127.0.0.1:53x");
        parse_bad("127.0.0.1:-1", "127.0.0.1:-1");
        parse_bad("[::1", "[::1");
        parse_bad("[::1]:", "[::1]:");
        parse_bad("[::1]x", "[::1]x");
        parse_bad("[::1]:0", "[::1]:0");
        parse_bad("host.example", "host.example");
        parse_bad("host.example:53", "host.example:53");
        parse_bad("256.0.0.1", "256.0.0.1");
        /* The bad one in a list is the one named, trimmed. */
        parse_bad("127.0.0.1, bogus ,127.0.0.2", "bogus");
        parse_bad("127.0.0.1:5300, 127.0.0.1:99999", "127.0.0.1:99999");
}

/* Regression: a bracketed entry whose address does not parse must be named whole in the
 * message (it once lost its '[', "resolver '::g]:53' ..."). */
static void t_parse_bad_bracketed_named_whole(void **state)
{
        (void)state;
        parse_bad("[::g]:53", "[::g]:53");
        parse_bad("[host.example]:53", "[host.example]:53");
        parse_bad("[]:53", "[]:53");
}

static void t_parse_empty(void **state)
{
        (void)state;
        const char *specs[] = {"", " ", ",", " , ,"};
        for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
                struct resolver_list l = {0};
                char err[256] = "";
                assert_int_equal(resolvers_parse(&l, specs[i], err, sizeof err), -EINVAL);
                assert_contains(err, "no resolver");
                assert_int_equal(l.n, 0);
                resolvers_free(&l);
        }
}

/* Regression: past DS_RESOLVERS_MAX, -E2BIG must come with a message (err was once left
 * unwritten, and parse_file then strlen()ed an uninitialised buffer). */
static void t_parse_too_many(void **state)
{
        (void)state;
        size_t cap = (DS_RESOLVERS_MAX + 1) * 12 + 1, len = 0;
        char *spec = malloc(cap);
        assert_non_null(spec);
        for (unsigned i = 0; i <= DS_RESOLVERS_MAX; i++)
                len += (size_t)snprintf(spec + len, cap - len, "%s127.0.0.1", i ? "," : "");

        struct resolver_list l = {0};
        char err[256] = "";
        assert_int_equal(resolvers_parse(&l, spec, err, sizeof err), -E2BIG);
        assert_int_equal(l.n, DS_RESOLVERS_MAX);
        resolvers_free(&l);
        free(spec);
        if (err[0] == 0)
                fail_msg("-E2BIG with an empty error message");
}

/* Regression, same cause, from a file: the message must not be the caller's old buffer with
 * " (FILE line N)" appended. */
static void t_parse_too_many_file(void **state)
{
        (void)state;
        struct resolver_list l = {0};
        char err[256];
        struct tmp t;
        size_t len = 0;
        char *text = malloc((DS_RESOLVERS_MAX + 1) * 10 + 1);
        assert_non_null(text);
        for (unsigned i = 0; i <= DS_RESOLVERS_MAX; i++)
                len += (size_t)sprintf(text + len, "127.0.0.1\n");
        tmp_write(&t, text);
        free(text);
        char fspec[300];
        snprintf(fspec, sizeof fspec, "@%s", t.path);
        snprintf(err, sizeof err, "stale");
        int rc = resolvers_parse(&l, fspec, err, sizeof err);
        resolvers_free(&l);
        tmp_remove(&t);
        assert_int_equal(rc, -E2BIG);
        if (strncmp(err, "stale", 5) == 0)
                fail_msg("-E2BIG message is the caller's old buffer: '%s'", err);
}

static void t_parse_exactly_max(void **state)
{
        (void)state;
        size_t cap = DS_RESOLVERS_MAX * 12 + 1, len = 0;
        char *spec = malloc(cap);
        assert_non_null(spec);
        for (unsigned i = 0; i < DS_RESOLVERS_MAX; i++)
                len += (size_t)snprintf(spec + len, cap - len, "%s127.0.0.1", i ? "," : "");
        struct resolver_list l;
        parse_ok(&l, spec, DS_RESOLVERS_MAX);
        assert_v4(&l.v[DS_RESOLVERS_MAX - 1], "127.0.0.1", 53, "127.0.0.1:53");
        resolvers_free(&l);
        free(spec);
}

static void t_parse_file(void **state)
{
        (void)state;
        struct tmp t;
        tmp_write(&t, "# resolvers for the test\n"
                      "\n"
                      "127.0.0.1\n"
                      "   127.0.0.2:5300   # trailing comment\n"
                      "\t\n"
                      "[::1]:53\n"
                      "#127.0.0.9\n"
                      "::2"); /* no final newline */
        char spec[300];
        snprintf(spec, sizeof spec, "@%s", t.path);
        struct resolver_list l;
        parse_ok(&l, spec, 4);
        assert_v4(&l.v[0], "127.0.0.1", 53, "127.0.0.1:53");
        assert_v4(&l.v[1], "127.0.0.2", 5300, "127.0.0.2:5300");
        assert_v6(&l.v[2], "::1", 53, "[::1]:53");
        assert_v6(&l.v[3], "::2", 53, "[::2]:53");
        resolvers_free(&l);
        tmp_remove(&t);
}

static void t_parse_file_bad_line(void **state)
{
        (void)state;
        struct tmp t;
        tmp_write(&t, "# header\n"
                      "127.0.0.1\n"
                      "\n"
                      "127.0.0.1:70000\n"
                      "127.0.0.2\n");
        char spec[300];
        snprintf(spec, sizeof spec, "@%s", t.path);
        struct resolver_list l = {0};
        char err[512] = "";
        assert_int_equal(resolvers_parse(&l, spec, err, sizeof err), -EINVAL);
        assert_contains(err, "'127.0.0.1:70000'");
        assert_contains(err, t.path);
        assert_contains(err, "line 4");
        resolvers_free(&l);
        tmp_remove(&t);
}

static void t_parse_file_missing(void **state)
{
        (void)state;
        struct resolver_list l = {0};
        char err[512] = "";
        const char *path = "/nonexistent-dir-for-test/resolvers.txt";
        char spec[300];
        snprintf(spec, sizeof spec, "@%s", path);
        assert_int_equal(resolvers_parse(&l, spec, err, sizeof err), -ENOENT);
        assert_contains(err, path);
        assert_int_equal(l.n, 0);
        resolvers_free(&l);
}

/* Regression: "@FILE" with only comments or blank lines must fail like an empty list on the
 * command line, not yield zero resolvers (the scan then failed later, confusingly). */
static void t_parse_file_empty(void **state)
{
        (void)state;
        struct tmp t;
        tmp_write(&t, "# nothing here\n\n   \n");
        char spec[300];
        snprintf(spec, sizeof spec, "@%s", t.path);
        struct resolver_list l = {0};
        char err[512] = "";
        int rc = resolvers_parse(&l, spec, err, sizeof err);
        size_t n = l.n;
        resolvers_free(&l);
        tmp_remove(&t);
        if (rc == 0)
                fail_msg("@FILE without entries accepted with %zu resolvers", n);
        assert_true(rc < 0);
        assert_contains(err, t.path);
}

static void t_resolv_conf(void **state)
{
        (void)state;
        struct tmp t;
        tmp_write(&t, "# generated\n"
                      "search example.com corp.example\n"
                      "domain example.com\n"
                      "options ndots:5 timeout:1\n"
                      "nameserver 127.0.0.1\n"
                      "nameserver fe80::1%eth0\n"
                      "; a comment\n"
                      "#nameserver 127.0.0.9\n"
                      "nameservers 127.0.0.8\n"
                      "nameserver\t::1   # trailing\n"
                      "  nameserver 127.0.0.2 ; trailing too\n"
                      "nameserver 127.0.0.3\n");
        struct resolver_list l = {0};
        char err[512] = "";
        int rc = resolvers_from_resolv_conf(&l, t.path, err, sizeof err);
        if (rc != 0)
                fail_msg("resolvers_from_resolv_conf = %d: %s", rc, err);
        assert_int_equal(l.n, 4);
        assert_v4(&l.v[0], "127.0.0.1", 53, "127.0.0.1:53");
        assert_v6(&l.v[1], "::1", 53, "[::1]:53");
        assert_v4(&l.v[2], "127.0.0.2", 53, "127.0.0.2:53");
        assert_v4(&l.v[3], "127.0.0.3", 53, "127.0.0.3:53");
        resolvers_free(&l);
        tmp_remove(&t);
}

static void t_resolv_conf_empty(void **state)
{
        (void)state;
        const char *texts[] = {
            "",
            "search example.com\noptions edns0\n# nameserver 127.0.0.1\n",
            "nameserver fe80::1%eth0\nnameserver fe80::2%2\n",
        };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
                struct tmp t;
                tmp_write(&t, texts[i]);
                struct resolver_list l = {0};
                char err[512] = "";
                assert_int_equal(resolvers_from_resolv_conf(&l, t.path, err, sizeof err), -ENOENT);
                assert_contains(err, t.path);
                assert_int_equal(l.n, 0);
                resolvers_free(&l);
                tmp_remove(&t);
        }
}

static void t_resolv_conf_bad_and_missing(void **state)
{
        (void)state;
        struct tmp t;
        tmp_write(&t, "nameserver 127.0.0.1\nsearch x\nnameserver not-an-ip\n");
        struct resolver_list l = {0};
        char err[512] = "";
        assert_int_equal(resolvers_from_resolv_conf(&l, t.path, err, sizeof err), -EINVAL);
        assert_contains(err, "'not-an-ip'");
        assert_contains(err, t.path);
        assert_contains(err, "line 3");
        resolvers_free(&l);
        tmp_remove(&t);

        const char *path = "/nonexistent-dir-for-test/resolv.conf";
        err[0] = 0;
        assert_int_equal(resolvers_from_resolv_conf(&l, path, err, sizeof err), -ENOENT);
        assert_contains(err, path);
        resolvers_free(&l);
}

static void t_addr_equal(void **state)
{
        (void)state;
        struct resolver_list l;
        parse_ok(&l, "127.0.0.1:5300,[::1]:53", 2);
        const struct resolver *r4 = &l.v[0], *r6 = &l.v[1];

        struct sockaddr_in a4;
        memset(&a4, 0, sizeof a4);
        a4.sin_family = AF_INET;
        a4.sin_port = htons(5300);
        inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
        assert_int_equal(resolver_addr_equal(r4, (const struct sockaddr *)&a4), 1);
        a4.sin_port = htons(53); /* same ip, different port */
        assert_int_equal(resolver_addr_equal(r4, (const struct sockaddr *)&a4), 0);
        a4.sin_port = htons(5300);
        inet_pton(AF_INET, "127.0.0.2", &a4.sin_addr); /* same port, different ip */
        assert_int_equal(resolver_addr_equal(r4, (const struct sockaddr *)&a4), 0);
        assert_int_equal(resolver_addr_equal(r6, (const struct sockaddr *)&a4), 0);

        struct sockaddr_in6 a6;
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons(53);
        inet_pton(AF_INET6, "::1", &a6.sin6_addr);
        assert_int_equal(resolver_addr_equal(r6, (const struct sockaddr *)&a6), 1);
        assert_int_equal(resolver_addr_equal(r4, (const struct sockaddr *)&a6), 0);
        a6.sin6_port = htons(54);
        assert_int_equal(resolver_addr_equal(r6, (const struct sockaddr *)&a6), 0);
        a6.sin6_port = htons(53);
        inet_pton(AF_INET6, "::2", &a6.sin6_addr);
        assert_int_equal(resolver_addr_equal(r6, (const struct sockaddr *)&a6), 0);
        /* The v4-mapped spelling of the v4 resolver is another family: not equal. */
        a6.sin6_port = htons(5300);
        inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
        assert_int_equal(resolver_addr_equal(r4, (const struct sockaddr *)&a6), 0);
        resolvers_free(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_parse_ipv4),
            cmocka_unit_test(t_parse_ipv6),
            cmocka_unit_test(t_parse_list),
            cmocka_unit_test(t_parse_bad_entries),
            cmocka_unit_test(t_parse_bad_bracketed_named_whole),
            cmocka_unit_test(t_parse_empty),
            cmocka_unit_test(t_parse_too_many),
            cmocka_unit_test(t_parse_too_many_file),
            cmocka_unit_test(t_parse_exactly_max),
            cmocka_unit_test(t_parse_file),
            cmocka_unit_test(t_parse_file_bad_line),
            cmocka_unit_test(t_parse_file_missing),
            cmocka_unit_test(t_parse_file_empty),
            cmocka_unit_test(t_resolv_conf),
            cmocka_unit_test(t_resolv_conf_empty),
            cmocka_unit_test(t_resolv_conf_bad_and_missing),
            cmocka_unit_test(t_addr_equal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
