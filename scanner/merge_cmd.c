/* merge_cmd.c -- `dmarcscan merge [-o FILE] SUMMARY...`: options, files in, file out. */
#include "scanner/merge_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "output/meta.h"
#include "scanner/summary_merge.h"

void merge_usage(FILE *out)
{
        fputs("usage: dmarcscan merge [-o FILE] SUMMARY...\n"
              "\n"
              "Adds the --summary files of the shards of one scan (--shard I/N) into one\n"
              "summary of the same shape: counts add, groups merge by name, the report\n"
              "receivers' tables merge, started is the earliest, ended the latest. Refuses\n"
              "files that are not shards of one scan (other checks, profile, discovery, PSL,\n"
              "timeout, retries, version, inputs, shard count or seed, a shard twice),\n"
              "naming the file, the field and both values.\n"
              "\n"
              "  -o, --output FILE   the merged summary, replaced atomically (default: stdout)\n"
              "  -h, --help          print this help and exit\n"
              "\n"
              "Exit status: 0 done, 1 failure (a file unreadable or not mergeable),\n"
              "2 usage error.\n",
              out);
}

/* Every file parsed into in[]; 0, or -1 after saying which could not be. */
static int load(char *const *paths, size_t n, json_t **in)
{
        for (size_t i = 0; i < n; i++) {
                json_error_t e;
                in[i] = json_load_file(paths[i], JSON_REJECT_DUPLICATES, &e);
                if (!in[i]) {
                        fprintf(stderr, "dmarcscan merge: %s:%d: %s\n", paths[i], e.line, e.text);
                        return -1;
                }
        }
        return 0;
}

/* To path atomically, or to stdout when path is NULL. 0 or -errno. */
static int store(const json_t *out, const char *path)
{
        char *text = json_dumps(out, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        int rc = 0;
        if (!path) {
                if (puts(text) == EOF || fflush(stdout) == EOF)
                        rc = -EIO;
        } else {
                struct jbuf b;
                jbuf_init(&b);
                jbuf_raw(&b, text, strlen(text));
                jbuf_raw(&b, "\n", 1);
                rc = meta_write_file(path, &b);
                jbuf_free(&b);
        }
        free(text);
        return rc;
}

static int merge_files(char *const *paths, size_t n, const char *out_path)
{
        json_t **in = calloc(n, sizeof(*in)), *out = NULL;
        char err[1024] = "";
        int status = 1;
        if (!in) {
                fprintf(stderr, "dmarcscan merge: out of memory\n");
                return 1;
        }
        if (load(paths, n, in) == 0) {
                if (summary_merge_json(in, (const char *const *)paths, n, &out, err, sizeof(err)) <
                    0)
                        fprintf(stderr, "dmarcscan merge: %s\n", err);
                else if (store(out, out_path) < 0)
                        fprintf(stderr, "dmarcscan merge: cannot write %s: %m\n",
                                out_path ? out_path : "stdout");
                else
                        status = 0;
        }
        json_decref(out);
        for (size_t i = 0; i < n; i++)
                json_decref(in[i]);
        free(in);
        return status;
}

int merge_cmd(int argc, char **argv)
{
        static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        const char *out_path = NULL;
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:o:h", longopts, NULL)) != -1) {
                if (c == 'h') {
                        merge_usage(stdout);
                        return 0;
                }
                if (c != 'o') {
                        fprintf(stderr, "dmarcscan merge: %s %s (see dmarcscan merge --help)\n",
                                argv[optind - 1], c == ':' ? "needs a value" : "is not an option");
                        return 2;
                }
                out_path = strcmp(optarg, "-") == 0 ? NULL : optarg;
        }
        if (optind >= argc) {
                fprintf(stderr, "dmarcscan merge: no SUMMARY file given\n");
                merge_usage(stderr);
                return 2;
        }
        return merge_files(argv + optind, (size_t)(argc - optind), out_path);
}
