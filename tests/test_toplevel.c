/* test_toplevel.c -- unit tests of scanner/toplevel.c and scanner/spoof.c: the spoofability
 * decision table of docs/verdicts.md row by row (each row a check_facts array as the job hands
 * it over, in every order), the table itself read from docs/verdicts.md and checked against
 * the code for every combination of inputs (and every row reached), the DMARC check alone
 * giving its estimate unchanged, and exists from whichever check knows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/check.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/spoof.h"
#include "scanner/toplevel.h"

#ifndef DS_SOURCE_DIR
#error "DS_SOURCE_DIR must name the source tree"
#endif
#define VERDICTS_MD DS_SOURCE_DIR "/docs/verdicts.md"

#define NOT_RUN (-1)
#define ANY     (-2) /* a test row's DMARC reason: any of the estimate's reasons */

/* ---- facts as the checks report them ------------------------------------------------- */

static struct check_facts blank(void)
{
        return (struct check_facts){
            .exists = -1, .posture = -1, .spoofable = -1, .spf = -1, .mail = -1};
}

/* The DMARC check's facts for an estimate (posture and flags as verdict.c would give). */
static struct check_facts dmarc_facts(enum spoofable s, const char *reason)
{
        struct check_facts f = blank();
        f.exists = TRI_YES;
        f.spoofable = (int8_t)s;
        f.reason = reason;
        f.posture = (int8_t)(s == SPOOF_UNKNOWN ? POSTURE_ERROR
                             : s == SPOOF_YES   ? POSTURE_NONE
                                                : POSTURE_REJECT);
        f.enforcing = s != SPOOF_YES && s != SPOOF_UNKNOWN;
        f.partial = s == SPOOF_MAYBE;
        return f;
}

static struct check_facts spf_facts(int fact)
{
        struct check_facts f = blank();
        f.spf = (int8_t)fact;
        f.exists = fact == SPF_FACT_TEMPERROR ? TRI_UNKNOWN : TRI_YES;
        return f;
}

static struct check_facts mx_facts(int fact)
{
        struct check_facts f = blank();
        f.mail = (int8_t)fact;
        f.exists = fact == MAIL_FACT_NXDOMAIN ? TRI_NO
                   : fact == MAIL_FACT_ERROR  ? TRI_UNKNOWN
                                              : TRI_YES;
        return f;
}

/* The facts of the checks that ran, in one of the orders a --checks list can give. */
static unsigned facts_of(struct check_facts *out, int order, int dmarc, const char *reason, int spf,
                         int mail)
{
        struct check_facts all[3];
        bool ran[3] = {dmarc != NOT_RUN, spf != NOT_RUN, mail != NOT_RUN};
        if (ran[0])
                all[0] = dmarc_facts((enum spoofable)dmarc, reason);
        if (ran[1])
                all[1] = spf_facts(spf);
        if (ran[2])
                all[2] = mx_facts(mail);
        static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                         {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        unsigned n = 0;
        for (int k = 0; k < 3; k++)
                if (ran[orders[order][k]])
                        out[n++] = all[orders[order][k]];
        return n;
}

/* toplevel_combine() over the facts, in every order: the same answer each time. */
static struct toplevel combine(int dmarc, const char *reason, int spf, int mail)
{
        struct toplevel first;
        for (int order = 0; order < 6; order++) {
                struct check_facts f[3];
                unsigned n = facts_of(f, order, dmarc, reason, spf, mail);
                struct toplevel t;
                toplevel_combine(f, n, &t);
                if (order == 0) {
                        first = t;
                        continue;
                }
                assert_int_equal(t.spoofable, first.spoofable);
                assert_true(t.reason == first.reason ||
                            (t.reason && first.reason && strcmp(t.reason, first.reason) == 0));
                assert_int_equal(t.exists, first.exists);
                assert_int_equal(t.posture, first.posture);
        }
        return first;
}

/* ---- the table, row by row ----------------------------------------------------------- */

struct row {
        int doc; /* the row of docs/verdicts.md's decision table it exercises */
        int dmarc;
        const char *reason;
        int spf, mail;
        int want;
        const char *want_reason; /* NULL: null */
};

#define Y  SPOOF_YES
#define U  SPOOF_UNKNOWN
#define MB SPOOF_MAYBE
#define SO SPOOF_SUBDOMAINS_ONLY
#define NO SPOOF_NO

static const struct row ROWS[] = {
    /* 1: no DMARC check: not assessed, even under +all */
    {1, NOT_RUN, NULL, NOT_RUN, NOT_RUN, -1, NULL},
    {1, NOT_RUN, NULL, SPF_FACT_PASS_ALL, MAIL_FACT_MX, -1, NULL},
    {1, NOT_RUN, NULL, SPF_FACT_FAIL, MAIL_FACT_NULL_MX, -1, NULL},
    /* 2: parked (null MX, SPF -all/~all) without DMARC enforcement */
    {2, Y, "dmarc_missing", SPF_FACT_FAIL, MAIL_FACT_NULL_MX, Y, "parked_unprotected"},
    {2, Y, "dmarc_none", SPF_FACT_FAIL, MAIL_FACT_NULL_MX, Y, "parked_unprotected"},
    {2, Y, "dmarc_pct_zero", SPF_FACT_FAIL, MAIL_FACT_NULL_MX, Y, "parked_unprotected"},
    /* 3: DMARC asks for nothing: yes whatever SPF and MX say, failures included */
    {3, Y, "dmarc_none", SPF_FACT_PASS_ALL, MAIL_FACT_MX, Y, "dmarc_none"},
    {3, Y, "dmarc_missing", SPF_FACT_TEMPERROR, MAIL_FACT_ERROR, Y, "dmarc_missing"},
    {3, Y, "dmarc_invalid", SPF_FACT_FAIL, MAIL_FACT_ERROR, Y, "dmarc_invalid"},
    {3, Y, "dmarc_testing", SPF_FACT_FAIL, MAIL_FACT_MX, Y, "dmarc_testing"},
    {3, Y, "dmarc_none", SPF_FACT_NEUTRAL, MAIL_FACT_NULL_MX, Y, "dmarc_none"},
    {3, Y, "dmarc_none", SPF_FACT_FAIL, NOT_RUN, Y, "dmarc_none"},
    {3, Y, "dmarc_missing", NOT_RUN, NOT_RUN, Y, "dmarc_missing"},
    /* 4: +all makes DMARC pass: yes, even when DMARC's own answer was hidden */
    {4, NO, "dmarc_reject", SPF_FACT_PASS_ALL, MAIL_FACT_MX, Y, "spf_pass_all"},
    {4, NO, "dmarc_quarantine", SPF_FACT_PASS_ALL, NOT_RUN, Y, "spf_pass_all"},
    {4, SO, "dmarc_sp_none", SPF_FACT_PASS_ALL, MAIL_FACT_NULL_MX, Y, "spf_pass_all"},
    {4, MB, "dmarc_pct_partial", SPF_FACT_PASS_ALL, MAIL_FACT_ERROR, Y, "spf_pass_all"},
    {4, U, "dns_error", SPF_FACT_PASS_ALL, MAIL_FACT_MX, Y, "spf_pass_all"},
    {4, U, "exists_unknown", SPF_FACT_PASS_ALL, NOT_RUN, Y, "spf_pass_all"},
    /* 5: DMARC's failure stands otherwise */
    {5, U, "dns_error", SPF_FACT_FAIL, MAIL_FACT_MX, U, "dns_error"},
    {5, U, "exists_unknown", SPF_FACT_TEMPERROR, MAIL_FACT_NXDOMAIN, U, "exists_unknown"},
    {5, U, "dns_error", NOT_RUN, NOT_RUN, U, "dns_error"},
    /* 6: SPF failed on a domain that does not exist: no SPF pass is possible */
    {6, NO, "dmarc_reject", SPF_FACT_TEMPERROR, MAIL_FACT_NXDOMAIN, NO, "dmarc_reject"},
    {6, SO, "dmarc_np_none", SPF_FACT_TEMPERROR, MAIL_FACT_NXDOMAIN, SO, "dmarc_np_none"},
    /* 7: DMARC enforces, SPF failed: it could have been +all */
    {7, NO, "dmarc_reject", SPF_FACT_TEMPERROR, MAIL_FACT_MX, U, "spf_temperror"},
    {7, NO, "dmarc_quarantine", SPF_FACT_TEMPERROR, NOT_RUN, U, "spf_temperror"},
    {7, SO, "dmarc_sp_none", SPF_FACT_TEMPERROR, MAIL_FACT_ERROR, U, "spf_temperror"},
    {7, MB, "dmarc_testing", SPF_FACT_TEMPERROR, MAIL_FACT_NULL_MX, U, "spf_temperror"},
    /* 8: DMARC enforces and SPF passes no stranger: DMARC's estimate */
    {8, NO, "dmarc_reject", SPF_FACT_PERMERROR, MAIL_FACT_MX, NO, "dmarc_reject"},
    {8, NO, "dmarc_reject", SPF_FACT_NEUTRAL, MAIL_FACT_NULL_MX, NO, "dmarc_reject"},
    {8, NO, "dmarc_quarantine", SPF_FACT_NONE, MAIL_FACT_NXDOMAIN, NO, "dmarc_quarantine"},
    {8, NO, "dmarc_reject", SPF_FACT_FAIL, MAIL_FACT_ERROR, NO, "dmarc_reject"},
    {8, MB, "dmarc_pct_partial", SPF_FACT_FAIL, MAIL_FACT_NO_MX, MB, "dmarc_pct_partial"},
    {8, SO, "dmarc_np_none", SPF_FACT_NONE, NOT_RUN, SO, "dmarc_np_none"},
    {8, NO, "dmarc_reject", NOT_RUN, MAIL_FACT_ERROR, NO, "dmarc_reject"},
    {8, NO, "dmarc_reject", NOT_RUN, NOT_RUN, NO, "dmarc_reject"},
};

static void t_rows(void **st)
{
        (void)st;
        bool seen[9] = {false};
        for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) {
                const struct row *r = &ROWS[i];
                struct toplevel t = combine(r->dmarc, r->reason, r->spf, r->mail);
                bool same = t.spoofable == r->want &&
                            (r->want_reason ? t.reason && strcmp(t.reason, r->want_reason) == 0
                                            : t.reason == NULL);
                if (!same)
                        fail_msg("row %zu (doc row %d): got %d/%s, want %d/%s", i, r->doc,
                                 t.spoofable, t.reason ? t.reason : "null", r->want,
                                 r->want_reason ? r->want_reason : "null");
                seen[r->doc] = true;
        }
        for (int d = 1; d <= 8; d++)
                if (!seen[d])
                        fail_msg("doc row %d has no test row", d);
}

/* ---- the table as docs/verdicts.md writes it -------------------------------------------- */

#define DOC_ROWS_MAX 32
#define PAIRS_MAX    32

struct doc_row {
        int num;
        unsigned dmarc, spf, mail; /* bit sets of the values allowed; bit 0: not run */
        int out;                   /* enum spoofable; -1 null; -2 DMARC's */
        char reason[48];           /* "" null; "-" DMARC's */
        unsigned hits;
};

struct pair {
        enum spoofable s;
        char reason[48];
};

struct doc {
        struct doc_row rows[DOC_ROWS_MAX];
        unsigned nrows;
        struct pair pairs[PAIRS_MAX]; /* DMARC's estimate: every (value, reason) it gives */
        unsigned npairs;
};

static char *read_doc(void)
{
        FILE *f = fopen(VERDICTS_MD, "r");
        assert_non_null(f);
        static char buf[1 << 18];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        assert_true(n < sizeof(buf) - 1);
        buf[n] = 0;
        return buf;
}

/* The cells of one table line "| a | b |" (trimmed, in place); returns their number. */
static unsigned cells(char *line, char **cell, unsigned max)
{
        unsigned n = 0;
        char *p = strchr(line, '|');
        while (p && n < max) {
                char *next = strchr(p + 1, '|');
                if (!next)
                        break;
                *next = 0;
                char *c = p + 1;
                while (*c == ' ')
                        c++;
                char *e = c + strlen(c);
                while (e > c && e[-1] == ' ')
                        *--e = 0;
                cell[n++] = c;
                p = next;
        }
        return n;
}

/* The lines of the table whose header line is header, one at a time, copied into line. */
static const char *table_start(const char *doc, const char *header)
{
        const char *h = strstr(doc, header);
        if (!h)
                fail_msg("table \"%s\" not found in %s", header, VERDICTS_MD);
        h = strchr(h, '\n'); /* the separator line */
        assert_non_null(h);
        h = strchr(h + 1, '\n');
        assert_non_null(h);
        return h + 1;
}

static bool next_line(const char **p, char *line, size_t cap)
{
        if (**p != '|')
                return false;
        const char *e = strchr(*p, '\n');
        size_t n = e ? (size_t)(e - *p) : strlen(*p);
        assert_true(n < cap);
        memcpy(line, *p, n);
        line[n] = 0;
        *p += n + (e != NULL);
        return true;
}

typedef const char *(*namer)(int);

static const char *spoof_namer(int v)
{
        return spoofable_name((enum spoofable)v);
}

/* "any", "not run", or `a`, `b`: a bit set over values 0..nvals-1 (bit v+1) and not run
 * (bit 0). */
static unsigned value_set(const char *cell, namer name, int nvals)
{
        if (strcmp(cell, "any") == 0)
                return (1u << (nvals + 1)) - 1;
        if (strcmp(cell, "not run") == 0)
                return 1u;
        unsigned set = 0;
        for (const char *p = strchr(cell, '`'); p; p = strchr(p, '`')) {
                const char *e = strchr(p + 1, '`');
                assert_non_null(e);
                int v = 0;
                while (v < nvals && (strlen(name(v)) != (size_t)(e - p - 1) ||
                                     strncmp(name(v), p + 1, (size_t)(e - p - 1)) != 0))
                        v++;
                if (v == nvals)
                        fail_msg("unknown value in cell \"%s\"", cell);
                set |= 1u << (v + 1);
                p = e + 1;
        }
        if (!set)
                fail_msg("cell \"%s\" names no value", cell);
        return set;
}

/* `x` -> x, in out. */
static void unquote(const char *cell, char *out, size_t cap)
{
        size_t n = strlen(cell);
        if (n < 3 || cell[0] != '`' || cell[n - 1] != '`' || n - 2 >= cap)
                fail_msg("cell \"%s\" is not one `code`", cell);
        memcpy(out, cell + 1, n - 2);
        out[n - 2] = 0;
}

static void parse_decision(const char *doc, struct doc *d)
{
        const char *p =
            table_start(doc, "| # | DMARC's estimate | SPF | MX | spoofable | spoofable_reason |");
        char line[512];
        while (next_line(&p, line, sizeof(line))) {
                char *c[8];
                assert_int_equal(cells(line, c, 8), 6);
                assert_true(d->nrows < DOC_ROWS_MAX);
                struct doc_row *r = &d->rows[d->nrows++];
                memset(r, 0, sizeof(*r));
                r->num = atoi(c[0]);
                assert_int_equal(r->num, (int)d->nrows);
                r->dmarc = value_set(c[1], spoof_namer, SPOOF_UNKNOWN + 1);
                r->spf = value_set(c[2], spf_fact_name, SPF_FACT_TEMPERROR + 1);
                r->mail = value_set(c[3], mail_fact_name, MAIL_FACT_ERROR + 1);
                if (strcmp(c[4], "null") == 0)
                        r->out = -1;
                else if (strcmp(c[4], "DMARC's") == 0)
                        r->out = -2;
                else
                        r->out = __builtin_ctz(value_set(c[4], spoof_namer, SPOOF_UNKNOWN + 1)) - 1;
                if (strcmp(c[5], "null") == 0)
                        r->reason[0] = 0;
                else if (strcmp(c[5], "DMARC's") == 0)
                        snprintf(r->reason, sizeof(r->reason), "-");
                else
                        unquote(c[5], r->reason, sizeof(r->reason));
        }
        assert_true(d->nrows >= 8);
}

/* DMARC's estimate table: "| `value` | `r1`, `r2` | when |". */
static void parse_estimate(const char *doc, struct doc *d)
{
        const char *p = table_start(doc, "| spoofable | reason | when |");
        char line[512];
        while (next_line(&p, line, sizeof(line))) {
                char *c[4];
                assert_int_equal(cells(line, c, 4), 3);
                int s = __builtin_ctz(value_set(c[0], spoof_namer, SPOOF_UNKNOWN + 1)) - 1;
                for (const char *q = strchr(c[1], '`'); q; q = strchr(q, '`')) {
                        const char *e = strchr(q + 1, '`');
                        assert_non_null(e);
                        assert_true(d->npairs < PAIRS_MAX);
                        struct pair *pr = &d->pairs[d->npairs++];
                        pr->s = (enum spoofable)s;
                        snprintf(pr->reason, sizeof(pr->reason), "%.*s", (int)(e - q - 1), q + 1);
                        q = e + 1;
                }
        }
        assert_true(d->npairs >= 13);
}

static struct doc *load_doc(void)
{
        static struct doc d;
        memset(&d, 0, sizeof(d));
        char *doc = read_doc();
        parse_estimate(doc, &d);
        parse_decision(doc, &d);
        return &d;
}

static const char *fact_name(namer name, int v)
{
        return v == NOT_RUN ? "not run" : name(v);
}

/* The first row matching; the value's bit is v + 1 (bit 0: not run, v = -1). */
static struct doc_row *first_match(struct doc *d, int dmarc, int spf, int mail)
{
        for (unsigned i = 0; i < d->nrows; i++) {
                struct doc_row *r = &d->rows[i];
                if ((r->dmarc >> (dmarc + 1) & 1) && (r->spf >> (spf + 1) & 1) &&
                    (r->mail >> (mail + 1) & 1))
                        return r;
        }
        return NULL;
}

/* Every combination of DMARC estimate (each documented value and reason, or not run), SPF
 * fact and MX fact: the code gives what the first matching row of the doc says. */
static void t_doc_table(void **st)
{
        (void)st;
        struct doc *d = load_doc();
        unsigned combos = 0;
        for (unsigned pi = 0; pi <= d->npairs; pi++) {
                bool run = pi < d->npairs;
                int dmarc = run ? (int)d->pairs[pi].s : NOT_RUN;
                const char *reason = run ? d->pairs[pi].reason : NULL;
                for (int spf = NOT_RUN; spf <= SPF_FACT_TEMPERROR; spf++)
                        for (int mail = NOT_RUN; mail <= MAIL_FACT_ERROR; mail++) {
                                struct doc_row *r = first_match(d, dmarc, spf, mail);
                                if (!r)
                                        fail_msg("no row for %s/%s/%s", run ? reason : "not run",
                                                 fact_name(spf_fact_name, spf),
                                                 fact_name(mail_fact_name, mail));
                                r->hits++;
                                combos++;
                                int want = r->out == -2 ? dmarc : r->out;
                                const char *want_reason = r->reason[0] == '-' ? reason
                                                          : r->reason[0]      ? r->reason
                                                                              : NULL;
                                struct toplevel t = combine(dmarc, reason, spf, mail);
                                bool same =
                                    t.spoofable == want &&
                                    (want_reason ? t.reason && strcmp(t.reason, want_reason) == 0
                                                 : t.reason == NULL);
                                if (!same)
                                        fail_msg(
                                            "DMARC %s, SPF %s, MX %s: code says %s/%s, doc "
                                            "row %d says %s/%s",
                                            run ? reason : "not run", fact_name(spf_fact_name, spf),
                                            fact_name(mail_fact_name, mail),
                                            t.spoofable >= 0 ? spoofable_name(t.spoofable) : "null",
                                            t.reason ? t.reason : "null", r->num,
                                            want >= 0 ? spoofable_name(want) : "null",
                                            want_reason ? want_reason : "null");
                        }
        }
        assert_int_equal(combos, (d->npairs + 1) * 7 * 6);
        for (unsigned i = 0; i < d->nrows; i++)
                if (!d->rows[i].hits)
                        fail_msg("doc row %d is never the first match", d->rows[i].num);
}

/* With the DMARC check alone, the line's answer is its estimate, unchanged (the answers of
 * every existing test and scan before SPF and MX). */
static void t_dmarc_alone(void **st)
{
        (void)st;
        struct doc *d = load_doc();
        for (unsigned i = 0; i < d->npairs; i++) {
                struct check_facts f = dmarc_facts(d->pairs[i].s, d->pairs[i].reason);
                struct toplevel t;
                toplevel_combine(&f, 1, &t);
                assert_int_equal(t.spoofable, d->pairs[i].s);
                assert_string_equal(t.reason, d->pairs[i].reason);
                assert_int_equal(t.posture, f.posture);
                assert_int_equal(t.enforcing, f.enforcing);
                assert_int_equal(t.partial, f.partial);
                assert_int_equal(t.exists, TRI_YES);
        }
        /* the facts of a check with no opinion beside it (e.g. a probe) change nothing */
        struct check_facts f[2] = {blank(), dmarc_facts(SPOOF_NO, "dmarc_reject")};
        struct toplevel t;
        toplevel_combine(f, 2, &t);
        assert_int_equal(t.spoofable, SPOOF_NO);
        assert_string_equal(t.reason, "dmarc_reject");
        assert_int_equal(t.posture, POSTURE_REJECT);
}

/* ---- exists -------------------------------------------------------------------------- */

static int8_t exists_of(const int8_t *says, unsigned n)
{
        struct check_facts f[4];
        for (unsigned i = 0; i < n; i++) {
                f[i] = blank();
                f[i].exists = says[i];
        }
        struct toplevel t;
        toplevel_combine(f, n, &t);
        return t.exists;
}

static void t_exists(void **st)
{
        (void)st;
        const int8_t yes = TRI_YES, no = TRI_NO, unk = TRI_UNKNOWN;
        assert_int_equal(exists_of((int8_t[]){yes}, 1), yes);
        assert_int_equal(exists_of((int8_t[]){unk}, 1), unk);
        assert_int_equal(exists_of((int8_t[]){no}, 1), no);
        /* whichever check knows: DMARC did not need to ask, SPF's or MX's apex answer says */
        assert_int_equal(exists_of((int8_t[]){unk, yes}, 2), yes);
        assert_int_equal(exists_of((int8_t[]){unk, no, unk}, 3), no);
        assert_int_equal(exists_of((int8_t[]){unk, unk, no}, 3), no);
        assert_int_equal(exists_of((int8_t[]){no, no, unk}, 3), no);
        assert_int_equal(exists_of((int8_t[]){yes, yes, unk}, 3), yes);
        /* answers that disagree say nothing */
        assert_int_equal(exists_of((int8_t[]){yes, no}, 2), unk);
        assert_int_equal(exists_of((int8_t[]){no, unk, yes}, 3), unk);
        assert_int_equal(exists_of(NULL, 0), unk);
}

/* Posture, enforcing and partial are the DMARC check's, wherever its facts are. */
static void t_posture(void **st)
{
        (void)st;
        struct toplevel t = combine(SPOOF_MAYBE, "dmarc_pct_partial", SPF_FACT_FAIL, MAIL_FACT_MX);
        assert_int_equal(t.posture, POSTURE_REJECT);
        assert_true(t.enforcing);
        assert_true(t.partial);
        assert_true(t.known);
        t = combine(NOT_RUN, NULL, SPF_FACT_FAIL, MAIL_FACT_NXDOMAIN);
        assert_int_equal(t.posture, -1);
        assert_int_equal(t.exists, TRI_UNKNOWN); /* SPF saw the name, MX did not */
        t = combine(NOT_RUN, NULL, NOT_RUN, MAIL_FACT_NXDOMAIN);
        assert_int_equal(t.exists, TRI_NO);
}

/* The names the doc table uses for the facts. */
static void t_names(void **st)
{
        (void)st;
        assert_string_equal(spf_fact_name(SPF_FACT_PASS_ALL), "pass_all");
        assert_string_equal(spf_fact_name(SPF_FACT_TEMPERROR), "temperror");
        assert_string_equal(spf_fact_name(-1), "?");
        assert_string_equal(spf_fact_name(SPF_FACT_TEMPERROR + 1), "?");
        assert_string_equal(mail_fact_name(MAIL_FACT_NULL_MX), "null_mx");
        assert_string_equal(mail_fact_name(MAIL_FACT_ERROR + 1), "?");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_rows),        cmocka_unit_test(t_doc_table),
            cmocka_unit_test(t_dmarc_alone), cmocka_unit_test(t_exists),
            cmocka_unit_test(t_posture),     cmocka_unit_test(t_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
