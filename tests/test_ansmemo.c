/* test_ansmemo.c -- unit tests of a classifier thread's shared answers (scanner/ansmemo.c):
 * an answer is held until the time given and not a millisecond longer, never when that time
 * has passed already; names compare case-insensitively, types do not mix; a slot's newer
 * answer replaces the older one (and the buffer grows and shrinks back without harm); names
 * that are no wire name are refused; hits are counted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "dns/wire.h"
#include "scanner/ansmemo.h"
#include "wname.h"

/* Hold the string pkt with a made-up parse whose id is the string's length (the memo
 * keeps a parse it is given as it is: these strings are no DNS packets). */
static void put(struct ansmemo *m, const char *qname, uint16_t qtype, const char *pkt,
                uint64_t until, uint64_t now)
{
        struct name n = wname(qname);
        struct wire_reply given = {.id = (uint16_t)strlen(pkt), .rcode = 3};
        ansmemo_put(m, n.w, n.n, qtype, (const uint8_t *)pkt, strlen(pkt), &given, until, now);
}

/* The held answer's bytes as a string ("" when none is held), its parse checked. */
static const char *get(struct ansmemo *m, const char *qname, uint16_t qtype, uint64_t now)
{
        static char out[ANSMEMO_PKT_MAX + 1];
        struct name n = wname(qname);
        struct wire_reply r;
        if (!ansmemo_get(m, n.w, n.n, qtype, now, &r))
                return "";
        assert_true(r.len < sizeof(out));
        assert_int_equal(r.id, r.len);
        assert_int_equal(r.rcode, 3);
        memcpy(out, r.pkt, r.len);
        out[r.len] = 0;
        return out;
}

static struct ansmemo *memo_new(void)
{
        struct ansmemo *m = NULL;
        assert_int_equal(ansmemo_new(&m), 0);
        assert_non_null(m);
        return m;
}

static void t_until(void **st)
{
        (void)st;
        struct ansmemo *m = memo_new();
        put(m, "_dmarc.com", WIRE_TYPE_TXT, "nx", 61000, 1000);
        assert_string_equal(get(m, "_dmarc.com", WIRE_TYPE_TXT, 1000), "nx");
        assert_string_equal(get(m, "_dmarc.com", WIRE_TYPE_TXT, 60999), "nx");
        assert_string_equal(get(m, "_dmarc.com", WIRE_TYPE_TXT, 61000), "");
        assert_int_equal(ansmemo_hits(m), 2);
        /* a time already past (a reply that waited in a ring) is not held */
        put(m, "_dmarc.net", WIRE_TYPE_TXT, "late", 5000, 5000);
        assert_string_equal(get(m, "_dmarc.net", WIRE_TYPE_TXT, 4000), "");
        put(m, "_dmarc.org", WIRE_TYPE_TXT, "none", 0, 0);
        assert_string_equal(get(m, "_dmarc.org", WIRE_TYPE_TXT, 0), "");
        /* larger than a thread should hold: not held; at the limit: held */
        char big[ANSMEMO_PKT_MAX + 2];
        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        put(m, "big.example", WIRE_TYPE_TXT, big, 10000, 0);
        assert_string_equal(get(m, "big.example", WIRE_TYPE_TXT, 1), "");
        big[ANSMEMO_PKT_MAX] = 0;
        put(m, "big.example", WIRE_TYPE_TXT, big, 10000, 0);
        assert_string_equal(get(m, "big.example", WIRE_TYPE_TXT, 1), big);
        assert_int_equal(ansmemo_hits(m), 3);
        ansmemo_free(m);
}

/* A reply given without its parse is parsed when it is held; one that does not parse is
 * not held. */
static void t_parse(void **st)
{
        (void)st;
        struct ansmemo *m = memo_new();
        struct name n = wname("_dmarc.com");
        /* an NXDOMAIN answer to _dmarc.com TXT: header (QR, RD, RA, rcode 3), the question */
        uint8_t pkt[12 + DS_NAME_MAX_WIRE + 4] = {0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0};
        memcpy(pkt + 12, n.w, n.n);
        uint8_t *q = pkt + 12 + n.n;
        q[0] = 0, q[1] = WIRE_TYPE_TXT, q[2] = 0, q[3] = 1;
        size_t len = 12 + n.n + 4;
        ansmemo_put(m, n.w, n.n, WIRE_TYPE_TXT, pkt, len - 1, NULL, 100, 0); /* cut short */
        struct wire_reply r;
        assert_false(ansmemo_get(m, n.w, n.n, WIRE_TYPE_TXT, 1, &r));
        ansmemo_put(m, n.w, n.n, WIRE_TYPE_TXT, pkt, len, NULL, 100, 0);
        assert_true(ansmemo_get(m, n.w, n.n, WIRE_TYPE_TXT, 1, &r));
        struct wire_reply want;
        assert_int_equal(wire_reply_parse(&want, pkt, len), 0);
        assert_int_equal(r.len, len);
        assert_memory_equal(r.pkt, pkt, len);
        assert_int_equal(r.rcode, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(r.id, 0x1234);
        assert_int_equal(r.qtype, WIRE_TYPE_TXT);
        assert_int_equal(r.qname_off, want.qname_off);
        assert_int_equal(r.rr_off, want.rr_off);
        ansmemo_free(m);
}

static void t_keys(void **st)
{
        (void)st;
        struct ansmemo *m = memo_new();
        put(m, "_SPF.Google.com", WIRE_TYPE_TXT, "txt", 10000, 0);
        assert_string_equal(get(m, "_spf.google.COM", WIRE_TYPE_TXT, 1), "txt");
        assert_string_equal(get(m, "_spf.google.com", WIRE_TYPE_MX, 1), "");
        assert_string_equal(get(m, "_spf.google.co", WIRE_TYPE_TXT, 1), "");
        assert_string_equal(get(m, "spf.google.com", WIRE_TYPE_TXT, 1), "");
        put(m, "_spf.google.com", WIRE_TYPE_MX, "mx", 10000, 0);
        /* both types held when their slots differ; the TXT one at least is not the MX one */
        const char *txt = get(m, "_spf.google.com", WIRE_TYPE_TXT, 1);
        assert_true(strcmp(txt, "txt") == 0 || strcmp(txt, "") == 0);
        assert_string_equal(get(m, "_spf.google.com", WIRE_TYPE_MX, 1), "mx");
        /* the slot's hash reads names as lower case, as the project's one hash would */
        assert_true(ds_hash_lower(7, (const uint8_t *)"_SPF.Google.COM", 15) ==
                    ds_hash(7, "_spf.google.com", 15));
        assert_true(ds_hash_lower(7, (const uint8_t *)"[@Z", 3) == ds_hash(7, "[@z", 3));
        /* no wire name: refused both ways */
        struct wire_reply given = {.len = 1}, r;
        ansmemo_put(m, (const uint8_t *)"", 0, WIRE_TYPE_TXT, (const uint8_t *)"x", 1, &given, 10,
                    0);
        assert_false(ansmemo_get(m, (const uint8_t *)"", 0, WIRE_TYPE_TXT, 1, &r));
        uint8_t big[DS_NAME_MAX_WIRE + 1] = {0};
        assert_false(ansmemo_get(m, big, sizeof(big), WIRE_TYPE_TXT, 1, &r));
        ansmemo_free(m);
}

/* The slot a name lands in, as ansmemo.c computes it. */
static unsigned slot_of(const char *qname, uint16_t qtype)
{
        struct name n = wname(qname);
        return (unsigned)(ds_hash_lower(qtype, n.w, n.n) & (ANSMEMO_SLOTS - 1));
}

static void t_replace(void **st)
{
        (void)st;
        struct ansmemo *m = memo_new();
        char other[64];
        unsigned want = slot_of("a.example", WIRE_TYPE_TXT);
        unsigned i = 0;
        do
                snprintf(other, sizeof(other), "n%u.example", i++);
        while (slot_of(other, WIRE_TYPE_TXT) != want);
        char longer[3000];
        memset(longer, 'L', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = 0;
        put(m, "a.example", WIRE_TYPE_TXT, "first", 100, 0);
        put(m, other, WIRE_TYPE_TXT, longer, 100, 0);
        assert_string_equal(get(m, "a.example", WIRE_TYPE_TXT, 1), "");
        assert_string_equal(get(m, other, WIRE_TYPE_TXT, 1), longer);
        put(m, "a.example", WIRE_TYPE_TXT, "short again", 200, 0);
        assert_string_equal(get(m, "a.example", WIRE_TYPE_TXT, 150), "short again");
        assert_string_equal(get(m, other, WIRE_TYPE_TXT, 1), "");
        ansmemo_free(m);
        assert_int_equal(ansmemo_hits(NULL), 0);
        ansmemo_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_until),
            cmocka_unit_test(t_parse),
            cmocka_unit_test(t_keys),
            cmocka_unit_test(t_replace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
