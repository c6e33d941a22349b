/* test_dmarc.c -- unit tests for scanner/dmarc/record.c.
 * Contract: table-driven checks of every tag and every issue code (exact code multisets),
 * the example records of RFC 9989 and RFC 7489 appendix B, whitespace/case/byte variants,
 * URI and raw-tag details, issue caps, a fixed-seed fuzz run checking invariants on
 * exact-size heap buffers (ASan sees any overread), and the real-world corpus
 * tests/data/dmarc_records.tsv, every row asserted. docs/dmarc-grammar.md must name every
 * code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "grammar_util.h"
#include "dmarc_invariants.h"

#include "scanner/dmarc/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef DS_TEST_DATA
#error "DS_TEST_DATA must name tests/data"
#endif

#define SKIP (-1)
#define NONE DMARC_POLICY_NONE
#define QUAR DMARC_POLICY_QUARANTINE
#define REJ  DMARC_POLICY_REJECT

struct tcase {
        const char *name;
        const char *rec;
        size_t len; /* 0: strlen(rec) */
        int valid;
        int p, sp, np, pct;            /* SKIP: not checked */
        const char *errors, *warnings; /* space-separated codes, "" for none */
};

#define MAILTO "rua=mailto:d@example.com"
#define LIT(s) s, sizeof(s) - 1 /* a literal with NUL bytes inside */

/* clang-format off */
static const struct tcase cases[] = {
	/* --- v --- */
	{"empty", "", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_missing", ""},
	{"blank", " \t ", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_missing", ""},
	{"only separators", ";;", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_missing", ""},
	{"no v at all", "p=none; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "v_missing", ""},
	{"v without equals", "v DMARC1; p=none", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_missing", ""},
	{"spf record", "v=spf1 -all", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_invalid", ""},
	{"v not first", "p=none; v=DMARC1", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_not_first", ""},
	{"v after junk", "x; v=DMARC1; p=none", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_not_first", ""},
	{"v lower case value", "v=dmarc1; p=none", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_invalid", ""},
	{"v other version", "v=DMARC2; p=none", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_invalid", ""},
	{"v missing separator", "v=DMARC1 p=reject", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_invalid", ""},
	{"v empty value", "v=; p=none", 0, 0, SKIP, SKIP, SKIP, SKIP, "v_invalid", ""},
	{"v upper-case name", "V=DMARC1; p=none; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"leading separator", ";v=DMARC1; p=none; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	/* --- structure --- */
	{"minimal reject", "v=DMARC1; p=reject", 0, 1, REJ, REJ, REJ, 100, "", "no_rua"},
	{"trailing separator", "v=DMARC1; p=none; " MAILTO ";", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"empty tag-specs", "v=DMARC1;;p=none;;;" MAILTO ";;", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"spaces everywhere", "  v = DMARC1 ;  p = reject ; rua = mailto:d@example.com ; ", 0, 1, REJ, REJ, REJ, 100, "", ""},
	{"tabs", "v\t=\tDMARC1\t;\tp\t=\tquarantine\t;\t" MAILTO, 0, 1, QUAR, QUAR, QUAR, 100, "", ""},
	{"no spaces", "v=DMARC1;p=reject;sp=none;" MAILTO, 0, 1, REJ, NONE, NONE, 100, "", "sp_weaker_than_p"},
	{"upper-case names and values", "v=DMARC1; P=REJECT; SP=Quarantine; NP=NONE; RUA=MAILTO:d@example.com", 0, 1, REJ, QUAR, NONE, 100, "", "sp_weaker_than_p np_weaker_than_p"},
	{"duplicate p", "v=DMARC1; p=none; p=reject; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag", ""},
	{"duplicate differs in case", "v=DMARC1; p=none; P=none; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag", ""},
	{"duplicate said once", "v=DMARC1; p=none; p=none; p=none; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag", ""},
	{"duplicate v", "v=DMARC1; p=none; v=DMARC1; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag", ""},
	{"two duplicates", "v=DMARC1; p=none; " MAILTO "; p=none; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag duplicate_tag", ""},
	/* fuzz finding: an error-invalid record fell back to p=none, its policy codes warnings */
	{"duplicate and invalid sp, rua usable", "v=DMARC1; p=none; p=reject; sp=bogus; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag sp_invalid", ""},
	{"invalid p then duplicate, rua usable", "v=DMARC1; p=bogus; " MAILTO "; p=none", 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag p_invalid", ""},
	{"duplicate rua and no p", "v=DMARC1; " MAILTO "; " MAILTO, 0, 0, SKIP, SKIP, SKIP, SKIP, "duplicate_tag p_missing", ""},
	{"duplicate unknown tags ignored", "v=DMARC1; p=none; x=1; x=2; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "unknown_tag unknown_tag"},
	{"tag without equals", "v=DMARC1; p=none; " MAILTO "; fo", 0, 1, NONE, NONE, NONE, 100, "", "syntax"},
	{"empty tag name", "v=DMARC1; p=none; =x; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "syntax"},
	{"digit in tag name", "v=DMARC1; p=none; r1=x; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "syntax"},
	{"underscore in tag name", "v=DMARC1; p=none; rua_=mailto:d@example.com", 0, 1, NONE, NONE, NONE, 100, "", "syntax no_rua"},
	{"unknown tag", "v=DMARC1; p=none; foo=bar; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "unknown_tag"},
	{"rfc6652 tag unknown here", "v=DMARC1; p=none; ra=x; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "unknown_tag"},
	/* --- p, sp, np --- */
	{"p none", "v=DMARC1; p=none; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"p quarantine", "v=DMARC1; p=quarantine; " MAILTO, 0, 1, QUAR, QUAR, QUAR, 100, "", ""},
	{"p missing no rua", "v=DMARC1", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_missing", "no_rua"},
	{"p missing with sp", "v=DMARC1; sp=reject", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_missing", "no_rua"},
	{"p missing rua fallback", "v=DMARC1; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "p_missing"},
	{"p missing rua https only", "v=DMARC1; rua=https://r.example/dmarc", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_missing", "uri_unsupported_scheme no_rua"},
	{"p missing rua invalid", "v=DMARC1; rua=dmarc@example.com", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_missing", "uri_invalid no_rua"},
	{"p invalid", "v=DMARC1; p=rej", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_invalid", "no_rua"},
	{"p empty", "v=DMARC1; p=", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_invalid", "no_rua"},
	{"p invalid fallback", "v=DMARC1; p=block; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "p_invalid"},
	{"p with trailing text", "v=DMARC1; p=reject sp=none; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "p_invalid"},
	{"p not second", "v=DMARC1; " MAILTO "; p=reject", 0, 1, REJ, REJ, REJ, 100, "", "p_not_second"},
	{"sp default is p", "v=DMARC1; p=quarantine; " MAILTO, 0, 1, QUAR, QUAR, QUAR, 100, "", ""},
	{"sp stronger than p", "v=DMARC1; p=none; sp=reject; " MAILTO, 0, 1, NONE, REJ, REJ, 100, "", ""},
	{"sp weaker than p", "v=DMARC1; p=reject; sp=none; " MAILTO, 0, 1, REJ, NONE, NONE, 100, "", "sp_weaker_than_p"},
	{"sp quarantine under reject", "v=DMARC1; p=reject; sp=quarantine; " MAILTO, 0, 1, REJ, QUAR, QUAR, 100, "", "sp_weaker_than_p"},
	{"sp invalid no rua", "v=DMARC1; p=reject; sp=bogus", 0, 0, SKIP, SKIP, SKIP, SKIP, "sp_invalid", "no_rua"},
	{"sp invalid fallback", "v=DMARC1; p=reject; sp=bogus; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "sp_invalid"},
	{"np default is sp", "v=DMARC1; p=reject; sp=quarantine; " MAILTO, 0, 1, REJ, QUAR, QUAR, 100, "", "sp_weaker_than_p"},
	{"np explicit", "v=DMARC1; p=none; np=reject; " MAILTO, 0, 1, NONE, NONE, REJ, 100, "", ""},
	{"np weaker than p", "v=DMARC1; p=reject; np=quarantine; " MAILTO, 0, 1, REJ, REJ, QUAR, 100, "", "np_weaker_than_p"},
	{"np invalid no rua", "v=DMARC1; p=reject; np=maybe", 0, 0, SKIP, SKIP, SKIP, SKIP, "np_invalid", "no_rua"},
	{"np invalid fallback", "v=DMARC1; p=reject; np=maybe; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "np_invalid"},
	{"all three invalid", "v=DMARC1; p=a; sp=b; np=c", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_invalid sp_invalid np_invalid", "no_rua"},
	{"missing p and bad sp fallback", "v=DMARC1; sp=x; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "p_missing sp_invalid"},
	/* --- flags --- */
	{"t=y", "v=DMARC1; p=reject; t=y; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "testing"},
	{"t=n", "v=DMARC1; p=reject; t=n; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", ""},
	{"t=Y upper", "v=DMARC1; p=reject; t=Y; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "testing"},
	{"t invalid", "v=DMARC1; p=reject; t=yes; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "t_invalid"},
	{"psd y", "v=DMARC1; p=reject; psd=y; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", ""},
	{"psd invalid", "v=DMARC1; p=reject; psd=x; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "psd_invalid"},
	{"adkim s", "v=DMARC1; p=none; adkim=s; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"adkim invalid", "v=DMARC1; p=none; adkim=strict; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "adkim_invalid"},
	{"aspf invalid", "v=DMARC1; p=none; aspf=; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "aspf_invalid"},
	/* --- fo --- */
	{"fo 1 with ruf", "v=DMARC1; p=none; fo=1; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"fo d:s with ruf", "v=DMARC1; p=none; fo=d:s; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"fo spaces around colon", "v=DMARC1; p=none; fo=1 : d; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"fo without ruf", "v=DMARC1; p=none; fo=1; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "fo_without_ruf"},
	{"fo 0 and 1", "v=DMARC1; p=none; fo=0:1; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "fo_invalid"},
	{"fo repeated", "v=DMARC1; p=none; fo=d:d; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "fo_invalid"},
	{"fo bad letter", "v=DMARC1; p=none; fo=2; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "fo_invalid"},
	{"fo empty item", "v=DMARC1; p=none; fo=0::d; ruf=mailto:f@example.com; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "fo_invalid"},
	{"fo comma list", "v=DMARC1; p=none; fo=0,d; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "fo_invalid fo_without_ruf"},
	/* --- rua / ruf --- */
	{"two rua", "v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"rua spaces around comma", "v=DMARC1; p=none; rua=mailto:a@example.com , \tmailto:b@example.net", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"rua upper-case scheme", "v=DMARC1; p=none; rua=MAILTO:A@EXAMPLE.COM", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"rua https dropped", "v=DMARC1; p=none; rua=https://r.example/x," "mailto:a@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_unsupported_scheme"},
	{"rua no scheme", "v=DMARC1; p=none; rua=a@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua empty", "v=DMARC1; p=none; rua=", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua trailing comma", "v=DMARC1; p=none; rua=mailto:a@example.com,", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid"},
	{"rua no at", "v=DMARC1; p=none; rua=mailto:example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua two at", "v=DMARC1; p=none; rua=mailto:a@b@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua empty local", "v=DMARC1; p=none; rua=mailto:@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua bad domain", "v=DMARC1; p=none; rua=mailto:a@-example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua empty label", "v=DMARC1; p=none; rua=mailto:a@example..com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua space inside", "v=DMARC1; p=none; rua=mailto: a@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua bad percent", "v=DMARC1; p=none; rua=mailto:a%4@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua encoded at", "v=DMARC1; p=none; rua=mailto:a%40example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	/* every atext punctuation of a mailto: local part (RFC 6068 2) passes; a URI character
	 * that is not atext, a byte above 0x7f and a control byte do not */
	{"rua local atext", "v=DMARC1; p=none; rua=mailto:a$&'*+-/=_~.z@example.com", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"rua local paren", "v=DMARC1; p=none; rua=mailto:a(b@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua local bracket", "v=DMARC1; p=none; rua=mailto:a[b@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua local high byte", "v=DMARC1; p=none; rua=mailto:a\xc3\xa9@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua local del", "v=DMARC1; p=none; rua=mailto:a\x7f@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua local quote", "v=DMARC1; p=none; rua=mailto:a\"b@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua local backtick", "v=DMARC1; p=none; rua=mailto:a`b@example.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua query reserved", "v=DMARC1; p=none; rua=mailto:a@example.com?x=[1]#f", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"rua query brace", "v=DMARC1; p=none; rua=mailto:a@example.com?x={1}", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua with query", "v=DMARC1; p=none; rua=mailto:a@example.com?subject=dmarc", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"rua size", "v=DMARC1; p=none; rua=mailto:a@example.com!10m", 0, 1, NONE, NONE, NONE, 100, "", "uri_size_obsolete"},
	{"size said once", "v=DMARC1; p=none; rua=mailto:a@example.com!10m,mailto:b@example.com!1g; ruf=mailto:c@example.com!5k", 0, 1, NONE, NONE, NONE, 100, "", "uri_size_obsolete"},
	{"rua bad size unit", "v=DMARC1; p=none; rua=mailto:a@example.com!10x", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua size without digits", "v=DMARC1; p=none; rua=mailto:a@example.com!m", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"rua size overflow", "v=DMARC1; p=none; rua=mailto:a@example.com!99999999999999999t", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"ruf https", "v=DMARC1; p=none; ruf=https://r.example/f; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "uri_unsupported_scheme"},
	{"ten rua", "v=DMARC1; p=none; rua=mailto:a@e.com,mailto:b@e.com,mailto:c@e.com,mailto:d@e.com,mailto:e@e.com,mailto:f@e.com,mailto:g@e.com,mailto:h@e.com,mailto:i@e.com,mailto:j@e.com", 0, 1, NONE, NONE, NONE, 100, "", ""},
	/* --- removed tags --- */
	{"pct 100", "v=DMARC1; p=reject; pct=100; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "pct_obsolete"},
	{"pct 50", "v=DMARC1; p=reject; pct=50; " MAILTO, 0, 1, REJ, REJ, REJ, 50, "", "pct_obsolete pct_partial"},
	{"pct 0", "v=DMARC1; p=quarantine; pct=0; " MAILTO, 0, 1, QUAR, QUAR, QUAR, 0, "", "pct_obsolete pct_zero"},
	{"pct leading zero", "v=DMARC1; p=reject; pct=050; " MAILTO, 0, 1, REJ, REJ, REJ, 50, "", "pct_obsolete pct_partial"},
	{"pct 101", "v=DMARC1; p=reject; pct=101; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "pct_obsolete pct_invalid"},
	{"pct four digits", "v=DMARC1; p=reject; pct=0100; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "pct_obsolete pct_invalid"},
	{"pct negative", "v=DMARC1; p=reject; pct=-1; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "pct_obsolete pct_invalid"},
	{"pct fraction", "v=DMARC1; p=reject; pct=50.5; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "pct_obsolete pct_invalid"},
	{"pct percent sign", "v=DMARC1; p=reject; pct=50%; " MAILTO, 0, 1, REJ, REJ, REJ, 100, "", "pct_obsolete pct_invalid"},
	{"rf afrf", "v=DMARC1; p=none; rf=afrf; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "rf_obsolete"},
	{"rf iodef", "v=DMARC1; p=none; rf=iodef; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "rf_obsolete rf_invalid"},
	{"rf list", "v=DMARC1; p=none; rf=afrf : AFRF; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "rf_obsolete"},
	{"ri", "v=DMARC1; p=none; ri=3600; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "ri_obsolete"},
	{"ri too big", "v=DMARC1; p=none; ri=4294967296; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "ri_obsolete ri_invalid"},
	{"ri not a number", "v=DMARC1; p=none; ri=1d; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "ri_obsolete ri_invalid"},
	/* --- bytes --- */
	{"NUL after v value", LIT("v=DMARC1\0; p=none"), 0, SKIP, SKIP, SKIP, SKIP, "v_invalid", ""},
	{"NUL inside p value", LIT("v=DMARC1; p=no\0ne; " MAILTO), 1, NONE, NONE, NONE, 100, "", "p_invalid"},
	{"high bytes in p", "v=DMARC1; p=\xc2\xa0reject; " MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "p_invalid"},
	{"high bytes in rua", "v=DMARC1; p=none; rua=mailto:a@ex\xc3\xa4mple.com", 0, 1, NONE, NONE, NONE, 100, "", "uri_invalid no_rua"},
	{"CR LF before tag", "v=DMARC1; p=none;\r\n" MAILTO, 0, 1, NONE, NONE, NONE, 100, "", "syntax no_rua"},
	{"CR LF after value", "v=DMARC1; p=reject\r\n", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_invalid", "no_rua"},
	/* --- RFC examples --- */
	{"RFC 9989 B.2.1", "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"RFC 9989 B.2.2", "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com; " "ruf=mailto:auth-reports@example.com", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"RFC 9989 B.2.3 owner", "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com; " "ruf=mailto:auth-reports@thirdparty.example.net", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"RFC 9989 B.2.3 third party (not a policy record)", "v=DMARC1;", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_missing", "no_rua"},
	{"RFC 9989 B.2.4 override (not a policy record)", "v=DMARC1; " "rua=mailto:aggregate-reports@thirdparty.example.net; " "ruf=mailto:failure-reports@thirdparty.example.net", 0, 1, NONE, NONE, NONE, 100, "", "p_missing"},
	{"RFC 9989 B.2.5 testing", "v=DMARC1; p=quarantine; " "rua=mailto:dmarc-feedback@example.com," "mailto:tld-test@thirdparty.example.net; " "t=y", 0, 1, QUAR, QUAR, QUAR, 100, "", "testing"},
	{"RFC 9989 B.2.5 enforced", "v=DMARC1; p=reject; " "rua=mailto:dmarc-feedback@example.com," "mailto:tld-test@thirdparty.example.net", 0, 1, REJ, REJ, REJ, 100, "", ""},
	{"RFC 9989 B.3.1", "v=DMARC1; p=reject; aspf=r; rua=mailto:dmarc-feedback@example.com", 0, 1, REJ, REJ, REJ, 100, "", ""},
	{"RFC 7489 B.2.1", "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"RFC 7489 B.2.2", "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com; " "ruf=mailto:auth-reports@example.com", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"RFC 7489 B.2.3", "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com; " "ruf=mailto:auth-reports@thirdparty.example.net", 0, 1, NONE, NONE, NONE, 100, "", ""},
	{"RFC 7489 B.2.3 third party (not a policy record)", "v=DMARC1", 0, 0, SKIP, SKIP, SKIP, SKIP, "p_missing", "no_rua"},
	{"RFC 7489 B.2.4", "v=DMARC1; p=quarantine; " "rua=mailto:dmarc-feedback@example.com," "mailto:tld-test@thirdparty.example.net!10m; " "pct=25", 0, 1, QUAR, QUAR, QUAR, 25, "", "pct_obsolete pct_partial uri_size_obsolete"},
};
/* clang-format on */

/* ---- helpers ---- */

/* Compares the codes of n issues with an expected list (see grammar_util.h). */
static bool issues_are(const struct dmarc_issue *is, unsigned n, const char *want, char *why,
                       size_t cap)
{
        const char *got[64];
        if (n > 64)
                return false;
        for (unsigned i = 0; i < n; i++)
                got[i] = is[i].code;
        return same_codes(got, n, want, why, cap);
}

/* Parses from an exact-size heap copy, so ASan reports any read past len. */
static int parse_exact(const char *rec, size_t len, struct dmarc_record *r)
{
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        if (len)
                memcpy(copy, rec, len);
        int rc = dmarc_parse(len ? copy : NULL, len, r);
        free(copy);
        return rc;
}

static bool check_case(const struct tcase *tc, char *why, size_t cap)
{
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        size_t len = tc->len ? tc->len : strlen(tc->rec);
        int rc = parse_exact(tc->rec, len, &r);
        dmarc_check_invariants(&r, len);
        if (rc != (r.valid ? 0 : 1) || (int)r.valid != tc->valid) {
                snprintf(why, cap, "valid: want %d got %d (rc %d)", tc->valid, r.valid, rc);
                return false;
        }
        const int want[] = {tc->p, tc->sp, tc->np, tc->pct};
        const int got[] = {(int)r.p, (int)r.sp, (int)r.np, (int)r.pct};
        static const char *const what[] = {"p", "sp", "np", "pct"};
        for (int i = 0; i < 4; i++) {
                if (want[i] != SKIP && want[i] != got[i]) {
                        snprintf(why, cap, "%s: want %d got %d", what[i], want[i], got[i]);
                        return false;
                }
        }
        char w[512];
        if (!issues_are(r.errors, r.error_count, tc->errors, w, sizeof w)) {
                snprintf(why, cap, "errors: %s", w);
                return false;
        }
        if (!issues_are(r.warnings, r.warning_count, tc->warnings, w, sizeof w)) {
                snprintf(why, cap, "warnings: %s", w);
                return false;
        }
        return true;
}

/* ---- tests ---- */

static void t_table(void **st)
{
        (void)st;
        int failed = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char why[700];
                if (!check_case(&cases[i], why, sizeof why)) {
                        print_error("case \"%s\": %s\n", cases[i].name, why);
                        failed++;
                }
        }
        assert_int_equal(failed, 0);
}

/* Every code the module can emit is expected by at least one table case, and documented. */
static void t_codes_covered(void **st)
{
        (void)st;
        assert_codes_documented(dmarc_issue_codes, DS_TEST_DATA "/../../docs/dmarc-grammar.md");
        for (const char *const *c = dmarc_issue_codes; *c; c++) {
                bool used = false;
                for (size_t i = 0; !used && i < sizeof cases / sizeof cases[0]; i++)
                        used = code_in_list(*c, cases[i].errors) ||
                               code_in_list(*c, cases[i].warnings);
                if (!used)
                        fail_msg("code %s is exercised by no test", *c);
        }
}

static void t_error_vs_warning(void **st)
{
        (void)st;
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        /* The same code sits in errors without a usable rua and in warnings with one. */
        assert_int_equal(dmarc_parse("v=DMARC1; p=x", 13, &r), 1);
        assert_string_equal(r.errors[0].code, "p_invalid");
        assert_false(r.policy_fallback);
        assert_int_equal(dmarc_parse("v=DMARC1; p=x; rua=mailto:a@b.example", 37, &r), 0);
        assert_int_equal(r.error_count, 0);
        assert_string_equal(r.warnings[0].code, "p_invalid");
        assert_true(r.policy_fallback);
        /* ...but not when another error already makes the record unusable (a fuzz finding:
         * the fallback was set on an invalid record). */
        const char *dup = "v=DMARC1; p=x; rua=mailto:a@b.example; rua=mailto:a@b.example";
        assert_int_equal(dmarc_parse(dup, strlen(dup), &r), 1);
        assert_false(r.policy_fallback);
        assert_int_equal(r.warning_count, 0);
        assert_int_equal(r.error_count, 2);
        assert_string_equal(r.errors[1].code, "p_invalid");
        /* A v error stops the parse: nothing else is said or filled in. */
        const char *spf = "v=spf1 include:_spf.example.com foo=bar -all";
        assert_int_equal(dmarc_parse(spf, strlen(spf), &r), 1);
        assert_int_equal(r.error_count, 1);
        assert_int_equal(r.warning_count, 0);
        assert_int_equal(r.tag_count, 0);
        assert_false(r.tags[DMARC_TAG_V].present);
}

static void t_uris(void **st)
{
        (void)st;
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        const char *rec = "v=DMARC1; p=none; rua=MAILTO:Reports@Example.COM.!50m, "
                          "mailto:a+b@sub_1.example.net!7, mailto:x%2By@example.org!2K, "
                          "mailto:y@example.org!1G,mailto:z@example.org!3t; "
                          "ruf=mailto:f@example.com?subject=x";
        assert_int_equal(parse_exact(rec, strlen(rec), &r), 0);
        assert_int_equal(r.rua_count, 5);
        assert_string_equal(r.rua[0].uri, "MAILTO:Reports@Example.COM.");
        assert_string_equal(r.rua[0].host, "example.com");
        assert_true(r.rua[0].size_limit == 50ull << 20);
        assert_string_equal(r.rua[1].host, "sub_1.example.net");
        assert_true(r.rua[1].size_limit == 7);
        assert_string_equal(r.rua[2].uri, "mailto:x%2By@example.org");
        assert_true(r.rua[2].size_limit == 2ull << 10);
        assert_true(r.rua[3].size_limit == 1ull << 30);
        assert_true(r.rua[4].size_limit == 3ull << 40);
        assert_int_equal(r.ruf_count, 1);
        assert_string_equal(r.ruf[0].uri, "mailto:f@example.com?subject=x");
        assert_string_equal(r.ruf[0].host, "example.com");
        assert_true(r.ruf[0].size_limit == 0);

        /* Every usable URI is kept (8 were, once), in order; invalid ones take no place. */
        char big[4096] = "v=DMARC1; p=none; rua=https://x.example/r,bogus";
        for (int i = 0; i < 40; i++)
                snprintf(big + strlen(big), sizeof big - strlen(big), ",mailto:r%d@h%d.example", i,
                         i);
        strcat(big, "; ruf=");
        for (int i = 0; i < 40; i++)
                snprintf(big + strlen(big), sizeof big - strlen(big), "%smailto:f%d@example.net",
                         i ? "," : "", i);
        assert_int_equal(parse_exact(big, strlen(big), &r), 0);
        assert_int_equal(r.rua_count, 40);
        assert_int_equal(r.ruf_count, 40);
        assert_false(r.over_budget);
        for (int i = 0; i < 40; i++) {
                char want[64];
                snprintf(want, sizeof want, "mailto:r%d@h%d.example", i, i);
                assert_string_equal(r.rua[i].uri, want);
                snprintf(want, sizeof want, "h%d.example", i);
                assert_string_equal(r.rua[i].host, want);
                snprintf(want, sizeof want, "mailto:f%d@example.net", i);
                assert_string_equal(r.ruf[i].uri, want);
        }
        for (unsigned i = 0; i < r.warning_count; i++)
                assert_string_not_equal(r.warnings[i].code, "uri_too_many");

        /* No length limit: URIs of 320, 321 and 2,000 bytes (a long local part, a long
         * header field) are kept whole, in order; 63-octet labels kept, 64 dropped. */
        static char uri[2100], rec2[4500];
        static const size_t lengths[] = {320, 321, 2000};
        for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
                size_t local = lengths[k] - strlen("mailto:@example.com");
                snprintf(uri, sizeof uri, "mailto:%0*d@example.com", (int)local, 0);
                assert_int_equal(strlen(uri), lengths[k]);
                snprintf(rec2, sizeof rec2,
                         "v=DMARC1; p=none; rua=mailto:a@x.example,%s,"
                         "mailto:b@y.example",
                         uri);
                assert_int_equal(parse_exact(rec2, strlen(rec2), &r), 0);
                assert_int_equal(r.rua_count, 3);
                assert_string_equal(r.rua[0].uri, "mailto:a@x.example");
                assert_string_equal(r.rua[1].uri, uri);
                assert_string_equal(r.rua[1].host, "example.com");
                assert_string_equal(r.rua[2].uri, "mailto:b@y.example");
                assert_int_equal(r.warning_count, 0);
                dmarc_check_invariants(&r, strlen(rec2));
        }
        size_t n = (size_t)snprintf(uri, sizeof uri, "mailto:a@example.com?subject=");
        memset(uri + n, 'x', 2000 - n);
        uri[2000] = 0;
        snprintf(rec2, sizeof rec2, "v=DMARC1; p=none; ruf=%s", uri);
        assert_int_equal(parse_exact(rec2, strlen(rec2), &r), 0);
        assert_int_equal(r.ruf_count, 1);
        assert_string_equal(r.ruf[0].uri, uri);
        /* Past the budget the long URI is counted, not cut: the line says budget_exceeded. */
        r.mem.budget.limit = 1024;
        assert_int_equal(parse_exact(rec2, strlen(rec2), &r), 0);
        assert_int_equal(r.ruf_count, 0);
        assert_int_equal(r.uris_dropped, 1);
        assert_true(r.over_budget);
        dmarc_check_invariants(&r, strlen(rec2));
        r.mem.budget.limit = 0;
        for (int label = 63; label <= 64; label++) {
                snprintf(rec2, sizeof rec2, "v=DMARC1; p=none; rua=mailto:a@%0*d.example", label,
                         0);
                assert_int_equal(parse_exact(rec2, strlen(rec2), &r), 0);
                assert_int_equal(r.rua_count, label == 63 ? 1 : 0);
        }
}

static void t_tags_seen(void **st)
{
        (void)st;
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        const char *rec = "v=DMARC1;  p = Reject ; x=1; junk; sp=none; fo=1:d; psd=N; t=y; "
                          "adkim=s; aspf=S; ri=3600; rf=afrf; pct=75; np=quarantine; "
                          "ruf=mailto:f@example.com; rua=mailto:a@example.com";
        assert_int_equal(parse_exact(rec, strlen(rec), &r), 0);
        assert_int_equal(r.tag_count, 16);
        assert_true(r.tags[DMARC_TAG_V].present);
        assert_int_equal(r.tags[DMARC_TAG_V].position, 0);
        assert_string_equal(r.tags[DMARC_TAG_P].value, "Reject");
        assert_int_equal(r.tags[DMARC_TAG_P].len, 6);
        assert_int_equal(r.tags[DMARC_TAG_P].position, 1);
        assert_int_equal(r.tags[DMARC_TAG_SP].position, 4);
        assert_string_equal(r.tags[DMARC_TAG_FO].value, "1:d");
        assert_int_equal(r.p, REJ);
        assert_int_equal(r.sp, NONE);
        assert_int_equal(r.np, QUAR);
        assert_int_equal(r.psd, DMARC_PSD_N);
        assert_true(r.testing);
        assert_int_equal(r.adkim, DMARC_ALIGN_STRICT);
        assert_int_equal(r.aspf, DMARC_ALIGN_STRICT);
        assert_int_equal(r.fo, DMARC_FO_1 | DMARC_FO_D);
        assert_string_equal(r.fo_text, "1:d");
        assert_int_equal(r.ri, 3600);
        assert_int_equal(r.pct, 75);

        /* Defaults. */
        assert_int_equal(parse_exact("v=DMARC1; p=none", 16, &r), 0);
        assert_int_equal(r.psd, DMARC_PSD_U);
        assert_false(r.testing);
        assert_int_equal(r.adkim, DMARC_ALIGN_RELAXED);
        assert_int_equal(r.aspf, DMARC_ALIGN_RELAXED);
        assert_int_equal(r.fo, DMARC_FO_0);
        assert_string_equal(r.fo_text, "0");
        assert_int_equal(r.ri, 86400);
        assert_int_equal(r.pct, 100);
        assert_false(r.tags[DMARC_TAG_RUA].present);

        /* fo text is canonical whatever the order written; invalid values keep the default. */
        assert_int_equal(parse_exact("v=DMARC1; p=none; fo=s:D:1", 26, &r), 0);
        assert_string_equal(r.fo_text, "1:d:s");
        assert_int_equal(parse_exact("v=DMARC1; p=none; fo=0:1", 24, &r), 0);
        assert_string_equal(r.fo_text, "0");
        assert_int_equal(parse_exact("v=DMARC1; p=none; ri=99999999999", 32, &r), 0);
        assert_int_equal(r.ri, 86400);

        /* Long raw values are kept whole (512 bytes were, once): 2,000 bytes here. */
        char rec2[2100];
        int k = snprintf(rec2, sizeof rec2, "v=DMARC1; p=none; rua=");
        int v0 = k;
        for (int i = 0; k - v0 < 2000; i++)
                k += snprintf(rec2 + k, sizeof rec2 - (size_t)k, "%smailto:report%03d@example.com",
                              i ? "," : "", i);
        k = v0 + 2000; /* 69 URIs of 28 bytes and their 68 commas */
        rec2[k] = 0;
        assert_int_equal(parse_exact(rec2, (size_t)k, &r), 0);
        assert_false(r.tags[DMARC_TAG_RUA].truncated);
        assert_int_equal(r.tags[DMARC_TAG_RUA].len, 2000);
        assert_int_equal(strlen(r.tags[DMARC_TAG_RUA].value), 2000);
        assert_memory_equal(r.tags[DMARC_TAG_RUA].value, rec2 + v0, 2000);
        assert_int_equal(r.rua_count, 69);

        /* Raw values keep NUL bytes; len says how many. */
        assert_int_equal(parse_exact("v=DMARC1; p=n\0o", 15, &r), 1);
        assert_int_equal(r.tags[DMARC_TAG_P].len, 3);
        assert_memory_equal(r.tags[DMARC_TAG_P].value, "n\0o", 4);
}

/* no_sentences leaves every msg empty and changes nothing else: every case of the table,
 * parsed into one record with sentences and into another (reused, as a scan reuses its
 * own) without. */
static void t_without_sentences(void **st)
{
        (void)st;
        static struct dmarc_record with, without;
        without.no_sentences = true;
        unsigned issues = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                size_t len = cases[i].len ? cases[i].len : strlen(cases[i].rec);
                int rc = parse_exact(cases[i].rec, len, &with);
                assert_int_equal(parse_exact(cases[i].rec, len, &without), rc);
                assert_true(without.no_sentences);     /* kept across parses */
                dmarc_check_invariants(&with, len);    /* every msg written */
                dmarc_check_invariants(&without, len); /* every msg empty */
                dmarc_check_same(&with, &without);
                assert_int_equal(without.mem.budget.used, with.mem.budget.used);
                issues += with.error_count + with.warning_count;
        }
        assert_true(issues > 100); /* the table exercises the issues, not just clean records */
        dmarc_record_free(&with);
        dmarc_record_free(&without);
}

static void t_sentences(void **st)
{
        (void)st;
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        /* Bytes of the record appear escaped; long values are shortened. */
        const char rec[] = "v=DMARC1; p=\x01\"\\\xff; zz=1; " MAILTO;
        assert_int_equal(parse_exact(rec, sizeof rec - 1, &r), 0);
        assert_string_equal(r.warnings[0].code, "unknown_tag");
        assert_non_null(strstr(r.warnings[0].msg, "\"zz\""));
        assert_string_equal(r.warnings[1].code, "p_invalid");
        assert_non_null(strstr(r.warnings[1].msg, "p=\"\\x01\\x22\\x5c\\xff\""));
        char lng[300];
        snprintf(lng, sizeof lng, "v=DMARC1; p=none; %0200d=1; " MAILTO, 0);
        memset(lng + 18, 'a', 200);
        assert_int_equal(parse_exact(lng, strlen(lng), &r), 0);
        assert_string_equal(r.warnings[0].code, "unknown_tag");
        assert_non_null(strstr(r.warnings[0].msg, "aaa...\""));
        dmarc_check_invariants(&r, strlen(lng));
}

/* The term an issue is about: the tag-spec or URI as written, for the codes that name one. */
static void assert_term(const char *rec, const struct dmarc_issue *is, const char *code,
                        const char *term)
{
        assert_string_equal(is->code, code);
        assert_int_equal(is->term_len, strlen(term));
        assert_memory_equal(rec + is->term_off, term, strlen(term));
}

static void t_terms(void **st)
{
        (void)st;
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        const char *rec = "v=DMARC1; p=none; foo = bar ; rua=mailto:a@b.example, "
                          "https://x.example/r,mailto:bad!9z,mailto:x; rua_=1; nope; p=reject; "
                          "adkim=q";
        assert_int_equal(parse_exact(rec, strlen(rec), &r), 1);
        assert_int_equal(r.error_count, 1);
        assert_term(rec, &r.errors[0], "duplicate_tag", "p=reject");
        assert_term(rec, &r.warnings[0], "unknown_tag", "foo = bar");
        assert_term(rec, &r.warnings[1], "syntax", "rua_=1");
        assert_term(rec, &r.warnings[2], "syntax", "nope");
        assert_term(rec, &r.warnings[3], "adkim_invalid", "");
        assert_term(rec, &r.warnings[4], "uri_unsupported_scheme", "https://x.example/r");
        assert_term(rec, &r.warnings[5], "uri_invalid", "mailto:bad!9z");
        assert_term(rec, &r.warnings[6], "uri_invalid", "mailto:x");
        dmarc_check_invariants(&r, strlen(rec));
}

static void t_caps(void **st)
{
        (void)st;
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        char rec[1024] = "v=DMARC1; p=none; " MAILTO;
        for (int i = 0; i < 20; i++)
                snprintf(rec + strlen(rec), sizeof rec - strlen(rec), "; x%c=1", 'a' + i);
        /* "xa" etc. are letters only, so they are unknown tags: 20 warnings, all kept. */
        assert_int_equal(parse_exact(rec, strlen(rec), &r), 0);
        assert_int_equal(r.warning_count, 20);
        assert_int_equal(r.warnings_dropped, 0);
        /* 14 duplicates and three bad policies: 17 errors, all kept (16 were, once). */
        const char *dups = "v=DMARC1; v=DMARC1; p=x; p=x; sp=x; sp=x; np=x; np=x; psd=y; psd=y; "
                           "t=y; t=y; adkim=r; adkim=r; aspf=r; aspf=r; fo=0; fo=0; rua=x; rua=x; "
                           "ruf=x; ruf=x; pct=1; pct=1; rf=afrf; rf=afrf; ri=1; ri=1";
        assert_int_equal(parse_exact(dups, strlen(dups), &r), 1);
        assert_int_equal(r.error_count, 17);
        assert_int_equal(r.errors_dropped, 0);
        dmarc_check_invariants(&r, strlen(dups));
}

/* Past the byte budget an issue or URI is counted, not kept, and over_budget says so; the
 * verdict is that of the whole record. */
static void t_budget(void **st)
{
        (void)st;
        static struct dmarc_record r;
        /* 40,000 unknown tags: 40,000 warnings of ~190 bytes, over the default 1 MiB. */
        size_t cap = 40000 * 5 + 64, n = 0;
        char *rec = malloc(cap);
        assert_non_null(rec);
        n += (size_t)snprintf(rec, cap, "v=DMARC1; p=reject");
        for (int i = 0; i < 40000; i++)
                n += (size_t)snprintf(rec + n, cap - n, ";x=1");
        assert_int_equal(parse_exact(rec, n, &r), 0);
        assert_true(r.over_budget);
        assert_true(r.warnings_dropped > 0);
        assert_int_equal(r.warning_count + r.warnings_dropped, 40001); /* and no_rua */
        assert_true(r.valid && r.p == DMARC_POLICY_REJECT);
        dmarc_check_invariants(&r, n);
        /* A small budget: the URIs past it are counted, the fallback still sees them. */
        r.mem.budget.limit = 256;
        const char *uris = "v=DMARC1; p=bogus; rua=mailto:a@a.example,mailto:b@b.example,"
                           "mailto:c@c.example,mailto:d@d.example,mailto:e@e.example";
        assert_int_equal(parse_exact(uris, strlen(uris), &r), 0);
        assert_true(r.over_budget && r.policy_fallback);
        assert_int_equal(r.rua_count + r.uris_dropped, 5);
        assert_true(r.uris_dropped > 0);
        dmarc_check_invariants(&r, strlen(uris));
        r.mem.budget.limit = 0;
        assert_int_equal(parse_exact(uris, strlen(uris), &r), 0);
        assert_false(r.over_budget);
        assert_int_equal(r.rua_count, 5);
        free(rec);
}

static void t_args_and_reuse(void **st)
{
        (void)st;
        static struct dmarc_record r, fresh;
        assert_int_equal(dmarc_parse("v=DMARC1", 8, NULL), -EINVAL);
        assert_int_equal(dmarc_parse(NULL, 3, &r), -EINVAL);
        assert_int_equal(dmarc_parse(NULL, 0, &r), 1);
        assert_string_equal(r.errors[0].code, "v_missing");
        /* A record that held another result gives the same result as a fresh one. */
        const char *rec = "v=DMARC1; p=reject; sp=none; rua=mailto:a@example.com; pct=5";
        const char *other = "v=DMARC1; p=none; rua=mailto:x@y.example,mailto:z@w.example; zz=1";
        assert_int_equal(dmarc_parse(other, strlen(other), &r), 0);
        assert_int_equal(dmarc_parse(rec, strlen(rec), &r), 0);
        assert_int_equal(dmarc_parse(rec, strlen(rec), &fresh), 0);
        dmarc_check_same(&r, &fresh);
        dmarc_record_free(&fresh);
        assert_int_equal(fresh.rua_count, 0);
}

static void t_names(void **st)
{
        (void)st;
        assert_string_equal(dmarc_policy_name(DMARC_POLICY_NONE), "none");
        assert_string_equal(dmarc_policy_name(DMARC_POLICY_QUARANTINE), "quarantine");
        assert_string_equal(dmarc_policy_name(DMARC_POLICY_REJECT), "reject");
        assert_string_equal(dmarc_policy_name((enum dmarc_policy)7), "?");
        assert_string_equal(dmarc_align_name(DMARC_ALIGN_STRICT), "s");
        assert_string_equal(dmarc_align_name(DMARC_ALIGN_RELAXED), "r");
        assert_string_equal(dmarc_psd_name(DMARC_PSD_Y), "y");
        assert_string_equal(dmarc_psd_name(DMARC_PSD_U), "u");
        assert_string_equal(dmarc_tag_name(DMARC_TAG_NP), "np");
        assert_string_equal(dmarc_tag_name(DMARC_TAG_RI), "ri");
        assert_null(dmarc_tag_name(DMARC_TAG_COUNT));
        size_t n = 0;
        for (const char *const *c = dmarc_issue_codes; *c; c++, n++)
                for (const char *s = *c; *s; s++)
                        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz_", *s));
        assert_int_equal(n, 32); /* uri_too_many went with the 8-URI cap */
}

/* Random records from grammar fragments and raw bytes; invariants must hold. */
static void t_fuzz(void **st)
{
        (void)st;
        static const char *const frags[] = {"v=DMARC1",
                                            "v",
                                            "=",
                                            ";",
                                            " ",
                                            "\t",
                                            "p=reject",
                                            "p=none",
                                            "sp=",
                                            "np=quarantine",
                                            "rua=",
                                            "ruf=",
                                            "mailto:",
                                            "MAILTO:a@b.example",
                                            "@",
                                            ",",
                                            "!10m",
                                            "!",
                                            "fo=0:1:d:s",
                                            "fo=",
                                            ":",
                                            "pct=",
                                            "50",
                                            "101",
                                            "%",
                                            "%4",
                                            "%41",
                                            "\r\n",
                                            "https://x/y",
                                            "t=y",
                                            "psd=u",
                                            "adkim=s",
                                            "aspf=",
                                            "rf=afrf",
                                            "ri=86400",
                                            "example.com",
                                            ".",
                                            "-",
                                            "DMARC1",
                                            "x=y",
                                            "\xff",
                                            "\x80",
                                            "a"};
        uint64_t s = 0x9e3779b97f4a7c15ull;
        char buf[600];
        static struct dmarc_record r; /* reused, as the scanner reuses its own */
        for (int iter = 0; iter < 30000; iter++) {
                size_t len = 0;
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                if (s & 1) {
                        memcpy(buf, "v=DMARC1;", 9);
                        len = 9;
                }
                int parts = (int)(s >> 8) % 40;
                for (int k = 0; k < parts; k++) {
                        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                        if ((s & 7) == 0 && len < sizeof buf) {
                                buf[len++] = (char)(s >> 24); /* any byte, NUL included */
                                continue;
                        }
                        const char *f = frags[(s >> 16) % (sizeof frags / sizeof frags[0])];
                        size_t n = strlen(f);
                        if (len + n > sizeof buf)
                                break;
                        memcpy(buf + len, f, n);
                        len += n;
                }
                int rc = parse_exact(buf, len, &r);
                assert_int_equal(rc, r.valid ? 0 : 1);
                dmarc_check_invariants(&r, len);
        }
}

/* ---- real-world corpus ---- */

static int policy_of(const char *s)
{
        if (strcmp(s, "-") == 0)
                return SKIP;
        for (int p = NONE; p <= REJ; p++)
                if (strcmp(s, dmarc_policy_name((enum dmarc_policy)p)) == 0)
                        return p;
        fail_msg("bad policy \"%s\" in corpus", s);
        return SKIP;
}

enum { F_DOMAIN, F_VALID, F_P, F_SP, F_NP, F_PCT, F_RUA, F_ERR, F_WARN, F_REC, F_SRC, F_N };

/* Checks one corpus row; returns false with why on a mismatch. */
static bool check_row(char **f, char *why, size_t cap)
{
        static char rec[8192];
        snprintf(rec, sizeof rec, "%s", f[F_REC]);
        size_t len = unescape(rec);
        struct tcase tc = {
            .name = f[F_DOMAIN],
            .rec = rec,
            .len = len,
            .valid = atoi(f[F_VALID]),
            .p = policy_of(f[F_P]),
            .sp = policy_of(f[F_SP]),
            .np = policy_of(f[F_NP]),
            .pct = strcmp(f[F_PCT], "-") ? atoi(f[F_PCT]) : SKIP,
            .errors = f[F_ERR],
            .warnings = f[F_WARN],
        };
        if (len == 0)
                fail_msg("empty record for %s", f[F_DOMAIN]);
        if (!check_case(&tc, why, cap))
                return false;
        if (strcmp(f[F_RUA], "-") != 0) {
                static struct dmarc_record r; /* reused, as the scanner reuses its own */
                parse_exact(rec, len, &r);
                if ((int)r.rua_count != atoi(f[F_RUA])) {
                        snprintf(why, cap, "rua: want %s got %u", f[F_RUA], r.rua_count);
                        return false;
                }
        }
        return true;
}

static void t_corpus(void **st)
{
        (void)st;
        FILE *fp = fopen(DS_TEST_DATA "/dmarc_records.tsv", "r");
        assert_non_null(fp);
        static char line[16384];
        int rows = 0, failed = 0, valid_rows = 0;
        bool header = false;
        while (fgets(line, sizeof line, fp)) {
                size_t n = strlen(line);
                assert_true(n > 0 && line[n - 1] == '\n'); /* no line longer than the buffer */
                line[--n] = '\0';
                if (line[0] == '#' || n == 0)
                        continue;
                char *f[F_N] = {0}, *p = line;
                int k = 0;
                for (; k < F_N; k++) {
                        f[k] = p;
                        p = strchr(p, '\t');
                        if (p == NULL)
                                break;
                        *p++ = '\0';
                }
                assert_int_equal(k, F_N - 1); /* exactly F_N fields */
                if (!header) {
                        assert_string_equal(f[F_DOMAIN], "domain");
                        assert_string_equal(f[F_SRC], "source");
                        header = true;
                        continue;
                }
                assert_true(strlen(f[F_SRC]) > 10);
                char why[700];
                rows++;
                valid_rows += atoi(f[F_VALID]);
                if (!check_row(f, why, sizeof why)) {
                        print_error("corpus %s: %s\n", f[F_DOMAIN], why);
                        failed++;
                }
        }
        fclose(fp);
        assert_int_equal(failed, 0);
        assert_true(rows >= 80);
        assert_true(valid_rows > 0 && valid_rows < rows); /* both verdicts are represented */
        print_message("corpus: %d records, %d usable\n", rows, valid_rows);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_table),
            cmocka_unit_test(t_codes_covered),
            cmocka_unit_test(t_error_vs_warning),
            cmocka_unit_test(t_uris),
            cmocka_unit_test(t_tags_seen),
            cmocka_unit_test(t_sentences),
            cmocka_unit_test(t_without_sentences),
            cmocka_unit_test(t_terms),
            cmocka_unit_test(t_caps),
            cmocka_unit_test(t_budget),
            cmocka_unit_test(t_args_and_reuse),
            cmocka_unit_test(t_names),
            cmocka_unit_test(t_fuzz),
            cmocka_unit_test(t_corpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
