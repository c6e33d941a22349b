/* test_spf.c -- unit tests for scanner/spf/record.c.
 * Contract: table-driven checks of every mechanism, modifier, qualifier and issue code
 * (exact code multisets), the example records of RFC 7208 (sections 5-8, appendix A),
 * CIDR and address edge cases, macros, lookup counts (10 and 11), lookup targets, record
 * selection among TXTs, term details, no caps (everything kept, only the byte budget refuses,
 * and says so), a fixed-seed fuzz run of random mutations of
 * valid records on exact-size heap buffers (ASan sees any overread), and the real-world
 * corpus tests/data/spf_records.tsv, every row asserted. docs/spf-grammar.md must name
 * every code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "grammar_util.h"
#include "spf_invariants.h"

#include "scanner/spf/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DS_TEST_DATA
#error "DS_TEST_DATA must name tests/data"
#endif

#define SKIP (-1)
#define OK   SPF_RESULT_OK
#define PERM SPF_RESULT_PERMERROR
#define NONE SPF_RESULT_NONE
#define AN   SPF_ALL_NONE
#define AP   SPF_ALL_PASS
#define AF   SPF_ALL_FAIL
#define AS   SPF_ALL_SOFTFAIL
#define AQ   SPF_ALL_NEUTRAL
#define ONO  SPF_OPEN_NO
#define OYES SPF_OPEN_YES
#define ORED SPF_OPEN_REDIRECT

/* rec holds one TXT, or several separated by '\n' (then spf_select() is used). */
struct tcase {
        const char *name;
        const char *rec;
        size_t len;                     /* 0: strlen(rec) */
        int result, all, open, lookups; /* SKIP: not checked */
        const char *errors, *warnings;  /* space-separated codes, "" for none */
};

#define LIT(s) s, sizeof(s) - 1 /* a literal with NUL bytes inside */

/* clang-format off */
static const struct tcase cases[] = {
	/* --- version and selection (RFC 7208 4.5) --- */
	{"version alone", "v=spf1", 0, OK, AN, OYES, 0, "", "no_all"},
	{"version upper case", "V=SPF1 -ALL", 0, OK, AF, ONO, 0, "", ""},
	{"version mixed case", "v=Spf1 mx -all", 0, OK, AF, ONO, 1, "", ""},
	{"spf10 is not a record", "v=spf10 -all", 0, NONE, AN, SKIP, 0, "", ""},
	{"spf1 glued to a term", "v=spf1-all", 0, NONE, AN, SKIP, 0, "", ""},
	{"leading space", " v=spf1 -all", 0, NONE, AN, SKIP, 0, "", ""},
	{"spf2.0 is not spf1", "spf2.0/pra include:x.example -all", 0, NONE, AN, SKIP, 0, "", ""},
	{"empty text", "", 0, NONE, AN, SKIP, 0, "", ""},
	{"dmarc text", "v=DMARC1; p=none", 0, NONE, AN, SKIP, 0, "", ""},
	{"select: one among others", "google-site-verification=abc\nv=spf1 -all\nMS=ms123", 0, OK, AF, ONO, 0, "", ""},
	{"select: none", "google-site-verification=abc\nv=spf10 -all", 0, NONE, AN, SKIP, 0, "", ""},
	{"select: two records", "v=spf1 -all\nv=spf1 include:x.example ~all", 0, PERM, SKIP, SKIP, SKIP, "multiple_records", ""},
	{"select: two records differing in case", "v=spf1 -all\nV=SPF1", 0, PERM, SKIP, SKIP, SKIP, "multiple_records", ""},
	{"select: three records", "v=spf1 -all\nv=spf1 -all\nv=spf1 -all", 0, PERM, SKIP, SKIP, SKIP, "multiple_records", ""},
	/* --- spacing --- */
	{"multiple spaces", "v=spf1   mx    a   -all", 0, OK, AF, ONO, 2, "", ""},
	{"trailing space", "v=spf1 -all ", 0, OK, AF, ONO, 0, "", ""},
	{"trailing spaces", "v=spf1 mx -all    ", 0, OK, AF, ONO, 1, "", ""},
	{"space after version only", "v=spf1 ", 0, OK, AN, OYES, 0, "", "no_all"},
	{"tab separator", "v=spf1 mx\t-all", 0, PERM, SKIP, SKIP, SKIP, "invalid_character", "no_all"},
	{"CR LF at end", "v=spf1 -all\r\n", 0, PERM, SKIP, SKIP, SKIP, "invalid_character", "no_all"},
	/* --- all and qualifiers (RFC 7208 4.6.2, 5.1) --- */
	{"+all", "v=spf1 +all", 0, OK, AP, OYES, 0, "", ""},
	{"all without qualifier", "v=spf1 all", 0, OK, AP, OYES, 0, "", ""},
	{"-all", "v=spf1 -all", 0, OK, AF, ONO, 0, "", ""},
	{"~all", "v=spf1 ~all", 0, OK, AS, ONO, 0, "", ""},
	{"?all", "v=spf1 ?all", 0, OK, AQ, OYES, 0, "", ""},
	{"ALL upper case", "v=spf1 ~ALL", 0, OK, AS, ONO, 0, "", ""},
	{"all with argument", "v=spf1 -all:example.com", 0, PERM, SKIP, SKIP, SKIP, "unexpected_argument", ""},
	{"all with cidr", "v=spf1 -all/24", 0, PERM, SKIP, SKIP, SKIP, "unexpected_argument", ""},
	{"double qualifier", "v=spf1 --all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", "no_all"},
	{"qualifier alone", "v=spf1 mx - all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	{"first all wins", "v=spf1 -all +all", 0, OK, AF, ONO, 0, "", "mechanisms_after_all"},
	{"mechanisms after all", "v=spf1 ~all mx include:x.example", 0, OK, AS, ONO, 0, "", "mechanisms_after_all"},
	{"modifier after all is fine", "v=spf1 mx -all exp=explain.example.com", 0, OK, AF, ONO, 1, "", ""},
	{"no all", "v=spf1 mx a", 0, OK, AN, OYES, 2, "", "no_all"},
	/* --- every mechanism with every qualifier --- */
	{"include +-~?", "v=spf1 include:a.example +include:b.example -include:c.example ~include:d.example ?include:e.example -all", 0, OK, AF, ONO, 5, "", ""},
	{"a +-~?", "v=spf1 a +a:a.example -a:b.example/24 ~a//64 ?a:c.example/24//64 -all", 0, OK, AF, ONO, 5, "", ""},
	{"mx +-~?", "v=spf1 mx +mx:a.example -mx/24 ~mx:b.example//64 ?mx/30//120 -all", 0, OK, AF, ONO, 5, "", ""},
	{"ptr +-~?", "v=spf1 ptr +ptr:a.example -ptr ~ptr ?ptr:b.example -all", 0, OK, AF, ONO, 5, "", "ptr_used"},
	{"ip4 +-~?", "v=spf1 ip4:192.0.2.1 +ip4:192.0.2.0/24 -ip4:198.51.100.0/31 ~ip4:0.0.0.0/0 ?ip4:255.255.255.255/32 -all", 0, OK, AF, ONO, 0, "", ""},
	{"ip6 +-~?", "v=spf1 ip6:2001:db8::1 +ip6:2001:db8::/32 -ip6:::1/128 ~ip6:::/0 ?ip6:::ffff:192.0.2.1 -all", 0, OK, AF, ONO, 0, "", ""},
	{"exists +-~?", "v=spf1 exists:a.example +exists:b.example -exists:%{i}.c.example ~exists:d.example ?exists:e.example -all", 0, OK, AF, ONO, 5, "", "macro"},
	{"mechanism names upper case", "v=spf1 INCLUDE:a.example A MX PTR IP4:192.0.2.1 IP6:2001:DB8::1 EXISTS:b.example -ALL", 0, OK, AF, ONO, 5, "", "ptr_used"},
	{"unknown mechanism", "v=spf1 mx foo -all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	{"unknown mechanism with argument", "v=spf1 ip:192.0.2.1 -all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	{"ip5", "v=spf1 ip5:192.0.2.1 -all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	{"include without domain", "v=spf1 include -all", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	{"include with empty domain", "v=spf1 include: -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"include with equals", "v=spf1 include=x.example -all", 0, OK, AF, ONO, 0, "", "unknown_modifier"},
	{"exists without domain", "v=spf1 exists -all", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	{"a with empty domain", "v=spf1 a: -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"ptr with cidr", "v=spf1 ptr/24 -all", 0, PERM, SKIP, SKIP, SKIP, "unexpected_argument", "ptr_used"},
	{"ip4 without address", "v=spf1 ip4 -all", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	{"ip4 empty address", "v=spf1 ip4: -all", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	{"ip6 without address", "v=spf1 ip6 -all", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	/* --- ip4 / ip6 and CIDR (RFC 7208 5.6, 12) --- */
	{"ip4 /0", "v=spf1 ip4:0.0.0.0/0 -all", 0, OK, AF, ONO, 0, "", "pass_all_mechanism"},
	{"ip4 any address /0", "v=spf1 +ip4:192.0.2.1/0 -all", 0, OK, AF, ONO, 0, "", "pass_all_mechanism"},
	{"ip6 ::/0", "v=spf1 ip6:::/0 ~all", 0, OK, AS, ONO, 0, "", "pass_all_mechanism"},
	{"ip4 and ip6 /0: one each", "v=spf1 ip4:0.0.0.0/0 ip6:2001:db8::/0 -all", 0, OK, AF, ONO, 0, "", "pass_all_mechanism pass_all_mechanism"},
	{"?ip4 /0", "v=spf1 ?ip4:0.0.0.0/0 -all", 0, OK, AF, ONO, 0, "", "neutral_all_mechanism"},
	{"-ip4 /0 opens nothing", "v=spf1 -ip4:0.0.0.0/0 -all", 0, OK, AF, ONO, 0, "", ""},
	{"~ip6 /0 opens nothing", "v=spf1 ~ip6:::/0 -all", 0, OK, AF, ONO, 0, "", ""},
	{"ip4 /1 is not everyone", "v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1 -all", 0, OK, AF, ONO, 0, "", ""},
	{"ip4 /0 after all", "v=spf1 -all ip4:0.0.0.0/0", 0, OK, AF, ONO, 0, "", "mechanisms_after_all"},
	{"ip4 /0 with a redirect", "v=spf1 ip4:0.0.0.0/0 redirect=_spf.example", 0, OK, AN, ORED, 1, "", "pass_all_mechanism"},
	{"a/0 is for the check", "v=spf1 a/0 exists:x.example -all", 0, OK, AF, ONO, 2, "", ""},
	{"ip4 /32", "v=spf1 ip4:192.0.2.1/32 -all", 0, OK, AF, ONO, 0, "", ""},
	{"ip4 /33", "v=spf1 ip4:1.2.3.4/33", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", "no_all"},
	{"ip4 /032", "v=spf1 ip4:1.2.3.4/032 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip4 /", "v=spf1 ip4:1.2.3.4/ -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 //64", "v=spf1 ip4:1.2.3.4//64 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip4 /247", "v=spf1 ip4:1.2.3.4/247 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip4 huge prefix", "v=spf1 ip4:1.2.3.4/99999999999999999999 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip4 octet 256", "v=spf1 ip4:1.2.3.256 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 octet 444 with cidr", "v=spf1 ip4:1.2.3.444/24 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 leading zero", "v=spf1 ip4:192.0.2.01 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 three parts", "v=spf1 ip4:192.0.2 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 five parts", "v=spf1 ip4:192.0.2.1.5 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 trailing dot", "v=spf1 ip4:192.0.2.1. -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 with a name", "v=spf1 ip4:mail.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 with an ip6", "v=spf1 ip4:2001:db8::1 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip4 range", "v=spf1 ip4:192.0.2.1-192.0.2.9 -all", 0, PERM, SKIP, SKIP, SKIP, "ip4_invalid", ""},
	{"ip6 forms", "v=spf1 ip6:::1 ip6:2001:DB8:0:0:0:0:0:1 ip6:2001:db8::/48 ip6:fe80::1:2:3:4/64 ip6:::ffff:192.0.2.0/120 ip6::: -all", 0, OK, AF, ONO, 0, "", ""},
	{"ip6 /128", "v=spf1 ip6:2001:db8::1/128 -all", 0, OK, AF, ONO, 0, "", ""},
	{"ip6 /129", "v=spf1 ip6:2001:db8::/129 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip6 //64", "v=spf1 ip6:2001:db8:://64 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip6 /064", "v=spf1 ip6:2001:db8::/064 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"ip6 with an ip4", "v=spf1 ip6:192.0.2.1 -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"ip6 two ::", "v=spf1 ip6:2001::db8::1 -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"ip6 nine groups", "v=spf1 ip6:1:2:3:4:5:6:7:8:9 -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"ip6 five hex digits", "v=spf1 ip6:2001:db8::12345 -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"ip6 zone id", "v=spf1 ip6:fe80::1%eth0 -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"ip6 brackets", "v=spf1 ip6:[2001:db8::1] -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"ip6 too long", "v=spf1 ip6:0000:0000:0000:0000:0000:0000:0000:0000:0000 -all", 0, PERM, SKIP, SKIP, SKIP, "ip6_invalid", ""},
	{"a//64", "v=spf1 a//64 -all", 0, OK, AF, ONO, 1, "", ""},
	{"mx/24//64", "v=spf1 mx/24//64 -all", 0, OK, AF, ONO, 1, "", ""},
	{"a:domain/24//64", "v=spf1 a:mail.example.com/24//64 -all", 0, OK, AF, ONO, 1, "", ""},
	{"a/0//0", "v=spf1 a/0//0 -all", 0, OK, AF, ONO, 1, "", ""},
	{"a/33", "v=spf1 a/33 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"mx//129", "v=spf1 mx//129 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"a/24/64", "v=spf1 a/24/64 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"a//64/24 order", "v=spf1 a//64/24 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"a//64//64", "v=spf1 a//64//64 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"a///64", "v=spf1 a///64 -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"a/x", "v=spf1 a/x -all", 0, PERM, SKIP, SKIP, SKIP, "cidr_invalid", ""},
	{"mx:domain/ trailing slash", "v=spf1 mx:example.com/ -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	/* --- domain-specs (RFC 7208 4.8, 12) --- */
	{"trailing dot", "v=spf1 include:example.com. -all", 0, OK, AF, ONO, 1, "", ""},
	{"underscore labels", "v=spf1 include:_spf.example.com -all", 0, OK, AF, ONO, 1, "", ""},
	{"single label", "v=spf1 include:localhost -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"numeric toplabel", "v=spf1 a:192.0.2.1 -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"numeric toplabel with dash", "v=spf1 a:example.123-4 -all", 0, OK, AF, ONO, 1, "", ""},
	{"toplabel starts with dash", "v=spf1 a:example.-com -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"toplabel ends with dash", "v=spf1 a:example.com- -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"two trailing dots", "v=spf1 a:example.com.. -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"port after domain", "v=spf1 a:example.com:8080 -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"include with cidr", "v=spf1 include:example.com/24 -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"empty label", "v=spf1 a:mail..example.com -all", 0, OK, AF, ONO, 1, "", "domain_invalid"},
	{"empty label in include", "v=spf1 include:mail..example.com -all", 0, PERM, SKIP, SKIP, SKIP, "domain_invalid", ""},
	{"leading dot", "v=spf1 exists:.example.com -all", 0, OK, AF, ONO, 1, "", "domain_invalid"},
	{"odd visible bytes", "v=spf1 include:s*p+f!.example.com -all", 0, OK, AF, ONO, 1, "", ""},
	{"slash inside exists", "v=spf1 -exists:%{i}.%{s1}.100/86400.rate.%{d} -all", 0, OK, AF, ONO, 1, "", "macro"},
	/* --- macros (RFC 7208 7) --- */
	{"macro ends a domain-spec", "v=spf1 a:%{d} -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro then dot", "v=spf1 a:%{d}. -all", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", "macro"},
	{"macro letters", "v=spf1 exists:%{s}%{l}%{o}%{d}%{i}%{p}%{h}%{v}.example.com -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro letters upper case", "v=spf1 exists:%{S}%{L}%{IR}.example.com -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro transformers", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro all delimiters", "v=spf1 exists:%{d2r.-+,/_=}.example.com -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro big digit", "v=spf1 exists:%{d128}.example.com -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro digit zero", "v=spf1 exists:%{d0}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro digits zero", "v=spf1 exists:%{d00}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro escapes", "v=spf1 a:%%%_%-.example.com -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro escape ends", "v=spf1 a:example.com%% -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"macro unknown letter", "v=spf1 exists:%{x}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro exp-only letter c", "v=spf1 exists:%{c}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro exp-only letter r", "v=spf1 -include:%{r}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro exp-only letter t", "v=spf1 a:%{t}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro c in exp domain", "v=spf1 -all exp=%{c}.explain.example.com", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro r in unknown modifier", "v=spf1 -all moo=%{r}", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro unterminated", "v=spf1 exists:%{d.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro empty", "v=spf1 exists:%{}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro bad delimiter", "v=spf1 exists:%{d:}.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"percent parenthesis (RFC 7208 7.1)", "v=spf1 -exists:%(ir).sbl.example.org", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", "no_all"},
	{"percent at end", "v=spf1 a:example.com% -all", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"macro in ignored term", "v=spf1 -all include:%{d}.example.com", 0, OK, AF, ONO, 0, "", "mechanisms_after_all"},
	{"macro in redirect", "v=spf1 redirect=%{d}._spf.example.com", 0, OK, AN, ORED, 1, "", "macro"},
	/* --- modifiers (RFC 7208 6) --- */
	{"redirect alone", "v=spf1 redirect=_spf.example.com", 0, OK, AN, ORED, 1, "", ""},
	{"redirect before mechanisms", "v=spf1 redirect=_spf.example.com mx", 0, OK, AN, ORED, 2, "", ""},
	{"redirect with all", "v=spf1 mx -all redirect=_spf.example.com", 0, OK, AF, ONO, 1, "", "redirect_ignored"},
	{"redirect with all after it", "v=spf1 redirect=_spf.example.com ?all", 0, OK, AQ, OYES, 0, "", "redirect_ignored"},
	{"redirect upper case", "v=spf1 REDIRECT=_spf.example.com", 0, OK, AN, ORED, 1, "", ""},
	{"duplicate redirect", "v=spf1 redirect=a.example redirect=b.example", 0, PERM, SKIP, SKIP, SKIP, "duplicate_modifier", ""},
	{"duplicate redirect with all", "v=spf1 -all redirect=a.example redirect=a.example", 0, PERM, SKIP, SKIP, SKIP, "duplicate_modifier", "redirect_ignored"},
	{"duplicate exp", "v=spf1 -all exp=a.example exp=b.example", 0, PERM, SKIP, SKIP, SKIP, "duplicate_modifier", ""},
	{"redirect empty", "v=spf1 redirect=", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	{"exp empty", "v=spf1 -all exp=", 0, PERM, SKIP, SKIP, SKIP, "missing_argument", ""},
	{"redirect invalid", "v=spf1 redirect=example", 0, PERM, SKIP, SKIP, SKIP, "domain_spec_invalid", ""},
	{"redirect bad name", "v=spf1 redirect=a..example.com", 0, PERM, SKIP, SKIP, SKIP, "domain_invalid", ""},
	{"redirect with qualifier", "v=spf1 -redirect=_spf.example.com", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", "no_all"},
	{"redirect with colon", "v=spf1 redirect:_spf.example.com", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", "no_all"},
	{"exp", "v=spf1 mx -all exp=explain._spf.%{d}", 0, OK, AF, ONO, 1, "", ""},
	{"unknown modifier", "v=spf1 -all foo=bar", 0, OK, AF, ONO, 0, "", "unknown_modifier"},
	{"unknown modifiers repeat", "v=spf1 foo=1 foo=2 -all", 0, OK, AF, ONO, 0, "", "unknown_modifier unknown_modifier"},
	{"unknown modifier empty value", "v=spf1 -all x-y_z.1=", 0, OK, AF, ONO, 0, "", "unknown_modifier"},
	{"unknown modifier macro value", "v=spf1 -all moo=%{d}.%%", 0, OK, AF, ONO, 0, "", "unknown_modifier"},
	{"unknown modifier bad macro", "v=spf1 -all moo=%x", 0, PERM, SKIP, SKIP, SKIP, "macro_invalid", ""},
	{"obsolete default modifier", "v=spf1 default=deny", 0, OK, AN, OYES, 0, "", "unknown_modifier no_all"},
	{"second version as modifier", "v=spf1 -all v=spf1", 0, OK, AF, ONO, 0, "", "unknown_modifier"},
	{"ip4 written as modifier", "v=spf1 ip4=192.0.2.1 -all", 0, OK, AF, ONO, 0, "", "unknown_modifier"},
	{"modifier name with digit first", "v=spf1 1x=2 -all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	{"modifier name with underscore first", "v=spf1 _x=2 -all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	{"empty modifier name", "v=spf1 =x -all", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", ""},
	/* --- lookup counts (RFC 7208 4.6.4) --- */
	{"10 lookups", "v=spf1 a mx ptr exists:a.example include:b.example a:c.example mx:d.example include:e.example exists:f.example include:g.example -all", 0, OK, AF, ONO, 10, "", "ptr_used"},
	{"11 lookups", "v=spf1 a mx ptr exists:a.example include:b.example a:c.example mx:d.example include:e.example exists:f.example include:g.example include:h.example -all", 0, OK, AF, ONO, 11, "", "ptr_used"},
	{"9 lookups and redirect", "v=spf1 a a a a a a a a a redirect=x.example", 0, OK, AN, ORED, 10, "", ""},
	{"ip and exp do not count", "v=spf1 ip4:192.0.2.1 ip6:::1 -all exp=x.example", 0, OK, AF, ONO, 0, "", ""},
	{"ignored redirect does not count", "v=spf1 a -all redirect=x.example", 0, OK, AF, ONO, 1, "", "redirect_ignored"},
	/* --- bytes --- */
	{"NUL in a term", LIT("v=spf1 include:a\0b.example -all"), PERM, SKIP, SKIP, SKIP, "invalid_character", ""},
	{"NUL right after version", LIT("v=spf1\0 -all"), NONE, AN, SKIP, 0, "", ""},
	{"NUL after a space", LIT("v=spf1 \0"), PERM, SKIP, SKIP, SKIP, "invalid_character", "no_all"},
	{"high bytes", "v=spf1 a:m\xc3\xa4il.example.com -all", 0, PERM, SKIP, SKIP, SKIP, "invalid_character", ""},
	{"NBSP separator", "v=spf1 mx\xc2\xa0-all", 0, PERM, SKIP, SKIP, SKIP, "invalid_character", "no_all"},
	{"DEL byte", "v=spf1 mx -all\x7f", 0, PERM, SKIP, SKIP, SKIP, "invalid_character", "no_all"},
	{"quote marks from a zone file", "v=spf1 mx -all\"", 0, PERM, SKIP, SKIP, SKIP, "unknown_mechanism", "no_all"},
	/* --- RFC 7208 examples --- */
	{"RFC 7208 A +all", "v=spf1 +all", 0, OK, AP, OYES, 0, "", ""},
	{"RFC 7208 A a -all", "v=spf1 a -all", 0, OK, AF, ONO, 1, "", ""},
	{"RFC 7208 A a:example.org", "v=spf1 a:example.org -all", 0, OK, AF, ONO, 1, "", ""},
	{"RFC 7208 A mx", "v=spf1 mx -all", 0, OK, AF, ONO, 1, "", ""},
	{"RFC 7208 A mx:example.org", "v=spf1 mx:example.org -all", 0, OK, AF, ONO, 1, "", ""},
	{"RFC 7208 A mx mx:example.org", "v=spf1 mx mx:example.org -all", 0, OK, AF, ONO, 2, "", ""},
	{"RFC 7208 A mx/30", "v=spf1 mx/30 mx:example.org/30 -all", 0, OK, AF, ONO, 2, "", ""},
	{"RFC 7208 A ptr", "v=spf1 ptr -all", 0, OK, AF, ONO, 1, "", "ptr_used"},
	{"RFC 7208 A ip4", "v=spf1 ip4:192.0.2.128/28 -all", 0, OK, AF, ONO, 0, "", ""},
	{"RFC 7208 A example.com", "v=spf1 +mx a:colo.example.com/28 -all", 0, OK, AF, ONO, 2, "", ""},
	{"RFC 7208 A.2 multiple domains", "v=spf1 include:example.com include:example.net -all", 0, OK, AF, ONO, 2, "", ""},
	{"RFC 7208 A.2 redirect", "v=spf1 redirect=example.org", 0, OK, AN, ORED, 1, "", ""},
	{"RFC 7208 A.3 DNSBL", "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all", 0, OK, AF, ONO, 3, "", "macro"},
	{"RFC 7208 A.3 mobile users", "v=spf1 exists:%{l1r+}.%{d}", 0, OK, AN, OYES, 1, "", "macro no_all"},
	{"RFC 7208 A.3 remote users", "v=spf1 exists:%{ir}.%{l1r+}.%{d}", 0, OK, AN, OYES, 1, "", "macro no_all"},
	{"RFC 7208 A.4 multiple requirements", "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all", 0, OK, AP, OYES, 2, "", "macro"},
	{"RFC 7208 A.4 ip4", "v=spf1 -ip4:192.0.2.0/24 +all", 0, OK, AP, OYES, 0, "", ""},
	{"RFC 7208 A.4 ptr", "v=spf1 -ptr +all", 0, OK, AP, OYES, 1, "", "ptr_used"},
	{"RFC 7208 5.7 exists", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", 0, OK, AF, ONO, 1, "", "macro"},
	{"RFC 7208 7.4 macro", "v=spf1 exists:%{ir}.%{v}._spf.%{d2} exists:%{lr-}.lp._spf.%{d2} exists:%{lr-}.lp.%{ir}.%{v}._spf.%{d2} exists:%{ir}.%{v}.%{l1r-}.lp._spf.%{d2} exists:%{d2}.trusted-domains.example.net -all", 0, OK, AF, ONO, 5, "", "macro"},
	{"RFC 7208 6.2 exp", "v=spf1 mx -all exp=explain._spf.%{d}", 0, OK, AF, ONO, 1, "", ""},
};
/* clang-format on */

/* Codes asserted by tests other than the table (generated records). */
static const char *const covered_elsewhere[] = {"record_too_long", NULL};

/* ---- helpers ---- */

/* Compares the codes of n issues with an expected list (see grammar_util.h). */
static bool issues_are(const struct spf_issue *is, unsigned n, const char *want, char *why,
                       size_t cap)
{
        const char *got[CODES_MAX];
        assert_true(n <= CODES_MAX);
        for (unsigned i = 0; i < n; i++)
                got[i] = is[i].code;
        return same_codes(got, n, want, why, cap);
}

/* Parses from an exact-size heap copy, so ASan reports any read past len. */
static int parse_exact(const char *rec, size_t len, struct spf_record *r)
{
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        if (len)
                memcpy(copy, rec, len);
        int rc = spf_parse(len ? copy : NULL, len, r);
        free(copy);
        return rc;
}

/* Selects among the '\n'-separated TXTs of rec, each in an exact-size heap copy. */
static int select_exact(const char *rec, size_t len, struct spf_record *r)
{
        struct spf_txt txts[8];
        size_t n = 0, start = 0;
        for (size_t i = 0; i <= len && n < 8; i++) {
                if (i < len && rec[i] != '\n')
                        continue;
                char *copy = malloc(i - start ? i - start : 1);
                assert_non_null(copy);
                memcpy(copy, rec + start, i - start);
                txts[n++] = (struct spf_txt){copy, i - start};
                start = i + 1;
        }
        int rc = spf_select(txts, n, r);
        for (size_t i = 0; i < n; i++)
                free((void *)txts[i].text);
        return rc;
}

static bool check_record(const struct tcase *tc, char *why, size_t cap, struct spf_record *rp)
{
        struct spf_record r;
        size_t len = tc->len ? tc->len : strlen(tc->rec);
        bool multi = memchr(tc->rec, '\n', len) != NULL;
        int rc = multi ? select_exact(tc->rec, len, rp) : parse_exact(tc->rec, len, rp);
        r = *rp;
        spf_check_invariants(&r, multi ? SIZE_MAX / 2 : len);
        if (rc != (r.valid ? 0 : 1) || (int)r.result != tc->result) {
                snprintf(why, cap, "result: want %s got %s (rc %d)",
                         spf_result_name((enum spf_result)tc->result), spf_result_name(r.result),
                         rc);
                return false;
        }
        const int want[] = {tc->all, tc->open, tc->lookups};
        const int got[] = {(int)r.all, (int)r.open, (int)r.lookup_terms};
        static const char *const what[] = {"all", "open", "lookups"};
        for (int i = 0; i < 3; i++) {
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

static bool check_case(const struct tcase *tc, char *why, size_t cap)
{
        struct spf_record r = {0};
        bool ok = check_record(tc, why, cap, &r);
        spf_record_free(&r);
        return ok;
}

static bool has_code(const struct spf_issue *is, unsigned n, const char *code)
{
        for (unsigned i = 0; i < n; i++)
                if (strcmp(is[i].code, code) == 0)
                        return true;
        return false;
}

/* The storage of parsed()'s results, reused from one call to the next. */
static struct spf_record parsed_store;

/* rec's result, valid until the next call. */
static struct spf_record parsed(const char *rec)
{
        parse_exact(rec, strlen(rec), &parsed_store);
        spf_check_invariants(&parsed_store, strlen(rec));
        return parsed_store;
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

/* Every code the module can emit is expected by a test, and documented. */
static void t_codes_covered(void **st)
{
        (void)st;
        assert_codes_documented(spf_issue_codes, DS_TEST_DATA "/../../docs/spf-grammar.md");
        for (const char *const *c = spf_issue_codes; *c; c++) {
                bool used = false;
                for (const char *const *e = covered_elsewhere; *e; e++)
                        used = used || strcmp(*e, *c) == 0;
                for (size_t i = 0; !used && i < sizeof cases / sizeof cases[0]; i++)
                        used = code_in_list(*c, cases[i].errors) ||
                               code_in_list(*c, cases[i].warnings);
                if (!used)
                        fail_msg("code %s is exercised by no test", *c);
        }
}

static void t_is_record(void **st)
{
        (void)st;
        assert_true(spf_is_record("v=spf1", 6));
        assert_true(spf_is_record("v=spf1 ", 7));
        assert_true(spf_is_record("V=SpF1 -all", 11));
        assert_false(spf_is_record("v=spf10", 7));
        assert_false(spf_is_record("v=spf1\t-all", 11));
        assert_false(spf_is_record("v=spf", 5));
        assert_false(spf_is_record(" v=spf1", 7));
        assert_false(spf_is_record("v=spf1", 5)); /* len is honoured */
        assert_false(spf_is_record(NULL, 0));
        assert_false(spf_is_record("", 0));
}

static void t_terms(void **st)
{
        (void)st;
        const char *rec = "v=spf1  ~ip4:192.0.2.0/24 ?ip6:2001:DB8::/32 -a:Mail.Example.com/28//64 "
                          "mx ptr:x.example include:_spf.example.net. exists:%{i}.x.example "
                          "redirect=r.example exp=e.example moo=cow";
        struct spf_record r = parsed(rec);
        assert_int_equal(r.result, OK);
        assert_int_equal(r.term_count, 10);
        const struct spf_term *t = r.terms;
        assert_int_equal(t[0].kind, SPF_IP4);
        assert_int_equal(t[0].qualifier, SPF_Q_SOFTFAIL);
        assert_int_equal(t[0].offset, 8);
        assert_int_equal(t[0].len, strlen("~ip4:192.0.2.0/24"));
        assert_true(t[0].has_cidr4 && t[0].cidr4 == 24);
        assert_memory_equal(t[0].addr, "\xc0\x00\x02\x00", 4);
        assert_int_equal(t[1].kind, SPF_IP6);
        assert_int_equal(t[1].qualifier, SPF_Q_NEUTRAL);
        assert_true(t[1].has_cidr6 && t[1].cidr6 == 32 && !t[1].has_cidr4);
        assert_memory_equal(t[1].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
        assert_int_equal(t[2].kind, SPF_A);
        assert_int_equal(t[2].qualifier, SPF_Q_FAIL);
        assert_true(t[2].has_cidr4 && t[2].cidr4 == 28 && t[2].has_cidr6 && t[2].cidr6 == 64);
        assert_true(t[2].has_spec);
        assert_memory_equal(rec + t[2].spec_offset, "Mail.Example.com", t[2].spec_len);
        assert_int_equal(t[2].spec_len, 16);
        assert_int_equal(t[3].kind, SPF_MX);
        assert_true(!t[3].has_spec && !t[3].has_cidr4 && t[3].cidr4 == 32 && t[3].cidr6 == 128);
        assert_int_equal(t[3].qualifier, SPF_Q_PASS);
        assert_int_equal(t[4].kind, SPF_PTR);
        assert_int_equal(t[5].kind, SPF_INCLUDE);
        assert_int_equal(t[6].kind, SPF_EXISTS);
        assert_true(t[6].macro && t[6].evaluated);
        assert_int_equal(t[7].kind, SPF_REDIRECT);
        assert_true(t[7].evaluated);
        assert_int_equal(t[8].kind, SPF_EXP);
        assert_false(t[8].evaluated);
        assert_int_equal(t[9].kind, SPF_UNKNOWN_MODIFIER);
        assert_memory_equal(rec + t[9].spec_offset, "cow", 3);
        assert_int_equal(t[9].offset + t[9].len, strlen(rec));
        assert_true(r.has_exp && r.has_redirect && r.redirect_applies);
        assert_string_equal(r.redirect, "r.example");
        assert_int_equal(r.lookup_terms, 6); /* a mx ptr include exists redirect */
        assert_int_equal(r.macro_terms, 1);
}

static void t_targets(void **st)
{
        (void)st;
        /* In evaluation order: mechanisms as written, the redirect last; macros and ptr are
         * not targets; a/mx without a domain target the domain itself. */
        struct spf_record r = parsed("v=spf1 redirect=Last.Example. a mx:MX.example.org/24 ptr "
                                     "exists:%{ir}.bl.example include:_spf.example.net "
                                     "exists:e.example a:A.example//64");
        assert_int_equal(r.result, OK);
        assert_int_equal(r.lookup_terms, 8);
        assert_int_equal(r.macro_terms, 1);
        assert_int_equal(r.target_count, 6);
        static const struct {
                enum spf_kind kind;
                unsigned qtypes, term;
                const char *name;
        } want[] = {
            {SPF_A, SPF_QT_A | SPF_QT_AAAA, 1, ""},
            {SPF_MX, SPF_QT_MX, 2, "mx.example.org"},
            {SPF_INCLUDE, SPF_QT_TXT, 5, "_spf.example.net"},
            {SPF_EXISTS, SPF_QT_A, 6, "e.example"},
            {SPF_A, SPF_QT_A | SPF_QT_AAAA, 7, "a.example"},
            {SPF_REDIRECT, SPF_QT_TXT, 0, "last.example"},
        };
        for (unsigned i = 0; i < 6; i++) {
                assert_int_equal(r.targets[i].kind, want[i].kind);
                assert_int_equal(r.targets[i].qtypes, want[i].qtypes);
                assert_int_equal(r.targets[i].term, want[i].term);
                assert_string_equal(r.targets[i].name, want[i].name);
                assert_int_equal(r.targets[i].self, want[i].name[0] == '\0');
        }
        assert_string_equal(r.redirect, "last.example");

        /* Nothing after all is a target; an ignored redirect is not either. */
        r = parsed("v=spf1 include:a.example -all include:b.example redirect=c.example");
        assert_int_equal(r.target_count, 1);
        assert_string_equal(r.targets[0].name, "a.example");
        assert_int_equal(r.lookup_terms, 1);
        assert_false(r.redirect_applies);
        assert_false(r.terms[3].evaluated);
        assert_string_equal(r.redirect, "c.example");

        /* A macro redirect is kept as written, and is no target. */
        r = parsed("v=spf1 redirect=_spf.%{D2}");
        assert_true(r.redirect_macro && r.redirect_applies);
        assert_string_equal(r.redirect, "_spf.%{D2}");
        assert_int_equal(r.target_count, 0);
        assert_int_equal(r.macro_terms, 1);

        /* RFC 7208 4.8: a name over 253 octets loses leftmost labels until it fits. */
        char rec[600], label[64];
        memset(label, 'l', 63);
        label[63] = '\0';
        snprintf(rec, sizeof rec, "v=spf1 include:x.%s.%s.%s.%s.example -all", label, label, label,
                 label);
        r = parsed(rec);
        assert_int_equal(r.result, OK);
        assert_int_equal(r.target_count, 1);
        char expect[300];
        snprintf(expect, sizeof expect, "%s.%s.%s.example", label, label, label);
        assert_string_equal(r.targets[0].name, expect);
        assert_true(strlen(r.targets[0].name) <= DS_NAME_MAX_TEXT);
        /* A 64-octet label makes no name. */
        snprintf(rec, sizeof rec, "v=spf1 a:%sl.example -all", label);
        r = parsed(rec);
        assert_int_equal(r.target_count, 0);
        assert_string_equal(r.warnings[0].code, "domain_invalid");
}

static void t_lookup_counts(void **st)
{
        (void)st;
        /* 10 and 11 DNS-querying terms, each kind; all and ip4/ip6/exp never count. */
        char rec[1024];
        for (int n = 9; n <= 12; n++) {
                int k = snprintf(rec, sizeof rec, "v=spf1 ip4:192.0.2.1 ip6:::1");
                static const char *const kinds[] = {"a", "mx:m.example", "exists:e.example",
                                                    "include:i.example", "ptr:p.example"};
                for (int i = 0; i < n; i++)
                        k += snprintf(rec + k, sizeof rec - (size_t)k, " %s", kinds[i % 5]);
                snprintf(rec + k, sizeof rec - (size_t)k, " -all exp=x.example");
                struct spf_record r = parsed(rec);
                assert_int_equal(r.result, OK);
                assert_int_equal(r.lookup_terms, n);
                /* ptr is counted but has no target (it asks the client's address). */
                assert_int_equal(r.target_count, n - n / 5);
        }
        struct spf_record r = parsed("v=spf1 a a a a a a a a a a redirect=x.example");
        assert_int_equal(r.lookup_terms, 11);
        assert_int_equal(r.target_count, 11);
        assert_int_equal(r.targets[10].kind, SPF_REDIRECT);
}

/* A mechanism that matches every client of a family: the record's flags, and the warning
 * naming its term. a/0 and exists depend on answers: the check judges them. */
static void t_everyone(void **st)
{
        (void)st;
        static const struct {
                const char *rec;
                bool pass, neutral;
                const char *term; /* the first warning's term; NULL: no warning */
        } wide[] = {
            {"v=spf1 ip4:0.0.0.0/0 -all", true, false, "ip4:0.0.0.0/0"},
            {"v=spf1 mx +ip6:::/0 -all", true, false, "+ip6:::/0"},
            {"v=spf1 ?ip4:10.0.0.0/0 -all", false, true, "?ip4:10.0.0.0/0"},
            {"v=spf1 ?ip6:::/0 ip4:0.0.0.0/0 -all", true, true, "?ip6:::/0"},
            {"v=spf1 -ip4:0.0.0.0/0 ~ip6:::/0 -all", false, false, NULL},
            {"v=spf1 ip4:0.0.0.0/1 ip6:::/1 ip4:0.0.0.0 -all", false, false, NULL},
            {"v=spf1 -all +ip4:0.0.0.0/0", false, false, NULL},
            {"v=spf1 a/0 a:x.example/0 exists:x.example -all", false, false, NULL},
        };
        for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
                struct spf_record r = parsed(wide[i].rec);
                assert_int_equal(r.everyone_pass, wide[i].pass);
                assert_int_equal(r.everyone_neutral, wide[i].neutral);
                const struct spf_issue *w = NULL;
                for (unsigned k = 0; k < r.warning_count && !w; k++)
                        if (strstr(r.warnings[k].code, "_all_mechanism"))
                                w = &r.warnings[k];
                if (!wide[i].term) {
                        assert_null(w);
                        continue;
                }
                assert_non_null(w);
                assert_string_equal(w->text, wide[i].term);
                assert_non_null(strstr(w->msg, wide[i].term));
        }
}

static void t_select(void **st)
{
        (void)st;
        struct spf_record r = {0};
#define TXT(s)                                                                                     \
        {                                                                                          \
                s, sizeof(s) - 1                                                                   \
        }
        const struct spf_txt txts[] = {
            TXT("MS=ms1234"),    TXT("v=spf1 include:_spf.example.com ~all"),
            TXT("v=spf10 -all"), TXT(""),
            {NULL, 0},
        };
        assert_int_equal(spf_select(txts, 5, &r), 0);
        assert_int_equal(r.records, 1);
        assert_int_equal(r.selected, 1);
        assert_int_equal(r.all, AS);
        assert_string_equal(r.targets[0].name, "_spf.example.com");
        assert_int_equal(spf_select(txts, 1, &r), 1);
        assert_int_equal(r.result, NONE);
        assert_int_equal(r.records, 0);
        assert_int_equal(spf_select(NULL, 0, &r), 1);
        assert_int_equal(r.result, NONE);
        const struct spf_txt two[] = {TXT("v=spf1 -all"), TXT("v=spf1 +all")};
        assert_int_equal(spf_select(two, 2, &r), 1);
        assert_int_equal(r.result, PERM);
        assert_int_equal(r.records, 2);
        assert_int_equal(r.error_count, 1);
        assert_string_equal(r.errors[0].code, "multiple_records");
        assert_int_equal(r.errors[0].term, -1);
        assert_int_equal(r.term_count, 0);
        assert_int_equal(r.all, AN);
        const struct spf_txt bad[] = {{NULL, 3}};
        assert_int_equal(spf_select(bad, 1, &r), -EINVAL);
        assert_int_equal(spf_select(NULL, 1, &r), -EINVAL);
        assert_int_equal(spf_select(two, 2, NULL), -EINVAL);
        spf_record_free(&r);
}

/* 450 bytes is fine, 451 is long. (That nothing is capped: tests/test_spf_caps.c.) */
static void t_long_record(void **st)
{
        (void)st;
        static char rec[4096];
        for (size_t want = 450; want <= 451; want++) {
                int k = snprintf(rec, sizeof rec, "v=spf1 -all x=");
                memset(rec + k, 'y', want - (size_t)k);
                rec[want] = '\0';
                struct spf_record r = parsed(rec);
                assert_int_equal(r.result, OK);
                assert_int_equal(has_code(r.warnings, r.warning_count, "record_too_long"),
                                 want > SPF_LONG_RECORD);
        }
}

static void t_sentences(void **st)
{
        (void)st;
        struct spf_record r = {0};
        const char rec[] = "v=spf1 a:\x01\"\\.example -all";
        assert_int_equal(parse_exact(rec, sizeof rec - 1, &r), 1);
        assert_string_equal(r.errors[0].code, "invalid_character");
        assert_non_null(strstr(r.errors[0].msg, "\"a:\\x01\\x22\\x5c.example\""));
        assert_int_equal(r.errors[0].term, 0);
        assert_int_equal(r.errors[0].offset, 7);
        assert_int_equal(r.errors[0].len, 13);
        assert_string_equal(r.errors[0].text, "a:\\x01\\x22\\x5c.example");
        /* The offending term is named by offset and length, and quoted. */
        const char *rec2 = "v=spf1 mx  ip4:1.2.3.4/33 -all";
        assert_int_equal(parse_exact(rec2, strlen(rec2), &r), 1);
        assert_int_equal(r.errors[0].term, 1);
        assert_memory_equal(rec2 + r.errors[0].offset, "ip4:1.2.3.4/33", r.errors[0].len);
        assert_string_equal(r.errors[0].text, "ip4:1.2.3.4/33");
        assert_non_null(strstr(r.errors[0].msg, "\"ip4:1.2.3.4/33\""));
        /* Long terms are shortened. */
        char lng[400];
        snprintf(lng, sizeof lng, "v=spf1 include:%0300d -all", 0);
        assert_int_equal(parse_exact(lng, strlen(lng), &r), 1);
        assert_non_null(strstr(r.errors[0].msg, "000...\""));
        assert_int_equal(strlen(r.errors[0].text), SPF_TERM_TEXT - 1);
        assert_memory_equal(r.errors[0].text, "include:000", 11);
        assert_string_equal(r.errors[0].text + SPF_TERM_TEXT - 4, "...");
        spf_check_invariants(&r, strlen(lng));
        spf_record_free(&r);
}

static void t_args_and_reuse(void **st)
{
        (void)st;
        struct spf_record r = {0}, fresh = {0};
        assert_int_equal(spf_parse("v=spf1", 6, NULL), -EINVAL);
        assert_int_equal(spf_parse(NULL, 3, &r), -EINVAL);
        assert_int_equal(spf_parse("v=spf1", (size_t)DS_TXT_MAX + 1, &r), -EINVAL);
        assert_int_equal(spf_parse(NULL, 0, &r), 1);
        assert_int_equal(r.result, NONE);
        assert_string_equal(r.redirect, "");
        /* A record whose storage held another (longer, broken) result gives the same result as
         * a fresh one: nothing of the last parse shows through. */
        const char *big = "v=spf1 a:a.example mx:m.example bad1 bad2 include:i.example -all "
                          "redirect=%{d}.r.example exp=e.example ptr:p.example";
        assert_int_equal(spf_parse(big, strlen(big), &r), 1);
        const char *rec = "v=spf1 a:x.example redirect=y.example foo=1 ip6:::1/33 ptr";
        assert_int_equal(spf_parse(rec, strlen(rec), &r), 0);
        assert_int_equal(spf_parse(rec, strlen(rec), &fresh), 0);
        spf_check_same(&r, &fresh);
        assert_string_equal(r.redirect, "y.example");
        /* After spf_record_free() the record is empty and may be parsed again. */
        spf_record_free(&r);
        assert_true(r.term_count == 0 && r.error_count == 0 && r.mem.terms.buf == NULL);
        assert_int_equal(spf_parse(rec, strlen(rec), &r), 0);
        spf_check_same(&r, &fresh);
        spf_record_free(&r);
        spf_record_free(&fresh);
}

static void t_names(void **st)
{
        (void)st;
        assert_string_equal(spf_result_name(SPF_RESULT_OK), "ok");
        assert_string_equal(spf_result_name(SPF_RESULT_NONE), "none");
        assert_string_equal(spf_result_name(SPF_RESULT_PERMERROR), "permerror");
        assert_string_equal(spf_result_name(SPF_RESULT_TEMPERROR), "temperror");
        assert_string_equal(spf_result_name((enum spf_result)9), "?");
        assert_null(spf_all_name(SPF_ALL_NONE));
        assert_string_equal(spf_all_name(SPF_ALL_PASS), "pass");
        assert_string_equal(spf_all_name(SPF_ALL_FAIL), "fail");
        assert_string_equal(spf_all_name(SPF_ALL_SOFTFAIL), "softfail");
        assert_string_equal(spf_all_name(SPF_ALL_NEUTRAL), "neutral");
        assert_string_equal(spf_qualifier_text(SPF_Q_SOFTFAIL), "~");
        assert_string_equal(spf_qualifier_text(SPF_Q_FAIL), "-");
        assert_string_equal(spf_kind_name(SPF_INCLUDE), "include");
        assert_string_equal(spf_kind_name(SPF_EXP), "exp");
        assert_null(spf_kind_name(SPF_KIND_COUNT));
        size_t n = 0;
        for (const char *const *c = spf_issue_codes; *c; c++, n++)
                for (const char *s = *c; *s; s++)
                        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789_", *s));
        assert_int_equal(n, 21);
}

/* Random mutations of valid records: byte flips, insertions of grammar fragments and
 * raw bytes, deletions, truncations. Invariants must hold and the output stay bounded. */
static void t_fuzz(void **st)
{
        (void)st;
        static const char *const seeds[] = {
            "v=spf1 +mx a:colo.example.com/28 -all",
            "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all",
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a//64 mx/24//64 ?all",
            "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -include:ptr._spf.%{d} +all",
            "v=spf1 redirect=_spf.example.com exp=explain.%{d} moo=cow",
            "v=spf1 ptr:x.example -a:y.example/0 ~ip4:0.0.0.0/0 -all",
        };
        static const char *const frags[] = {
            " ",    "  ",   ":",    "/",   "//", "=",    "%",    "%{",      "}",        "%{d}",
            "%%",   ".",    "..",   "-",   "+",  "~",    "?",    "all",     "include:", "redirect=",
            "exp=", "ip4:", "ip6:", "::",  "a",  "mx",   "ptr",  "exists:", "1",        "0",
            "33",   "129",  "255",  "256", "\t", "\r\n", "\xff", "\x80",
        };
        uint64_t s = 0x9e3779b97f4a7c15ull;
        char buf[700];
        struct spf_record r = {0};
        for (int iter = 0; iter < 40000; iter++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                const char *seed = seeds[s % (sizeof seeds / sizeof seeds[0])];
                size_t len = strlen(seed);
                memcpy(buf, seed, len);
                int edits = 1 + (int)((s >> 8) % 6);
                for (int e = 0; e < edits; e++) {
                        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                        size_t at = len ? (size_t)(s >> 20) % (len + 1) : 0;
                        switch ((s >> 4) % 5) {
                        case 0: /* flip a byte to anything, NUL included */
                                if (at < len)
                                        buf[at] = (char)(s >> 40);
                                break;
                        case 1: { /* insert a fragment */
                                const char *f = frags[(s >> 12) % (sizeof frags / sizeof frags[0])];
                                size_t n = strlen(f);
                                if (len + n <= sizeof buf) {
                                        memmove(buf + at + n, buf + at, len - at);
                                        memcpy(buf + at, f, n);
                                        len += n;
                                }
                                break;
                        }
                        case 2: /* delete a run */
                                if (at < len) {
                                        size_t n = 1 + (size_t)(s >> 50) % 8;
                                        n = n > len - at ? len - at : n;
                                        memmove(buf + at, buf + at + n, len - at - n);
                                        len -= n;
                                }
                                break;
                        case 3: /* truncate */
                                len = at;
                                break;
                        default: /* duplicate a run onto the end */
                                if (at < len && len + (len - at) <= sizeof buf) {
                                        memcpy(buf + len, buf + at, len - at);
                                        len += len - at;
                                }
                                break;
                        }
                }
                int rc = parse_exact(buf, len, &r);
                assert_int_equal(rc, r.valid ? 0 : 1);
                spf_check_invariants(&r, len);
        }
        spf_record_free(&r);
}

/* ---- real-world corpus ---- */

static int result_of(const char *s)
{
        for (int i = NONE; i <= SPF_RESULT_TEMPERROR; i++)
                if (strcmp(s, spf_result_name((enum spf_result)i)) == 0)
                        return i;
        fail_msg("bad result \"%s\" in corpus", s);
        return SKIP;
}

static int all_of(const char *s)
{
        if (strcmp(s, "-") == 0)
                return SKIP;
        if (strcmp(s, "null") == 0)
                return AN;
        for (int a = AP; a <= AQ; a++)
                if (strcmp(s, spf_all_name((enum spf_all)a)) == 0)
                        return a;
        fail_msg("bad all \"%s\" in corpus", s);
        return SKIP;
}

enum { F_DOMAIN, F_RESULT, F_ALL, F_LOOKUPS, F_ERR, F_WARN, F_REC, F_SRC, F_N };

static void t_corpus(void **st)
{
        (void)st;
        FILE *fp = fopen(DS_TEST_DATA "/spf_records.tsv", "r");
        assert_non_null(fp);
        static char line[16384], rec[16384];
        int rows = 0, failed = 0, ok_rows = 0;
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
                snprintf(rec, sizeof rec, "%s", f[F_REC]);
                struct tcase tc = {
                    .name = f[F_DOMAIN],
                    .rec = rec,
                    .len = unescape(rec),
                    .result = result_of(f[F_RESULT]),
                    .all = all_of(f[F_ALL]),
                    .open = SKIP,
                    .lookups = strcmp(f[F_LOOKUPS], "-") ? atoi(f[F_LOOKUPS]) : SKIP,
                    .errors = f[F_ERR],
                    .warnings = f[F_WARN],
                };
                char why[700];
                rows++;
                ok_rows += tc.result == OK;
                if (!check_case(&tc, why, sizeof why)) {
                        print_error("corpus %s: %s\n", f[F_DOMAIN], why);
                        failed++;
                }
        }
        fclose(fp);
        assert_int_equal(failed, 0);
        assert_true(rows >= 20);
        assert_true(ok_rows > 0 && ok_rows < rows); /* both verdicts are represented */
        print_message("corpus: %d records, %d ok\n", rows, ok_rows);
}

static int teardown(void **st)
{
        (void)st;
        spf_record_free(&parsed_store);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_table),     cmocka_unit_test(t_codes_covered),
            cmocka_unit_test(t_is_record), cmocka_unit_test(t_terms),
            cmocka_unit_test(t_targets),   cmocka_unit_test(t_lookup_counts),
            cmocka_unit_test(t_select),    cmocka_unit_test(t_long_record),
            cmocka_unit_test(t_sentences), cmocka_unit_test(t_args_and_reuse),
            cmocka_unit_test(t_names),     cmocka_unit_test(t_fuzz),
            cmocka_unit_test(t_corpus),    cmocka_unit_test(t_everyone),
        };
        return cmocka_run_group_tests(tests, NULL, teardown);
}
