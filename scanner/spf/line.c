/* line.c -- the "spf" object of a domain's line (docs/output.md). */
#include "scanner/spf/line.h"

#include <stdio.h>
#include <string.h>

#include "common/text.h"
#include "dns/wire.h"
#include "scanner/lookup.h"

static void name_of(const struct spf_eval *d, const char *domain, int k, char *out)
{
        if (k <= 0 || (unsigned)k >= d->nnodes) {
                ds_concat(out, DS_NAME_MAX_TEXT + 1, (const char *[]){k == 0 ? domain : ""}, 1);
                return;
        }
        const struct spf_node *n = &d->nodes[k];
        memcpy(out, d->names + n->name_off, n->name_len);
        out[n->name_len] = 0;
}

static const char *qtype_name(enum spf_kind k)
{
        return k == SPF_MX ? "MX" : k == SPF_A || k == SPF_EXISTS ? "A" : "TXT";
}

/* pass_all_mechanism, neutral_all_mechanism: a wide a or exists term that found an
 * address, or a record reached through redirects and +includes that has an ip4/ip6 /0. */
static void everyone_message(const struct spf_node *n, const char *verb, const char *name,
                             char *out, size_t cap)
{
        if (n->kind == SPF_A)
                snprintf(out, cap,
                         "a:%s/0 matches every IPv4 client, as %s has an address: anyone %s", name,
                         name, verb);
        else if (n->kind == SPF_EXISTS)
                snprintf(out, cap, "exists:%s matches every client, as %s exists: anyone %s", name,
                         name, verb);
        else
                snprintf(out, cap,
                         "the record at %s has an ip4 or ip6 /0 that matches every client of "
                         "its family: anyone %s",
                         name, verb);
}

/* One English sentence for a tree-level issue. */
static void message(const struct spf_eval *d, const struct spf_tree_issue *is, const char *name,
                    char *out, size_t cap)
{
        const struct spf_node *n = is->node >= 0 ? &d->nodes[is->node] : NULL;
        const char *code = is->code;
        const char *term = n && n->kind == SPF_REDIRECT ? "redirect=" : "include:";
        if (strcmp(code, "include_missing") == 0 || strcmp(code, "redirect_missing") == 0)
                snprintf(out, cap, "%s%s has no SPF record (%s): a permerror", term, name,
                         lookup_status_name(n->status));
        else if (strcmp(code, "include_permerror") == 0 || strcmp(code, "redirect_permerror") == 0)
                snprintf(out, cap, "the SPF record at %s%s is a permerror", term, name);
        else if (strcmp(code, "include_loop") == 0)
                snprintf(out, cap, "%s%s leads back to a name already being evaluated", term, name);
        else if (strcmp(code, "too_many_lookups") == 0)
                snprintf(out, cap,
                         "evaluating the record takes %u DNS-querying terms, over the limit "
                         "of %d",
                         d->dns_lookups, SPF_LOOKUP_LIMIT);
        else if (strcmp(code, "too_many_void_lookups") == 0)
                snprintf(out, cap,
                         "%u lookups found no records (NXDOMAIN or no data), over the limit "
                         "of %d; the last was %s",
                         d->void_lookups, SPF_VOID_LIMIT, name);
        else if (strcmp(code, "too_many_mx") == 0)
                snprintf(out, cap, "%s has %u MX records; an mx mechanism may use %d at most", name,
                         n->answers, SPF_MX_NAMES_LIMIT);
        else if (strcmp(code, "dns_error") == 0)
                snprintf(out, cap, "%s %s could not be resolved (%s): a temperror", name,
                         qtype_name((enum spf_kind)n->kind), lookup_status_name(n->status));
        else if (strcmp(code, "include_pass_all") == 0)
                snprintf(out, cap,
                         "the record at %s ends in +all, so every sender matches the include "
                         "and passes",
                         name);
        else if (strcmp(code, "budget_exceeded") == 0)
                snprintf(out, cap,
                         "the parsed SPF records outgrew the domain's %zu KiB budget: terms, "
                         "lookup targets or issues of a record are missing",
                         d->budget >> 10);
        else if (strcmp(code, "pass_all_mechanism") == 0 ||
                 strcmp(code, "neutral_all_mechanism") == 0)
                everyone_message(n, code[0] == 'p' ? "passes" : "is neutral", name, out, cap);
        else
                snprintf(out, cap, "the SPF record at %s has the warning %s", name, code);
}

static void record_issues(struct jw *w, const struct spf_eval *d, bool errors, bool detail)
{
        if (!d->parsed)
                return;
        const struct spf_issue *list = errors ? d->rec.errors : d->rec.warnings;
        unsigned n = errors ? d->rec.error_count : d->rec.warning_count;
        for (unsigned i = 0; i < n; i++)
                jw_issue(w, detail, list[i].code, list[i].msg, "term",
                         list[i].term >= 0 ? list[i].text : NULL);
}

static void issues(struct jw *w, const char *key, size_t klen, const struct spf_eval *d,
                   const char *domain, bool errors, bool detail)
{
        char name[DS_NAME_MAX_TEXT + 1], msg[400];
        name[0] = msg[0] = 0; /* filled for detail only */
        jw_arr_open_k(w, key, klen);
        record_issues(w, d, errors, detail);
        for (unsigned i = 0; i < d->nissues; i++) {
                const struct spf_tree_issue *is = &d->issues[i];
                if (is->error != errors)
                        continue;
                if (detail) {
                        name_of(d, domain, is->node, name);
                        message(d, is, name, msg, sizeof(msg));
                }
                jw_issue(w, detail, is->code, msg, "name", is->node >= 0 ? name : NULL);
        }
        jw_arr_close(w);
}

/* Beside each code of errors (or warnings), what it is about: the domain record's term as
 * written (record codes about one term), the name concerned (tree codes about one name),
 * else null. Written only when one code has a term or a name. */
static void issue_terms(struct jw *w, const char *key, size_t klen, const struct spf_eval *d,
                        const char *domain, bool errors)
{
        char name[DS_NAME_MAX_TEXT + 1];
        const struct spf_issue *list = errors ? d->rec.errors : d->rec.warnings;
        unsigned n = d->parsed ? (errors ? d->rec.error_count : d->rec.warning_count) : 0;
        unsigned with = 0;
        for (unsigned i = 0; i < n; i++)
                with += list[i].term >= 0;
        for (unsigned i = 0; i < d->nissues; i++)
                with += d->issues[i].error == errors && d->issues[i].node >= 0;
        if (!with)
                return;
        jw_arr_open_k(w, key, klen);
        for (unsigned i = 0; i < n; i++)
                jw_cstr(w, NULL, list[i].term >= 0 ? list[i].text : NULL);
        for (unsigned i = 0; i < d->nissues; i++) {
                const struct spf_tree_issue *is = &d->issues[i];
                if (is->error != errors)
                        continue;
                name_of(d, domain, is->node, name);
                jw_cstr(w, NULL, is->node >= 0 ? name : NULL);
        }
        jw_arr_close(w);
}

/* The include and redirect targets asked, in evaluation order. */
static void includes(struct jw *w, const struct spf_eval *d, const char *domain)
{
        char name[DS_NAME_MAX_TEXT + 1], parent[DS_NAME_MAX_TEXT + 1];
        jw_arr_open(w, "includes");
        for (unsigned order = 0; order < d->nnodes; order++)
                for (unsigned k = 1; k < d->nnodes; k++) {
                        const struct spf_node *n = &d->nodes[k];
                        if (n->order != order || n->status == LOOKUP_PENDING ||
                            (n->kind != SPF_INCLUDE && n->kind != SPF_REDIRECT))
                                continue;
                        name_of(d, domain, (int)k, name);
                        name_of(d, domain, n->parent, parent);
                        jw_obj_open(w, NULL);
                        jw_cstr(w, "name", name);
                        jw_cstr(w, "kind", spf_kind_name((enum spf_kind)n->kind));
                        jw_cstr(w, "parent", parent);
                        jw_uint(w, "depth", n->depth);
                        jw_cstr(w, "status", lookup_status_name(n->status));
                        jw_cstr(w, "result",
                                lookup_failed(n->status)
                                    ? NULL
                                    : spf_result_name((enum spf_result)n->result));
                        jw_obj_close(w);
                }
        jw_arr_close(w);
}

static void records(struct jw *w, const struct spf_eval *d)
{
        jw_arr_open(w, "records");
        for (uint32_t off = 0; off + 2 <= d->held_len;) {
                uint16_t n;
                memcpy(&n, d->held_text + off, sizeof(n));
                jw_str(w, NULL, d->held_text + off + 2, n);
                off += 2u + n;
        }
        jw_arr_close(w);
}

void spf_line_write(struct jw *w, const struct spf_eval *d, const char *domain, bool details)
{
        jw_obj_open(w, "spf");
        jw_cstr(w, "status", lookup_status_name(d->status));
        records(w, d);
        if (d->result == SPF_RESULT_TEMPERROR)
                jw_null(w, "valid");
        else
                jw_bool(w, "valid", d->result == SPF_RESULT_OK);
        jw_cstr(w, "result", spf_result_name(d->result));
        jw_cstr(w, "all", d->all_known ? spf_all_name(d->all) : NULL);
        if (d->all_known)
                jw_bool(w, "permissive", d->permissive);
        else
                jw_null(w, "permissive");
        jw_cstr(w, "redirect",
                d->parsed && d->rec.valid && d->rec.redirect_applies ? d->rec.redirect : NULL);
        jw_uint(w, "dns_lookups", d->dns_lookups);
        jw_uint(w, "void_lookups", d->void_lookups);
        includes(w, d, domain);
        issues(w, JW_KEY("errors"), d, domain, true, false);
        issues(w, JW_KEY("warnings"), d, domain, false, false);
        issue_terms(w, JW_KEY("errors_at"), d, domain, true);
        issue_terms(w, JW_KEY("warnings_at"), d, domain, false);
        if (details) {
                issues(w, JW_KEY("errors_detail"), d, domain, true, true);
                issues(w, JW_KEY("warnings_detail"), d, domain, false, true);
        }
        jw_uint(w, "other_txt", d->other_txt);
        jw_uint(w, "attempts", d->attempts);
        jw_obj_close(w);
}
