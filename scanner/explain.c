/* explain.c -- `dmarcscan explain`: the documented codes (codes.h) printed for a reader. */
#include "scanner/explain.h"

#include <stdbool.h>
#include <string.h>

#include "scanner/codes.h"

#define WRAP_WIDTH 78

void explain_usage(FILE *out)
{
        fputs("usage: dmarcscan explain [CODE...]\n"
              "\n"
              "Prints what each error, warning or reason CODE of the output means, for every\n"
              "place it is used (the object and list, e.g. spf.errors); with no CODE, every\n"
              "code. Exit status: 0, or 2 when a CODE is unknown.\n",
              out);
}

/* text, words wrapped at WRAP_WIDTH, each line indented. */
static void wrapped(FILE *out, const char *text, int indent)
{
        int col = 0;
        while (*text) {
                size_t n = strcspn(text, " ");
                if (col && col + 1 + (int)n > WRAP_WIDTH) {
                        fputc('\n', out);
                        col = 0;
                }
                if (!col)
                        col = fprintf(out, "%*s", indent, "");
                else
                        col += fprintf(out, " ");
                col += fprintf(out, "%.*s", (int)n, text);
                text += n;
                text += strspn(text, " ");
        }
        fputc('\n', out);
}

static void entry(FILE *out, const struct code_doc *d)
{
        bool listed = strcmp(d->kind, "error") == 0 || strcmp(d->kind, "warning") == 0;
        fprintf(out, "  %s%s%s (%s):\n", d->where, listed ? ", " : "", listed ? d->kind : "",
                d->field);
        wrapped(out, d->text, 4);
}

/* Every entry of code; false when it has none. */
static bool explain_code(FILE *out, const char *code)
{
        bool any = false;
        for (const struct code_doc *d = code_docs; d->code; d++) {
                if (strcmp(d->code, code) != 0)
                        continue;
                if (!any)
                        fprintf(out, "%s\n", code);
                any = true;
                entry(out, d);
        }
        return any;
}

static void explain_all(FILE *out)
{
        for (const struct code_doc *d = code_docs; d->code; d++) {
                if (code_doc_find(d->code, NULL, NULL) != d)
                        continue; /* printed with its first entry */
                if (d != code_docs)
                        fputc('\n', out);
                explain_code(out, d->code);
        }
}

int explain_main(int argc, char **argv, FILE *out, FILE *err)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        explain_usage(out);
                        return 0;
                }
                if (argv[i][0] == '-') {
                        fprintf(err, "dmarcscan explain: %s is not an option\n", argv[i]);
                        explain_usage(err);
                        return 2;
                }
        }
        if (argc < 2) {
                explain_all(out);
                return 0;
        }
        int status = 0;
        bool printed = false;
        for (int i = 1; i < argc; i++) {
                if (code_doc_find(argv[i], NULL, NULL)) {
                        if (printed)
                                fputc('\n', out);
                        printed = explain_code(out, argv[i]);
                        continue;
                }
                fprintf(err,
                        "dmarcscan explain: unknown code '%s' (`dmarcscan explain` lists every "
                        "code)\n",
                        argv[i]);
                status = 2;
        }
        return status;
}
