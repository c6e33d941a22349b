/* test_input.c -- unit tests for scanner/input.c.
 * Contract: every format, encoding and dirty-line class through real temp files, compressed
 * and plain, plus the shared real-world lists (skipped only when shared/data is absent). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scanner/domain.h"
#include "scanner/input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#ifndef DS_SHARED_DATA
#define DS_SHARED_DATA "/work/shared/data"
#endif

struct tmp {
        char path[256];
};

static void tmp_make(struct tmp *t)
{
        const char *dir = getenv("TMPDIR");
        snprintf(t->path, sizeof t->path, "%s/test_input.XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(t->path);
        assert_true(fd >= 0);
        close(fd);
}

static void tmp_write(struct tmp *t, const void *data, size_t n)
{
        tmp_make(t);
        FILE *f = fopen(t->path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
}

static struct input *open_cfg(struct tmp *t, const char *text, const struct input_config *cfg)
{
        struct input *in = NULL;
        char err[512];
        tmp_write(t, text, strlen(text));
        int rc = input_open(&in, t->path, cfg, err, sizeof err);
        if (rc != 0)
                fail_msg("input_open: %d %s", rc, err);
        return in;
}

static struct input *open_text(struct tmp *t, const char *text)
{
        return open_cfg(t, text, NULL);
}

static void done(struct input *in, struct tmp *t)
{
        struct input_item it;
        assert_int_equal(input_next(in, &it), 0);
        input_close(in);
        unlink(t->path);
}

static void expect_ok(struct input *in, uint64_t line, const char *domain)
{
        struct input_item it;
        assert_int_equal(input_next(in, &it), 1);
        if (it.status != INPUT_ITEM_OK)
                fail_msg("line %llu: want %s, got ILLEGAL: %s", (unsigned long long)it.line, domain,
                         it.error);
        assert_int_equal(it.line, line);
        assert_string_equal(it.domain, domain);
}

static void expect_bad(struct input *in, uint64_t line, const char *reason)
{
        struct input_item it;
        assert_int_equal(input_next(in, &it), 1);
        if (it.status != INPUT_ITEM_ILLEGAL)
                fail_msg("line %llu: want ILLEGAL (%s), got %s", (unsigned long long)it.line,
                         reason, it.domain);
        assert_int_equal(it.line, line);
        assert_string_equal(it.error, reason);
        assert_string_equal(it.domain, "");
}

/* ---- normalization ---- */

static void norm_ok(const char *in, const char *want)
{
        char out[DS_NAME_MAX_TEXT + 1];
        const char *why = "unset";
        int rc = domain_normalize_field(in, strlen(in), out, sizeof out, &why);
        if (rc != 0)
                fail_msg("%s: %s", in, why);
        assert_null(why);
        assert_string_equal(out, want);
}

static void norm_bad(const char *in, const char *want)
{
        char out[DS_NAME_MAX_TEXT + 1];
        const char *why = NULL;
        assert_int_equal(domain_normalize_field(in, strlen(in), out, sizeof out, &why), -EINVAL);
        assert_non_null(why);
        assert_string_equal(why, want);
}

static void t_normalize_ok(void **st)
{
        (void)st;
        norm_ok("example.com", "example.com");
        norm_ok("Example.COM", "example.com");
        norm_ok(" \texample.com.\t ", "example.com");
        norm_ok("_dmarc.Example.com", "_dmarc.example.com");
        norm_ok("a-b.c-d.e", "a-b.c-d.e");
        norm_ok("bücher.de", "xn--bcher-kva.de");
        norm_ok("ÉCOLE.fr", "xn--cole-9oa.fr");
        norm_ok("Bücher.DE.", "xn--bcher-kva.de");
        norm_ok("xn--bcher-kva.de", "xn--bcher-kva.de");
        norm_ok("1.2.3.com", "1.2.3.com");
}

static void t_normalize_lengths(void **st)
{
        char name[400], out[DS_NAME_MAX_TEXT + 1];
        const char *why;
        (void)st;
        memset(name, 'a', 63);
        strcpy(name + 63, ".com");
        norm_ok(name, name);
        memset(name, 'a', 64);
        strcpy(name + 64, ".com");
        norm_bad(name, "label longer than 63 octets");
        /* 4 labels of 61 + ".com" = 4*62 + 3 = 251; then grow to exactly 253 and 254 */
        for (int i = 0; i < 4; i++) {
                memset(name + i * 62, 'b', 61);
                name[i * 62 + 61] = '.';
        }
        strcpy(name + 248, "abcde");
        assert_int_equal(strlen(name), 253);
        norm_ok(name, name);
        strcpy(name + 248, "abcdef");
        norm_bad(name, "name longer than 253 octets");
        /* a too-small output buffer is reported, not overrun */
        assert_int_equal(domain_normalize_field("example.com", 11, out, 5, &why), -EINVAL);
}

static void t_normalize_bad(void **st)
{
        (void)st;
        norm_bad("", "empty name");
        norm_bad("  ", "empty name");
        norm_bad(".", "empty name");
        norm_bad("example.com..", "empty label (two dots in a row)");
        norm_bad("a..b.com", "empty label (two dots in a row)");
        norm_bad(".example.com", "empty label (starts with a dot)");
        norm_bad("com", "a single label, not a domain name");
        norm_bad("localhost.", "a single label, not a domain name");
        norm_bad("-a.com", "label starts or ends with a hyphen");
        norm_bad("a.b-.com", "label starts or ends with a hyphen");
        norm_bad("1.2.3.4", "an IP address, not a domain name");
        norm_bad("example.123", "an IP address, not a domain name");
        norm_bad("2001:db8::1", "an IP address, not a domain name");
        norm_bad("http://example.com", "a URL, not a domain name (use the host part)");
        norm_bad("example.com/path", "a URL, not a domain name (use the host part)");
        norm_bad("174.132.145.94/~hope", "a URL, not a domain name (use the host part)");
        norm_bad("user@example.com",
                 "an e-mail address, not a domain name (use the part after '@')");
        norm_bad("exa mple.com", "invalid character (labels allow letters, digits, '-' and '_')");
        norm_bad("example.com:8080",
                 "invalid character (labels allow letters, digits, '-' and '_')");
        /* the public reason for IDN errors is libidn2's own sentence */
        norm_bad("\xe2\x98\x83.com", "string contains a disallowed character");
}

/* Items carry formatted reasons: the offending byte, its position, the IDN prefix. */
static void t_item_reasons(void **st)
{
        struct tmp t;
        (void)st;
        struct input *in = open_text(&t, "exa mple.com\n"
                                         "a\x01"
                                         "b.com\n"
                                         "ex!ample.com\n"
                                         "caf\xc3\xa9\xff.com\n"
                                         "\xe2\x98\x83.com\n"
                                         "xn--zz.\xc3\xbc.de\n");
        assert_int_equal(input_format_of(in), INPUT_LIST);
        expect_bad(in, 1, "spaces inside the name (one domain per line expected)");
        expect_bad(in, 2, "invalid character '\\x01' at position 2");
        expect_bad(in, 3, "invalid character '!' at position 3");
        expect_bad(in, 4, "IDN: string encoding error");
        expect_bad(in, 5, "IDN: string contains a disallowed character");
        expect_bad(in, 6, "IDN: string contains invalid punycode data");
        done(in, &t);
}

/* ---- LIST ---- */

static void t_list_cleaning(void **st)
{
        struct tmp t;
        struct input_item it;
        (void)st;
        struct input *in = open_text(&t, "\xef\xbb\xbf"
                                         "Example.COM\r\n"
                                         "\r\n"
                                         "# a comment\n"
                                         "   # indented comment, \xff bytes\n"
                                         "  \t \n"
                                         "  spaced.org.  \r\n"
                                         "b\xc3\xbc"
                                         "cher.de\n"
                                         "\xc3\x89"
                                         "COLE.fr\n"
                                         "plain.net\n"
                                         "last.io");
        assert_int_equal(input_format_of(in), INPUT_LIST);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 1);
        assert_int_equal(it.status, INPUT_ITEM_OK);
        assert_string_equal(it.domain, "example.com");
        assert_string_equal(it.raw, "Example.COM");
        assert_true(it.raw_differs);
        assert_int_equal(it.rank, -1);
        assert_null(it.sector);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 6);
        assert_string_equal(it.domain, "spaced.org");
        assert_string_equal(it.raw, "spaced.org.");
        assert_true(it.raw_differs);
        expect_ok(in, 7, "xn--bcher-kva.de");
        expect_ok(in, 8, "xn--cole-9oa.fr");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 9);
        assert_string_equal(it.raw, "plain.net");
        assert_false(it.raw_differs);
        expect_ok(in, 10, "last.io");
        done(in, &t);
}

static void t_list_illegal_lines(void **st)
{
        struct tmp t;
        struct input_item it;
        (void)st;
        struct input *in = open_text(&t, "good.com\n"
                                         "\n"
                                         "bad..com\n"
                                         "# skip\n"
                                         "https://www.example.com/\n"
                                         "10.0.0.1\n"
                                         "-x.com\n"
                                         "x.com foo\n"
                                         "com\n"
                                         "ok.org\n");
        expect_ok(in, 1, "good.com");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 3);
        assert_int_equal(it.status, INPUT_ITEM_ILLEGAL);
        assert_string_equal(it.raw, "bad..com");
        assert_true(it.raw_differs);
        assert_string_equal(it.error, "empty label (two dots in a row)");
        expect_bad(in, 5, "a URL, not a domain name (use the host part)");
        expect_bad(in, 6, "an IP address, not a domain name");
        expect_bad(in, 7, "label starts or ends with a hyphen");
        expect_bad(in, 8, "spaces inside the name (one domain per line expected)");
        expect_bad(in, 9, "a single label, not a domain name");
        expect_ok(in, 10, "ok.org");
        done(in, &t);
}

static char *repeat(char c, size_t n, const char *tail)
{
        size_t tl = strlen(tail);
        char *s = malloc(n + tl + 1);
        assert_non_null(s);
        memset(s, c, n);
        memcpy(s + n, tail, tl + 1);
        return s;
}

static void t_overlong_line(void **st)
{
        struct tmp t;
        struct input_item it;
        char want[64];
        (void)st;
        /* 100 KiB line (crosses several read blocks), then a good one */
        char *big = repeat('a', 100000, "\nafter.com\n");
        struct input *in = open_text(&t, big);
        snprintf(want, sizeof want, "line longer than %d bytes", DS_INPUT_LINE_MAX);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 1);
        assert_int_equal(it.status, INPUT_ITEM_ILLEGAL);
        assert_string_equal(it.error, want);
        assert_int_equal(strlen(it.raw), DS_INPUT_RAW_MAX);
        expect_ok(in, 2, "after.com");
        done(in, &t);
        free(big);

        /* exactly DS_INPUT_LINE_MAX bytes before CRLF is still a line, just a bad name */
        big = repeat('b', DS_INPUT_LINE_MAX, "\r\nx.com\n");
        in = open_text(&t, big);
        expect_bad(in, 1, "name longer than 253 octets");
        expect_ok(in, 2, "x.com");
        done(in, &t);
        free(big);

        /* one byte more is overlong; an overlong comment is still a comment */
        char *comment = repeat('#', 20000, "\n");
        big = repeat('c', DS_INPUT_LINE_MAX + 1, "\ny.com\n");
        size_t cl = strlen(comment), bl = strlen(big);
        char *both = malloc(cl + bl + 1);
        assert_non_null(both);
        memcpy(both, comment, cl);
        memcpy(both + cl, big, bl + 1);
        in = open_text(&t, both);
        expect_bad(in, 2, want);
        expect_ok(in, 3, "y.com");
        done(in, &t);
        free(big);
        free(comment);
        free(both);
}

/* ---- RANK ---- */

static void t_rank(void **st)
{
        struct tmp t;
        struct input_item it;
        (void)st;
        struct input *in = open_text(&t, "# tranco\n"
                                         "1,google.com\r\n"
                                         "2, Example.COM. \r\n"
                                         "0,zero.com\n"
                                         "x,letter.com\n"
                                         "99999999999999999999,huge.com\n"
                                         "7\n"
                                         "8,1.2.3.4\n"
                                         "\"9\",\"quoted.org\"\n"
                                         "10,last.net");
        assert_int_equal(input_format_of(in), INPUT_RANK);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 2);
        assert_int_equal(it.rank, 1);
        assert_string_equal(it.domain, "google.com");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.rank, 2);
        assert_string_equal(it.domain, "example.com");
        assert_string_equal(it.raw, "Example.COM.");
        expect_bad(in, 4, "rank is not a positive integer");
        expect_bad(in, 5, "rank is not a positive integer");
        expect_bad(in, 6, "rank is not a positive integer");
        expect_bad(in, 7, "no column 2 (row has 1 fields)");
        expect_bad(in, 8, "an IP address, not a domain name");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.rank, 9);
        assert_string_equal(it.domain, "quoted.org");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 10);
        assert_int_equal(it.rank, 10);
        assert_string_equal(it.domain, "last.net");
        done(in, &t);
}

static void t_forced_formats(void **st)
{
        struct tmp t;
        struct input_item it;
        (void)st;
        /* a forced RANK file whose first field is not numeric */
        struct input_config rank = {INPUT_RANK, NULL, NULL};
        struct input *in = open_cfg(&t, "a,b.com\n3,c.com\n", &rank);
        assert_int_equal(input_format_of(in), INPUT_RANK);
        expect_bad(in, 1, "rank is not a positive integer");
        expect_ok(in, 2, "c.com");
        done(in, &t);
        /* a forced LIST keeps commas in the name (and rejects them) */
        struct input_config list = {INPUT_LIST, NULL, NULL};
        in = open_cfg(&t, "1,a.com\n", &list);
        expect_bad(in, 1, "invalid character ',' at position 2");
        done(in, &t);
        /* forced CSV: the first line is a header even without commas */
        struct input_config csv = {INPUT_CSV, NULL, NULL};
        in = open_cfg(&t, "name\nb.com\n", &csv);
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "b.com");
        done(in, &t);
}

/* ---- CSV ---- */

static void t_csv_quoted_sector(void **st)
{
        struct tmp t;
        struct input_item it;
        const char *federal;
        (void)st;
        struct input_config cfg = {INPUT_AUTO, NULL, "Sector"};
        struct input *in = open_cfg(&t,
                                    "Note,\"Domain\",sector\r\n"
                                    "\"a, b\",\"Example.com\",\"Federal - Executive\"\r\n"
                                    "\"say \"\"hi\"\", ok\", \" spaced.org \" ,City\r\n"
                                    "x,third.net,\"Federal - Executive\"\r\n"
                                    "x,nosector.com,\r\n"
                                    "x,blank.com,   \r\n"
                                    "\"multi\r\nline, note\",fourth.org,City\r\n"
                                    "only-one-field\r\n"
                                    ",,\r\n"
                                    "x,last.com,\"Federal - Executive\"",
                                    &cfg);
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 2);
        assert_string_equal(it.domain, "example.com");
        assert_string_equal(it.raw, "Example.com");
        assert_int_equal(it.rank, -1);
        assert_non_null(it.sector);
        assert_string_equal(it.sector, "Federal - Executive");
        federal = it.sector;
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 3);
        assert_string_equal(it.domain, "spaced.org");
        assert_string_equal(it.raw, "spaced.org");
        assert_false(it.raw_differs);
        assert_string_equal(it.sector, "City");
        assert_int_equal(input_next(in, &it), 1);
        assert_ptr_equal(it.sector, federal); /* interned */
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "nosector.com");
        assert_null(it.sector);
        assert_int_equal(input_next(in, &it), 1);
        assert_null(it.sector);
        /* a quoted field spanning two physical lines is one record at its first line */
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 7);
        assert_string_equal(it.domain, "fourth.org");
        assert_string_equal(it.sector, "City");
        expect_bad(in, 9, "no column 2 (row has 1 fields)");
        expect_bad(in, 10, "empty name");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.line, 11);
        assert_ptr_equal(it.sector, federal);
        assert_string_equal(it.domain, "last.com");
        done(in, &t);
}

static void t_csv_column_choice(void **st)
{
        struct tmp t;
        struct input_item it;
        const char *text = "id,Host,Kind,Domain Name\n"
                           "1,h.example,k1,d.example\n";
        (void)st;
        /* auto: the first header in the known list wins (Host before Domain Name) */
        struct input *in = open_text(&t, text);
        assert_int_equal(input_format_of(in), INPUT_CSV);
        expect_ok(in, 2, "h.example");
        done(in, &t);
        /* by name, case-insensitive, surrounding spaces ignored */
        struct input_config byname = {INPUT_AUTO, " DOMAIN NAME ", "kind"};
        in = open_cfg(&t, text, &byname);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "d.example");
        assert_string_equal(it.sector, "k1");
        done(in, &t);
        /* by 1-based number; the rank-looking first line is a header because columns were
         * given */
        struct input_config bynum = {INPUT_AUTO, "4", "3"};
        in = open_cfg(&t, "1,2,3,4\n1,h.example,k1,d.example\n", &bynum);
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "d.example");
        assert_string_equal(it.sector, "k1");
        done(in, &t);
        /* no known name: column 1 */
        in = open_text(&t, "a,b\nfirst.com,second.com\n");
        expect_ok(in, 2, "first.com");
        done(in, &t);
        /* a number beyond the row reports the row's width */
        struct input_config far = {INPUT_CSV, "9", NULL};
        in = open_cfg(&t, "a,b\nx.com,y.com\n", &far);
        expect_bad(in, 2, "no column 9 (row has 2 fields)");
        done(in, &t);
        /* one-column CSV with a "domain" header is not a list whose first name is "domain" */
        in = open_text(&t, "Domain\none.com\n");
        assert_int_equal(input_format_of(in), INPUT_CSV);
        expect_ok(in, 2, "one.com");
        done(in, &t);
}

static void t_csv_rank_column(void **st)
{
        struct tmp t;
        struct input_item it;
        (void)st;
        struct input *in =
            open_text(&t, "GlobalRank,TldRank,Domain,TLD,RefSubNets,RefIPs,IDN_Domain,IDN_TLD\n"
                          "1,1,google.com,com,501331,2221793,google.com,com\n"
                          "2,2,Facebook.com,com,481419,2265182,facebook.com,com\n"
                          "x,3,norank.com,com,1,1,norank.com,com\n");
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.rank, 1);
        assert_string_equal(it.domain, "google.com");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.rank, 2);
        assert_string_equal(it.domain, "facebook.com");
        /* an incidental rank column does not reject the row */
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.status, INPUT_ITEM_OK);
        assert_int_equal(it.rank, -1);
        done(in, &t);
        /* "rank,domain" with a header */
        in = open_text(&t, "rank,domain\n5,five.com\n");
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(it.rank, 5);
        assert_string_equal(it.domain, "five.com");
        done(in, &t);
}

static void open_fails(const char *text, const struct input_config *cfg, int want_rc,
                       const char *want1, const char *want2)
{
        struct tmp t;
        struct input *in = (struct input *)1;
        char err[512];
        tmp_write(&t, text, strlen(text));
        assert_int_equal(input_open(&in, t.path, cfg, err, sizeof err), want_rc);
        assert_null(in);
        if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
                fail_msg("message: %s", err);
        unlink(t.path);
}

static void t_column_errors(void **st)
{
        (void)st;
        const char *hdr = "\n# c\nDomain name,Domain type\nx.gov,City\n";
        struct input_config dom = {INPUT_AUTO, "Nope", NULL};
        open_fails(hdr, &dom, -EINVAL, "line 3: no domain column \"Nope\"",
                   "columns: \"Domain name\", \"Domain type\"");
        struct input_config sec = {INPUT_CSV, NULL, "sector"};
        open_fails(hdr, &sec, -EINVAL, "no sector column \"sector\"", "\"Domain type\"");
        struct input_config zero = {INPUT_CSV, "0", NULL};
        open_fails(hdr, &zero, -EINVAL, "no domain column \"0\"", NULL);
        struct input_config list = {INPUT_LIST, "1", NULL};
        open_fails("a.com\n", &list, -EINVAL, "need CSV or rank input", NULL);
        struct input_config rank = {INPUT_RANK, "Domain", NULL};
        open_fails("1,a.com\n", &rank, -EINVAL, "column numbers only", NULL);
        char *big = repeat('h', DS_INPUT_LINE_MAX + 5, ",x\n");
        struct input_config csv = {INPUT_CSV, NULL, NULL};
        open_fails(big, &csv, -EINVAL, "line 1: CSV header line is too long", NULL);
        free(big);
}

static void t_open_errors(void **st)
{
        struct input *in = (struct input *)1;
        char err[256];
        (void)st;
        assert_int_equal(input_open(&in, "/nonexistent/dir/list.txt", NULL, err, sizeof err),
                         -ENOENT);
        assert_null(in);
        assert_non_null(strstr(err, "/nonexistent/dir/list.txt"));
        assert_int_equal(input_open(&in, "/tmp", NULL, err, sizeof err), -EISDIR);
}

static void t_empty_inputs(void **st)
{
        struct tmp t;
        (void)st;
        struct input *in = open_text(&t, "");
        assert_int_equal(input_format_of(in), INPUT_LIST);
        done(in, &t);
        in = open_text(&t, "\xef\xbb\xbf\n# only comments\n\n");
        done(in, &t);
        struct input_config csv = {INPUT_CSV, "domain", NULL};
        in = open_cfg(&t, "domain\n", &csv);
        done(in, &t);
}

static void t_sector_limits(void **st)
{
        struct tmp t;
        struct input_item it;
        (void)st;
        /* sector values are truncated to DS_SECTOR_MAX bytes */
        char *line = repeat('s', DS_SECTOR_MAX + 100, "\n");
        char *text = malloc(strlen(line) + 64);
        assert_non_null(text);
        sprintf(text, "domain,sector\na.com,%s", line);
        struct input_config cfg = {INPUT_AUTO, NULL, "2"};
        struct input *in = open_cfg(&t, text, &cfg);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(strlen(it.sector), DS_SECTOR_MAX);
        done(in, &t);
        free(line);
        free(text);

        /* a sector ends at a NUL byte (it is a C string): one that is empty up to there is
         * no sector, and "k\0x" is "k" (a fuzz finding: the NUL cell gave an empty sector) */
        static const char nul[] = "domain,sector\na.com,\0\0x\nb.com,k\0x\nc.com,k\n";
        tmp_write(&t, nul, sizeof nul - 1);
        char err[256];
        assert_int_equal(input_open(&in, t.path, &cfg, err, sizeof err), 0);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "a.com");
        assert_null(it.sector);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.sector, "k");
        const char *k = it.sector;
        assert_int_equal(input_next(in, &it), 1);
        assert_ptr_equal(it.sector, k);
        done(in, &t);

        /* a column with a distinct value per row is not a sector: fatal, with the line */
        size_t cap = 40 * 20000, n = 0;
        text = malloc(cap);
        assert_non_null(text);
        n += (size_t)sprintf(text, "domain,sector\n");
        for (int i = 0; i < 20000; i++)
                n += (size_t)sprintf(text + n, "d%d.com,s%d\n", i, i);
        in = open_cfg(&t, text, &cfg);
        int r, items = 0;
        while ((r = input_next(in, &it)) == 1)
                items++;
        assert_int_equal(r, -E2BIG);
        assert_int_equal(items, 10000);
        assert_non_null(strstr(input_error(in), "line 10002: sector column has more distinct"));
        assert_int_equal(input_next(in, &it), -E2BIG);
        input_close(in);
        unlink(t.path);
        free(text);
}

/* ---- compression ---- */

#define BULK_LINES 30000

/* "# header" then BULK_LINES names: enough to cross many 64 KiB blocks. */
static char *bulk_text(int first, size_t *len)
{
        size_t cap = 32 * (BULK_LINES + 2), n = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        n += (size_t)sprintf(s, "# part %d\n", first);
        for (int i = 0; i < BULK_LINES; i++)
                n += (size_t)sprintf(s + n, "Host%d.Example.com\r\n", first + i);
        *len = n;
        return s;
}

static void check_bulk(struct input *in, int parts)
{
        struct input_item it;
        char want[64];
        uint64_t line = 0;
        for (int p = 0; p < parts; p++) {
                line++; /* the comment */
                for (int i = 0; i < BULK_LINES; i++) {
                        assert_int_equal(input_next(in, &it), 1);
                        snprintf(want, sizeof want, "host%d.example.com", p * BULK_LINES + i);
                        assert_int_equal(it.line, ++line);
                        assert_string_equal(it.domain, want);
                }
        }
        assert_int_equal(input_next(in, &it), 0);
}

static void check_progress(struct input *in, const char *path)
{
        struct stat sb;
        uint64_t d, total;
        assert_int_equal(stat(path, &sb), 0);
        input_progress(in, &d, &total);
        assert_int_equal(total, (uint64_t)sb.st_size);
        assert_int_equal(d, (uint64_t)sb.st_size);
}

static void gzip_member(const char *path, const char *mode, const char *s, size_t n)
{
        gzFile g = gzopen(path, mode);
        assert_non_null(g);
        assert_int_equal(gzwrite(g, s, (unsigned)n), (int)n);
        assert_int_equal(gzclose(g), Z_OK);
}

static void t_gzip_members(void **st)
{
        struct tmp t;
        struct input *in;
        char err[256];
        size_t n1, n2;
        (void)st;
        char *a = bulk_text(0, &n1), *b = bulk_text(BULK_LINES, &n2);
        tmp_make(&t);
        gzip_member(t.path, "wb", a, n1);
        gzip_member(t.path, "ab", b, n2); /* a second member, as `cat a.gz b.gz` makes */
        assert_int_equal(input_open(&in, t.path, NULL, err, sizeof err), 0);
        assert_int_equal(input_format_of(in), INPUT_LIST);
        check_bulk(in, 2);
        check_progress(in, t.path);
        input_close(in);
        unlink(t.path);
        free(a);
        free(b);
}

/* One frame; with a content checksum so that corruption is always detectable. */
static void *zstd_frame(const char *s, size_t n, size_t *zn)
{
        size_t cap = ZSTD_compressBound(n);
        void *z = malloc(cap);
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        assert_non_null(z);
        assert_non_null(cc);
        assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3)));
        assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
        *zn = ZSTD_compress2(cc, z, cap, s, n);
        assert_false(ZSTD_isError(*zn));
        ZSTD_freeCCtx(cc);
        return z;
}

static void t_zstd_frames(void **st)
{
        struct tmp t;
        struct input *in;
        char err[256];
        size_t n1, n2, z1, z2;
        (void)st;
        char *a = bulk_text(0, &n1), *b = bulk_text(BULK_LINES, &n2);
        void *za = zstd_frame(a, n1, &z1), *zb = zstd_frame(b, n2, &z2);
        char *both = malloc(z1 + z2);
        assert_non_null(both);
        memcpy(both, za, z1);
        memcpy(both + z1, zb, z2);
        tmp_write(&t, both, z1 + z2);
        assert_int_equal(input_open(&in, t.path, NULL, err, sizeof err), 0);
        check_bulk(in, 2);
        check_progress(in, t.path);
        input_close(in);
        unlink(t.path);
        free(a);
        free(b);
        free(za);
        free(zb);
        free(both);
}

static void t_compressed_csv(void **st)
{
        struct tmp t;
        struct input *in;
        struct input_item it;
        char err[256];
        const char *csv = "\xef\xbb\xbf"
                          "Domain name,Domain type\r\n"
                          "A.gov,City\r\n";
        size_t zn;
        (void)st;
        tmp_make(&t);
        gzip_member(t.path, "wb", csv, strlen(csv));
        struct input_config cfg = {INPUT_AUTO, NULL, "domain type"};
        assert_int_equal(input_open(&in, t.path, &cfg, err, sizeof err), 0);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "a.gov");
        assert_string_equal(it.sector, "City");
        input_close(in);
        void *z = zstd_frame(csv, strlen(csv), &zn);
        tmp_write(&t, z, zn);
        assert_int_equal(input_open(&in, t.path, &cfg, err, sizeof err), 0);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "a.gov");
        assert_int_equal(input_next(in, &it), 0);
        input_close(in);
        free(z);
        unlink(t.path);
}

/* Reads until a fatal error; returns it, checking the message. */
static void read_to_error(const void *data, size_t n, const char *want)
{
        struct tmp t;
        struct input *in;
        struct input_item it;
        char err[512];
        int r;
        tmp_write(&t, data, n);
        r = input_open(&in, t.path, NULL, err, sizeof err);
        if (r == 0) {
                while ((r = input_next(in, &it)) == 1)
                        ;
                assert_int_equal(r, -EIO);
                if (!strstr(input_error(in), want))
                        fail_msg("error: %s (want %s)", input_error(in), want);
                assert_int_equal(input_next(in, &it), -EIO); /* sticky */
                input_close(in);
        } else {
                assert_int_equal(r, -EIO);
                if (!strstr(err, want))
                        fail_msg("error: %s (want %s)", err, want);
        }
        unlink(t.path);
}

static void t_corrupt_compressed(void **st)
{
        struct tmp t;
        size_t n, zn;
        struct stat sb;
        (void)st;
        char *a = bulk_text(0, &n);
        tmp_make(&t);
        gzip_member(t.path, "wb", a, n);
        assert_int_equal(stat(t.path, &sb), 0);
        unsigned char *gz = malloc((size_t)sb.st_size);
        FILE *f = fopen(t.path, "rb");
        assert_non_null(f);
        assert_int_equal(fread(gz, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
        fclose(f);
        unlink(t.path);
        read_to_error(gz, (size_t)sb.st_size / 2, "gzip data is truncated");
        read_to_error(gz, 2, "line 1: gzip data is truncated");
        gz[sb.st_size / 2] ^= 0xff;
        gz[sb.st_size / 2 + 1] ^= 0x55;
        read_to_error(gz, (size_t)sb.st_size, "gzip data is corrupt");
        /* garbage after a complete member is not silently ignored */
        gz[sb.st_size / 2] ^= 0xff;
        gz[sb.st_size / 2 + 1] ^= 0x55;
        unsigned char *tail = malloc((size_t)sb.st_size + 8);
        memcpy(tail, gz, (size_t)sb.st_size);
        memcpy(tail + sb.st_size, "garbage!", 8);
        read_to_error(tail, (size_t)sb.st_size + 8, "line 30002: gzip data is corrupt");
        free(tail);
        free(gz);

        unsigned char *z = zstd_frame(a, n, &zn);
        read_to_error(z, zn / 2, "zstd data is truncated");
        z[zn / 2] ^= 0xff;
        z[zn / 2 + 3] ^= 0x0f;
        read_to_error(z, zn, "zstd data is corrupt");
        free(z);
        free(a);
}

static void t_plain_progress(void **st)
{
        struct tmp t;
        size_t n;
        struct input *in;
        char err[256];
        uint64_t d, total;
        (void)st;
        char *a = bulk_text(0, &n);
        tmp_write(&t, a, n);
        assert_int_equal(input_open(&in, t.path, NULL, err, sizeof err), 0);
        input_progress(in, &d, &total);
        assert_int_equal(total, n);
        assert_true(d > 0 && d < n); /* only the first block so far */
        check_bulk(in, 1);
        check_progress(in, t.path);
        input_close(in);
        unlink(t.path);
        free(a);
}

/* The SHA-256 of the file as stored, known once it was read to its end; data rows. */
static void t_sha256_and_rows(void **st)
{
        struct tmp t;
        struct input_item it;
        char hex[65];
        (void)st;
        struct input *in = open_text(&t, "a.example\n# c\nb.example\n");
        assert_false(input_sha256(in, hex));
        assert_string_equal(hex, "");
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(input_next(in, &it), 1);
        assert_int_equal(input_rows(in), 2);
        assert_int_equal(input_next(in, &it), 0);
        assert_true(input_sha256(in, hex));
        assert_string_equal(hex,
                            "9389d3ec19f38f7defd2c9018a20a28df3d060fa66bacb135d74ede7dd47780e");
        assert_true(input_sha256(in, hex)); /* asking again gives the same */
        assert_string_equal(hex,
                            "9389d3ec19f38f7defd2c9018a20a28df3d060fa66bacb135d74ede7dd47780e");
        done(in, &t);
        assert_string_equal(input_format_name(INPUT_CSV), "csv");
}

/* ---- real shared data ---- */

static struct input *open_shared(const char *name, const struct input_config *cfg, char *path,
                                 size_t cap)
{
        struct stat sb;
        struct input *in;
        char err[512];
        if (stat(DS_SHARED_DATA, &sb) != 0 || !S_ISDIR(sb.st_mode))
                return NULL;
        snprintf(path, cap, "%s/%s", DS_SHARED_DATA, name);
        int rc = input_open(&in, path, cfg, err, sizeof err);
        if (rc != 0)
                fail_msg("%s: %s", path, err);
        return in;
}

static void t_shared_dotgov(void **st)
{
        char path[512];
        struct input_item it;
        long federal_exec = 0, ok = 0, n = 0;
        int r;
        (void)st;
        struct input_config cfg = {INPUT_AUTO, "Domain name", "Domain type"};
        struct input *in = open_shared("dotgov-current-full.csv", &cfg, path, sizeof path);
        if (!in)
                skip();
        assert_int_equal(input_format_of(in), INPUT_CSV);
        while ((r = input_next(in, &it)) == 1) {
                n++;
                ok += it.status == INPUT_ITEM_OK;
                if (it.sector && strcmp(it.sector, "Federal - Executive") == 0)
                        federal_exec++;
                assert_non_null(it.sector);
                assert_int_equal(it.line, (uint64_t)n + 1);
        }
        assert_int_equal(r, 0);
        assert_int_equal(n, 16539);
        assert_int_equal(ok, 16539);
        assert_int_equal(federal_exec, 1174);
        check_progress(in, path);
        input_close(in);
}

static void t_shared_gsa(void **st)
{
        char path[512];
        struct input_item it;
        long n = 0, ok = 0;
        bool saw_dirty = false;
        int r;
        (void)st;
        /* the explicit column name only matches if the BOM was stripped from the header */
        struct input_config cfg = {INPUT_AUTO, "Domain name", "Type of government"};
        struct input *in = open_shared("gsa-govt-urls-full.csv", &cfg, path, sizeof path);
        if (!in)
                skip();
        while ((r = input_next(in, &it)) == 1) {
                n++;
                ok += it.status == INPUT_ITEM_OK;
                if (strcmp(it.raw, "174.132.145.94/~hope") == 0) {
                        saw_dirty = true;
                        assert_int_equal(it.line, 3);
                        assert_int_equal(it.status, INPUT_ITEM_ILLEGAL);
                        assert_string_equal(it.error,
                                            "a URL, not a domain name (use the host part)");
                        assert_string_equal(it.sector, "Local");
                }
                if (strcmp(it.raw, "1-800-vermont.com") == 0)
                        assert_int_equal(it.line, 2);
        }
        assert_int_equal(r, 0);
        assert_true(saw_dirty);
        assert_int_equal(n, 9225); /* one record has a quoted note spanning two lines */
        assert_true(ok > 9000);
        input_close(in);
        /* and auto-detection picks the same column */
        in = open_shared("gsa-govt-urls-full.csv", NULL, path, sizeof path);
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "1-800-vermont.com");
        input_close(in);
}

static void t_shared_top(void **st)
{
        char path[512];
        struct input_item it;
        long n = 0;
        int r;
        (void)st;
        struct input *in = open_shared("top-65535.csv", NULL, path, sizeof path);
        if (!in)
                skip();
        assert_int_equal(input_format_of(in), INPUT_RANK);
        while ((r = input_next(in, &it)) == 1) {
                n++;
                assert_int_equal(it.status, INPUT_ITEM_OK);
                assert_int_equal(it.rank, n);
                assert_int_equal(it.line, (uint64_t)n);
        }
        assert_int_equal(r, 0);
        assert_int_equal(n, 65535);
        input_close(in);
}

static void t_shared_majestic(void **st)
{
        char path[512];
        struct input_item it;
        long n = 0;
        int r;
        (void)st;
        struct input *in = open_shared("majestic-million-first15000.csv", NULL, path, sizeof path);
        if (!in)
                skip();
        assert_int_equal(input_format_of(in), INPUT_CSV);
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.domain, "google.com");
        assert_int_equal(it.rank, 1);
        n = 1;
        while ((r = input_next(in, &it)) == 1)
                assert_int_equal(it.rank, ++n);
        assert_int_equal(r, 0);
        assert_int_equal(n, 15000);
        input_close(in);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_normalize_ok),      cmocka_unit_test(t_normalize_lengths),
            cmocka_unit_test(t_normalize_bad),     cmocka_unit_test(t_item_reasons),
            cmocka_unit_test(t_list_cleaning),     cmocka_unit_test(t_list_illegal_lines),
            cmocka_unit_test(t_overlong_line),     cmocka_unit_test(t_rank),
            cmocka_unit_test(t_forced_formats),    cmocka_unit_test(t_csv_quoted_sector),
            cmocka_unit_test(t_csv_column_choice), cmocka_unit_test(t_csv_rank_column),
            cmocka_unit_test(t_column_errors),     cmocka_unit_test(t_open_errors),
            cmocka_unit_test(t_empty_inputs),      cmocka_unit_test(t_sector_limits),
            cmocka_unit_test(t_gzip_members),      cmocka_unit_test(t_zstd_frames),
            cmocka_unit_test(t_compressed_csv),    cmocka_unit_test(t_corrupt_compressed),
            cmocka_unit_test(t_plain_progress),    cmocka_unit_test(t_shared_dotgov),
            cmocka_unit_test(t_shared_gsa),        cmocka_unit_test(t_shared_top),
            cmocka_unit_test(t_shared_majestic),   cmocka_unit_test(t_sha256_and_rows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
