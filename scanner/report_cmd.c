/* report_cmd.c -- `dmarcscan report [-o FILE] [--format F] INPUT...`: options, inputs in,
 * the rendered report out. */
#include "scanner/report_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

#include "output/meta.h"
#include "output/report.h"
#include "scanner/report/load.h"

void report_usage(FILE *out)
{
        fputs("usage: dmarcscan report [-o FILE] [--format text|markdown|html|json] INPUT...\n"
              "\n"
              "Reports on a scan: the adoption funnel, the DMARC posture overall and by\n"
              "sector, rank bucket and top-level domain, reporting, SPF and MX rates, the top\n"
              "report receivers, DNS outcomes and the scan's settings; every share with its\n"
              "95% Wilson interval. INPUT is --summary files (several: the shards of one scan,\n"
              "added as dmarcscan merge does) or the scan's NDJSON output (.ndjson or\n"
              ".ndjson.zst; several: counted together), counted by the scan's own code.\n"
              "\n"
              "  -o, --output FILE   write the report to FILE, replaced atomically\n"
              "                      (default: stdout)\n"
              "  -f, --format F      text (default: tables for a terminal), markdown (pipe\n"
              "                      tables), html (one self-contained page: inline CSS and\n"
              "                      SVG charts, no script, nothing fetched), json (the\n"
              "                      summary reported on, as --summary writes it)\n"
              "  -h, --help          print this help and exit\n"
              "\n"
              "Exit status: 0 done, 1 failure (an input unreadable or neither a summary nor\n"
              "a scan's output, or the report not written), 2 usage error.\n",
              out);
}

enum format { FMT_TEXT, FMT_MARKDOWN, FMT_HTML, FMT_JSON };

static int write_out(const struct jbuf *b, const char *path)
{
        if (!path)
                return fwrite(b->p, 1, b->len, stdout) == b->len && fflush(stdout) == 0 ? 0 : -EIO;
        return meta_write_file(path, b);
}

/* The summary as one line of compact JSON. */
static void summary_json(struct jbuf *b, const json_t *sum)
{
        char *text = json_dumps(sum, JSON_COMPACT);
        if (!text)
                ds_oom("the summary's text", 0);
        jbuf_raw(b, text, strlen(text));
        jbuf_raw(b, "\n", 1);
        free(text);
}

static int run(char *const *paths, size_t n, enum format fmt, const char *out_path)
{
        json_t *sum = NULL;
        char err[1024] = "";
        struct report r;
        struct jbuf b;
        int status = 1;
        if (report_load((const char *const *)paths, n, &sum, err, sizeof(err)) < 0) {
                fprintf(stderr, "dmarcscan report: %s\n", err);
                return 1;
        }
        if (report_build(sum, &r) < 0) {
                fprintf(stderr, "dmarcscan report: not a summary: no statuses or totals\n");
                json_decref(sum);
                return 1;
        }
        jbuf_init(&b);
        if (fmt == FMT_JSON)
                summary_json(&b, sum);
        else if (fmt == FMT_HTML)
                report_html(&b, &r);
        else if (fmt == FMT_MARKDOWN)
                report_markdown(&b, &r);
        else
                report_text(&b, &r);
        int rc = write_out(&b, out_path);
        if (rc < 0)
                fprintf(stderr, "dmarcscan report: cannot write %s: %s\n",
                        out_path ? out_path : "stdout", strerror(-rc));
        else
                status = 0;
        jbuf_free(&b);
        report_free(&r);
        json_decref(sum);
        return status;
}

static int format_of(const char *name, enum format *fmt)
{
        static const char *const names[] = {"text", "markdown", "html", "json"};
        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(name, names[i]) == 0) {
                        *fmt = (enum format)i;
                        return 0;
                }
        return -EINVAL;
}

int report_cmd(int argc, char **argv)
{
        static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                                 {"format", required_argument, NULL, 'f'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        const char *out_path = NULL;
        enum format fmt = FMT_TEXT;
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:o:f:h", longopts, NULL)) != -1) {
                if (c == 'h') {
                        report_usage(stdout);
                        return 0;
                }
                if (c == 'o') {
                        out_path = strcmp(optarg, "-") == 0 ? NULL : optarg;
                } else if (c == 'f' && format_of(optarg, &fmt) == 0) {
                        continue;
                } else {
                        if (c == 'f')
                                fprintf(stderr,
                                        "dmarcscan report: --format %s: must be text, "
                                        "markdown, html or json\n",
                                        optarg);
                        else
                                fprintf(stderr,
                                        "dmarcscan report: %s %s (see dmarcscan report --help)\n",
                                        argv[optind - 1],
                                        c == ':' ? "needs a value" : "is not an option");
                        return 2;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "dmarcscan report: no INPUT given\n");
                report_usage(stderr);
                return 2;
        }
        return run(argv + optind, (size_t)(argc - optind), fmt, out_path);
}
