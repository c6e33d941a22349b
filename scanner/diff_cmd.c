/* diff_cmd.c -- `dmarcscan diff [-o FILE] [--table FILE] [--memory SIZE] OLD NEW`. */
#include "scanner/diff_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scanner/diff/join.h"
#include "scanner/lines.h"
#include "scanner/diff/side.h"
#include "scanner/diff/sumdiff.h"

#define DIFF_MEMORY_DEFAULT (256ull << 20)
#define DIFF_MEMORY_MIN     (8ull << 20)
#define DIFF_ARENA_MAX      (3ull << 30) /* the sort's offsets are 32-bit */
/* A summary is small; anything this long is not one. */
#define SUMMARY_MAX (256u << 20)

void diff_usage(FILE *out)
{
        fputs("usage: dmarcscan diff [OPTIONS] OLD NEW\n"
              "\n"
              "Compares two scans domain by domain. OLD and NEW are scan outputs (NDJSON,\n"
              "plain, .zst or .gz) or both --summary files. For scan outputs: one NDJSON\n"
              "line per domain that changed (posture up or down, DMARC record added or\n"
              "removed, enforcement, SPF all, spoofable, report receivers) or is in one\n"
              "scan only (added, removed), in domain order; and the movement as a table\n"
              "(\"312 domains moved from posture none to reject\"). Outputs are sorted on\n"
              "disk in bounded memory (temporary files in $TMPDIR, removed however the\n"
              "command ends). For summaries: one line per rate or count of the whole scan\n"
              "and of each TLD, rank bucket and sector, before and after (docs/output.md,\n"
              "\"Diff\").\n"
              "\n"
              "  -o, --output FILE   the NDJSON lines (default: stdout)\n"
              "      --table FILE    the movement table (default: stderr)\n"
              "      --memory SIZE   memory for sorting, both scans together, in bytes\n"
              "                      or with K, M, G (default 256M, at least 8M)\n"
              "  -h, --help          print this help and exit\n"
              "\n"
              "Exit status: 0 done, 1 failure (an input unreadable or of the wrong kind,\n"
              "a file not writable), 2 usage error.\n",
              out);
}

static int parse_size(const char *s, unsigned long long *out)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || s[0] == '-')
                return -EINVAL;
        unsigned shift = 0;
        if (*end == 'K' || *end == 'k')
                shift = 10;
        else if (*end == 'M' || *end == 'm')
                shift = 20;
        else if (*end == 'G' || *end == 'g')
                shift = 30;
        if (shift)
                end++;
        if (*end || v > (1ull << 40) >> shift)
                return -EINVAL;
        *out = v << shift;
        return 0;
}

enum input_kind { KIND_LINES, KIND_SUMMARY };

/* The whole file as one JSON value (a summary): NULL after saying why. */
static json_t *load_summary(const char *path)
{
        struct lines *in;
        char err[512];
        if (lines_open(&in, path, err, sizeof err) < 0) {
                fprintf(stderr, "dmarcscan diff: %s\n", err);
                return NULL;
        }
        char *text = NULL;
        size_t len = 0, cap = 0;
        const char *line;
        size_t n;
        int rc;
        while ((rc = lines_next(in, &line, &n)) > 0 && len + n + 1 <= SUMMARY_MAX) {
                if (len + n + 1 > cap) {
                        cap = 2 * (len + n + 1);
                        char *grown = realloc(text, cap);
                        if (!grown) {
                                rc = -ENOMEM;
                                break;
                        }
                        text = grown;
                }
                memcpy(text + len, line, n);
                len += n;
                text[len++] = '\n';
        }
        json_t *v = NULL;
        json_error_t e;
        if (rc < 0)
                fprintf(stderr, "dmarcscan diff: %s: %s\n", path,
                        rc == -ENOMEM ? "out of memory" : lines_error(in));
        else if (!(v = json_loadb(text ? text : "", len, 0, &e)))
                fprintf(stderr, "dmarcscan diff: %s: neither scan lines nor a summary: %d: %s\n",
                        path, e.line, e.text);
        free(text);
        lines_close(in);
        return v;
}

/* Scan lines when the first non-empty line is an object with a "domain"; else a summary. */
static int kind_of(const char *path, enum input_kind *kind)
{
        struct lines *in;
        char err[512];
        if (lines_open(&in, path, err, sizeof err) < 0) {
                fprintf(stderr, "dmarcscan diff: %s\n", err);
                return -1;
        }
        const char *line;
        size_t n = 0;
        int rc;
        while ((rc = lines_next(in, &line, &n)) > 0 && n == 0)
                ;
        *kind = KIND_SUMMARY;
        if (rc > 0) {
                json_t *o = json_loadb(line, n, 0, NULL);
                if (json_is_object(o) && json_object_get(o, "domain"))
                        *kind = KIND_LINES;
                json_decref(o);
        } else if (rc == 0) {
                *kind = KIND_LINES; /* an empty scan */
        } else {
                fprintf(stderr, "dmarcscan diff: %s: %s\n", path, lines_error(in));
        }
        lines_close(in);
        return rc < 0 ? -1 : 0;
}

static FILE *open_out(const char *path, FILE *dflt)
{
        if (!path || strcmp(path, "-") == 0)
                return dflt;
        FILE *f = fopen(path, "w");
        if (!f)
                fprintf(stderr, "dmarcscan diff: cannot write %s: %m\n", path);
        return f;
}

static int close_out(FILE *f, const char *path)
{
        int rc = fflush(f) == 0 && !ferror(f) ? 0 : -1;
        if (path && strcmp(path, "-") != 0 && fclose(f) != 0)
                rc = -1;
        if (rc < 0)
                fprintf(stderr, "dmarcscan diff: cannot write %s: %m\n", path ? path : "stdout");
        return rc;
}

struct diff_opts {
        const char *old, *new, *output, *table;
        unsigned long long memory;
};

static int diff_summaries(const struct diff_opts *o, FILE *out, FILE *table)
{
        json_t *a = load_summary(o->old), *b = a ? load_summary(o->new) : NULL;
        char err[512];
        int rc = -1;
        if (a && b && (rc = sumdiff(a, b, out, table, err, sizeof err)) == -EINVAL)
                fprintf(stderr, "dmarcscan diff: %s\n", err);
        json_decref(a);
        json_decref(b);
        return rc < 0 ? 1 : 0;
}

/* Both scans read and sorted at once, one thread each, then joined. */
static int diff_scans(const struct diff_opts *o, FILE *out, FILE *table)
{
        /* Each side's arena is 3/8 of the budget: while both are merged, the rest holds the
         * read and run buffers and the JSON of a line. */
        unsigned long long arena = o->memory / 8 * 3;
        if (arena > DIFF_ARENA_MAX)
                arena = DIFF_ARENA_MAX;
        struct diff_side s[2] = {{.arena = (size_t)arena, .stats.path = o->old},
                                 {.arena = (size_t)arena, .stats.path = o->new}};
        pthread_t th;
        bool threaded = pthread_create(&th, NULL, diff_side_read, &s[1]) == 0;
        diff_side_read(&s[0]);
        if (threaded)
                pthread_join(th, NULL);
        else
                diff_side_read(&s[1]);
        int status = 0;
        for (int i = 0; i < 2; i++)
                if (s[i].rc < 0) {
                        fprintf(stderr, "dmarcscan diff: %s\n", s[i].err);
                        status = 1;
                }
        struct diff_tally t = {0};
        if (status == 0) {
                int rc = diff_join(s[0].sort, s[1].sort, &s[0].stats, &s[1].stats, &t, out);
                if (rc < 0) {
                        fprintf(stderr, "dmarcscan diff: %s\n", strerror(-rc));
                        status = 1;
                }
        }
        if (status == 0 && table)
                diff_tally_print(&t, &s[0].stats, &s[1].stats, table);
        extsort_close(s[0].sort);
        extsort_close(s[1].sort);
        return status;
}

static int run(const struct diff_opts *o)
{
        enum input_kind ka, kb;
        if (kind_of(o->old, &ka) < 0 || kind_of(o->new, &kb) < 0)
                return 1;
        if (ka != kb) {
                fprintf(stderr, "dmarcscan diff: %s is %s, %s is %s: give two of a kind\n", o->old,
                        ka == KIND_LINES ? "a scan output" : "a summary", o->new,
                        kb == KIND_LINES ? "a scan output" : "a summary");
                return 1;
        }
        FILE *out = open_out(o->output, stdout);
        FILE *table = out ? open_out(o->table, stderr) : NULL;
        if (!out || !table) {
                if (out && out != stdout)
                        fclose(out);
                return 1;
        }
        int status = ka == KIND_LINES ? diff_scans(o, out, table) : diff_summaries(o, out, table);
        if (close_out(out, o->output) < 0)
                status = 1;
        if (table != stderr && close_out(table, o->table) < 0)
                status = 1;
        return status;
}

int diff_cmd(int argc, char **argv)
{
        static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                                 {"table", required_argument, NULL, 't'},
                                                 {"memory", required_argument, NULL, 'm'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        struct diff_opts o = {.memory = DIFF_MEMORY_DEFAULT};
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:o:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'h':
                        diff_usage(stdout);
                        return 0;
                case 'o':
                        o.output = optarg;
                        break;
                case 't':
                        o.table = optarg;
                        break;
                case 'm':
                        if (parse_size(optarg, &o.memory) < 0 || o.memory < DIFF_MEMORY_MIN) {
                                fprintf(stderr,
                                        "dmarcscan diff: --memory: '%s' is not a size of at "
                                        "least 8M\n",
                                        optarg);
                                return 2;
                        }
                        break;
                default:
                        fprintf(stderr, "dmarcscan diff: %s %s (see dmarcscan diff --help)\n",
                                argv[optind - 1], c == ':' ? "needs a value" : "is not an option");
                        return 2;
                }
        }
        if (argc - optind != 2) {
                fprintf(stderr, "dmarcscan diff: give two files, OLD and NEW\n");
                diff_usage(stderr);
                return 2;
        }
        o.old = argv[optind];
        o.new = argv[optind + 1];
        return run(&o);
}
