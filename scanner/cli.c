/* cli.c -- option parsing and validation for `dmarcscan scan`. */
#include "scanner/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/limits.h"
#include "scanner/dnssec/probe.h"
#include "scanner/dkim/selectors.h"
#include "scanner/limits.h"

void cli_usage_main(FILE *out)
{
        fputs("dmarcscan " DS_VERSION " -- measure the DMARC posture of many domains\n"
              "\n"
              "usage: dmarcscan scan [OPTIONS] [INPUT...]\n"
              "       dmarcscan merge [-o FILE] SUMMARY...\n"
              "       dmarcscan diff [-o FILE] [--table FILE] [--memory SIZE] OLD NEW\n"
              "       dmarcscan report [-o FILE] [--format text|markdown|html] INPUT...\n"
              "       dmarcscan explain [CODE...]\n"
              "       dmarcscan --version | --help | help scan | help merge | help diff |\n"
              "                 help report | help explain\n"
              "\n"
              "Run `dmarcscan scan --help` for the scan options, `dmarcscan merge --help`\n"
              "for adding the summaries of a sharded scan, `dmarcscan diff --help` for\n"
              "comparing two scans, `dmarcscan report --help` for tables and an HTML page of\n"
              "a summary or of the output; `dmarcscan explain CODE` says what an error,\n"
              "warning or reason code of the output means.\n",
              out);
}

void cli_usage_scan(FILE *out)
{
        fprintf(
            out,
            "usage: dmarcscan scan [OPTIONS] [INPUT...]\n"
            "\n"
            "Looks up the DMARC policy record of every domain in INPUT (paths, or - for\n"
            "stdin, the default) and writes one NDJSON line per input line.\n"
            "Input: a plain list, `rank,domain` CSV (Tranco, Umbrella) or a CSV with a header;\n"
            "gzip or zstd compressed input is recognised from its content.\n"
            "\n"
            "Where to ask\n"
            "  -r, --resolvers LIST|@FILE  IP[:PORT] or [IPv6]:PORT, comma-separated, or a\n"
            "                              file with one per line (# comments).\n"
            "                              Default: the nameservers in /etc/resolv.conf\n"
            "  -c, --concurrency N         domains in flight at most, all resolvers together\n"
            "                              (default %u; each runs its checks' lookups at\n"
            "                              once): the ceiling; each resolver's congestion\n"
            "                              window finds what it can take below it. Memory\n"
            "                              follows the domains in flight (about 5 KB each),\n"
            "                              not N\n"
            "      --timeout MS            per attempt (default %u)\n"
            "      --retries N             further attempts after a timeout, SERVFAIL or\n"
            "                              REFUSED, each on the next resolver (default %u)\n"
            "      --sockets N             UDP sockets per address family (default %u)\n"
            "      --deadline MS           give up retrying a domain after this long\n"
            "                              (default 0: only --retries limits it)\n"
            "      --rate QPS              queries per second at most, all resolvers together\n"
            "                              (default 0: unlimited)\n"
            "      --resolver-rate QPS     queries per second at most per resolver (0:\n"
            "                              unlimited). Default: %u for resolvers off loopback\n"
            "                              (do not hammer public resolvers), unlimited for\n"
            "                              127.0.0.0/8 and ::1\n"
            "      --no-tcp                keep truncated (TC=1) answers instead of asking\n"
            "                              again over TCP\n"
            "      --0x20                  randomize the letter case of query names and\n"
            "                              drop answers that do not echo it (anti-spoofing)\n"
            "      --no-adapt              keep -c lookups in flight whatever the losses. By\n"
            "                              default each resolver gets a congestion window and\n"
            "                              pacing rate that shrink when its answers slow down\n"
            "                              or go missing and grow back on their own\n"
            "                              (docs/congestion.md); queries lost to congestion\n"
            "                              are sent again without using up --retries\n"
            "      --no-gso                send every query datagram on its own. By default\n"
            "                              a batch's queries of one length to one resolver\n"
            "                              leave in one segmented send (UDP GSO, Linux\n"
            "                              4.18+; each still a datagram of its own on the\n"
            "                              wire) where the kernel supports it\n"
            "      --exclude FILE          domains (and their subdomains) never to query, one\n"
            "                              per line: their lines say \"status\":\"EXCLUDED\"\n"
            "\n"
            "What to read\n"
            "      --format auto|list|rank|csv   input format (default auto)\n"
            "      --domain-column NAME|N  CSV column holding the domain (header name or\n"
            "                              1-based number)\n"
            "      --sector-column NAME|N  CSV column copied to \"sector\" in the output\n"
            "      --checks LIST           checks to run, comma-separated (default\n"
            "                              dmarc,spf,mx): dmarc (the DMARC policy), spf (SPF\n"
            "                              and its include tree, docs/spf.md), mx (mail\n"
            "                              exchangers, null MX), dnssec (whether a validating\n"
            "                              resolver vouched for the domain's answers: secure,\n"
            "                              insecure, bogus, unknown; docs/verdicts.md),\n"
            "                              mta-sts (_mta-sts record), tls-rpt (_smtp._tls\n"
            "                              record), bimi (default._bimi record and its DMARC\n"
            "                              prerequisite), dkim (_domainkey exists,\n"
            "                              docs/dkim.md); all: every one\n"
            "      --dnssec-probe SIGNED,BOGUS   with dnssec: a signed and a deliberately\n"
            "                              broken name asked first to tell whether the\n"
            "                              resolvers validate (default\n"
            "                              " DNSSEC_PROBE_DEFAULT "); when they do not,\n"
            "                              every line says \"dnssec\":\"unknown\"\n"
            "      --dkim-selectors LIST   DKIM selectors whose key records the dkim check\n"
            "                              reads (key type, key length, revoked), comma-\n"
            "                              separated, at most 8; enables the dkim check\n"
            "      --mta-sts-policy        also fetch each valid MTA-STS record's policy, as a\n"
            "                              sending MTA would: https://mta-sts.DOMAIN/.well-\n"
            "                              known/mta-sts.txt from the address the resolvers\n"
            "                              give, certificate checked, no redirects; its\n"
            "                              mode, max_age and mx patterns, matched against the\n"
            "                              domain's MX hosts; enables the mta-sts check\n"
            "      --mta-sts-fetches N     policy fetches at once (default %u)\n"
            "      --mta-sts-timeout MS    time for one fetch, connection to last byte\n"
            "                              (default %u)\n"
            "      --mta-sts-port N        TCP port of the policy servers (default 443; other\n"
            "                              ports are for test servers)\n"
            "      --ca-file FILE          trust anchors (PEM) for the policy servers'\n"
            "                              certificates instead of the system's store\n"
            "      --profile NAME          read each domain against a standard and add its\n"
            "                              verdict to the line: bod-18-01 (CISA BOD 18-01\n"
            "                              email rules: \"bod1801\": {compliant, unmet},\n"
            "                              docs/bod-18-01.md). Enables the checks it reads\n"
            "                              (dmarc, spf) when --checks does not list them\n"
            "      --discovery MODE        how the policy record is found (docs/verdicts.md):\n"
            "                              tree (default): RFC 9989 DNS tree walk, up to 8\n"
            "                              _dmarc names; rfc7489: _dmarc.<domain>, then the\n"
            "                              organizational domain by the Public Suffix List;\n"
            "                              exact: _dmarc.<domain> only, and no existence or\n"
            "                              report-authorization lookups (one lookup a domain)\n"
            "      --no-report-cut         ask every external receiver's\n"
            "                              <policy-domain>._report._dmarc.<host>. By default\n"
            "                              _report._dmarc.<host> is asked first (once per TTL\n"
            "                              for the scan) and its own NXDOMAIN (not a CNAME\n"
            "                              target's) answers \"not authorized\" for every\n"
            "                              domain (RFC 8020)\n"
            "      --psl-file FILE         Public Suffix List to use (.dat or .dafsa; default\n"
            "                              the system's, /usr/share/publicsuffix)\n"
            "\n"
            "Splitting a scan over machines (docs/sharding.md)\n"
            "      --shard I/N             scan only shard I (0..N-1) of N: a domain belongs to\n"
            "                              the shard hash(seed, name) mod N, whatever the input\n"
            "                              order, so N machines can read the same input\n"
            "      --seed S                the hash's seed (default 0; the same on every shard)\n"
            "      --shard-from-env N      --shard I/N with I from JOB_COMPLETION_INDEX\n"
            "                              (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID\n"
            "                              (less SLURM_ARRAY_TASK_MIN; Slurm job array)\n"
            "\n"
            "Output\n"
            "  -o, --output FILE           NDJSON; zstd-compressed when FILE ends in .zst\n"
            "                              (independent frames, readable while it grows);\n"
            "                              default stdout\n"
            "      --metadata FILE         write the run's metadata (configuration, counters,\n"
            "                              per-resolver figures, CPU time, what each code of\n"
            "                              the output means) as JSON. Default: OUTPUT.meta.json\n"
            "                              beside -o OUTPUT when that is a file; none for stdout\n"
            "      --no-metadata           write no metadata file\n"
            "      --summary FILE          write a summary of the lines as JSON when the scan\n"
            "                              ends (also when interrupted: then \"partial\"):\n"
            "                              statuses, posture, funnel, policy, reporting, SPF\n"
            "                              and MX rates as {n, total}, top report receivers,\n"
            "                              by TLD, rank bucket and sector (docs/output.md)\n"
            "      --details               also write each error and warning as an English\n"
            "                              sentence (errors_detail, warnings_detail) and the\n"
            "                              DMARC record's tags as written (tags); by default\n"
            "                              lines carry the codes only: `dmarcscan explain\n"
            "                              CODE` says what they mean\n"
            "      --resume                continue an interrupted scan (killed, crashed, disk\n"
            "                              full, Ctrl-C) from FILE.checkpoint: the finished\n"
            "                              output holds every input line exactly once. Needs\n"
            "                              the same inputs and the options that shape lines\n"
            "                              (--format, --*-column, --checks, --profile,\n"
            "                              --dkim-selectors, --mta-sts-policy,\n"
            "                              --discovery, --no-report-cut, --psl-file,\n"
            "                              --exclude, --no-tcp, --details); -c, -r, timeouts\n"
            "                              and rates may change.\n"
            "                              Without a checkpoint it starts from the beginning\n"
            "      --checkpoint-interval S seconds between checkpoints (default %g; decimals\n"
            "                              allowed). FILE.checkpoint is kept whenever -o FILE\n"
            "                              is a regular file and the inputs are files; a\n"
            "                              finished scan marks it complete\n"
            "  -j, --threads N             classifier threads (default: cores - 1, at least 1)\n"
            "  -q, --quiet                 no progress line (the closing line is still printed)\n"
            "  -h, --help                  this text\n"
            "\n"
            "Example:\n"
            "  dmarcscan scan -r 127.0.0.1:5353 -o results.ndjson.zst tranco.csv\n"
            "\n"
            "Exit status: 0 done, 1 failure (input, output or network), 2 usage error,\n"
            "130 interrupted (lines already written are complete; --resume continues).\n",
            DS_CONCURRENCY_DEFAULT, DS_TIMEOUT_MS_DEFAULT, DS_RETRIES_DEFAULT, DS_SOCKETS_DEFAULT,
            DS_RESOLVER_RATE_DEFAULT, DS_MTA_STS_FETCHES_DEFAULT, DS_MTA_STS_TIMEOUT_MS_DEFAULT,
            DS_CHECKPOINT_MS_DEFAULT / 1000.0);
}

static const char *env_lookup(const char *name)
{
        return getenv(name);
}

/* A trust-anchor file the fetches will read: said now, not at the first fetch. */
static int ca_file_check(const char *path, const char **out, char *err, size_t errlen)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                snprintf(err, errlen, "--ca-file: cannot read %s: %s", path, strerror(errno));
                return -EINVAL;
        }
        fclose(f);
        *out = path;
        return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out,
                      char *err, size_t errlen)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
                snprintf(err, errlen, "%s: '%s' is not a whole number from %u to %u", opt, s, lo,
                         hi);
                return -EINVAL;
        }
        *out = (unsigned)v;
        return 0;
}

static int parse_rate(const char *opt, const char *s, double *out, char *err, size_t errlen)
{
        unsigned v;
        int rc = parse_uint(opt, s, 0, 100000000, &v, err, errlen);
        if (rc == 0)
                *out = v;
        return rc;
}

/* Seconds with up to three decimals, into milliseconds. */
static int parse_seconds_ms(const char *opt, const char *s, unsigned lo_ms, unsigned hi_ms,
                            unsigned *out, char *err, size_t errlen)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !(v * 1000 >= lo_ms && v * 1000 <= hi_ms)) {
                snprintf(err, errlen, "%s: '%s' is not a number of seconds from %g to %g", opt, s,
                         lo_ms / 1000.0, hi_ms / 1000.0);
                return -EINVAL;
        }
        *out = (unsigned)(v * 1000 + 0.5);
        return 0;
}

static int parse_format(const char *s, enum input_format *f, char *err, size_t errlen)
{
        static const char *const names[] = {"auto", "list", "rank", "csv"};
        for (unsigned i = 0; i < 4; i++)
                if (strcmp(s, names[i]) == 0) {
                        *f = (enum input_format)i;
                        return 0;
                }
        snprintf(err, errlen, "--format: '%s' is not one of auto, list, rank, csv", s);
        return -EINVAL;
}

static unsigned default_threads(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 1 ? (unsigned)(n - 1) : 1u;
}

enum {
        OPT_TIMEOUT = 256,
        OPT_RETRIES,
        OPT_FORMAT,
        OPT_DOMAIN_COL,
        OPT_SECTOR_COL,
        OPT_CHECKS,
        OPT_DKIM_SELECTORS,
        OPT_PROFILE,
        OPT_SOCKETS,
        OPT_METADATA,
        OPT_DEADLINE,
        OPT_RATE,
        OPT_RESOLVER_RATE,
        OPT_NO_TCP,
        OPT_0X20,
        OPT_NO_ADAPT,
        OPT_NO_GSO,
        OPT_EXCLUDE,
        OPT_DISCOVERY,
        OPT_NO_REPORT_CUT,
        OPT_PSL_FILE,
        OPT_RESUME,
        OPT_CHECKPOINT_INTERVAL,
        OPT_SHARD,
        OPT_SEED,
        OPT_SHARD_FROM_ENV,
        OPT_SUMMARY,
        OPT_DETAILS,
        OPT_NO_METADATA,
        OPT_DNSSEC_PROBE,
        OPT_MTA_STS_POLICY,
        OPT_MTA_STS_FETCHES,
        OPT_MTA_STS_TIMEOUT,
        OPT_MTA_STS_PORT,
        OPT_CA_FILE
};

static const struct option scan_options[] = {
    {"resolvers", required_argument, NULL, 'r'},
    {"output", required_argument, NULL, 'o'},
    {"concurrency", required_argument, NULL, 'c'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"sockets", required_argument, NULL, OPT_SOCKETS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"domain-column", required_argument, NULL, OPT_DOMAIN_COL},
    {"sector-column", required_argument, NULL, OPT_SECTOR_COL},
    {"checks", required_argument, NULL, OPT_CHECKS},
    {"dkim-selectors", required_argument, NULL, OPT_DKIM_SELECTORS},
    {"mta-sts-policy", no_argument, NULL, OPT_MTA_STS_POLICY},
    {"mta-sts-fetches", required_argument, NULL, OPT_MTA_STS_FETCHES},
    {"mta-sts-timeout", required_argument, NULL, OPT_MTA_STS_TIMEOUT},
    {"mta-sts-port", required_argument, NULL, OPT_MTA_STS_PORT},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"metadata", required_argument, NULL, OPT_METADATA},
    {"no-metadata", no_argument, NULL, OPT_NO_METADATA},
    {"summary", required_argument, NULL, OPT_SUMMARY},
    {"details", no_argument, NULL, OPT_DETAILS},
    {"deadline", required_argument, NULL, OPT_DEADLINE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"resolver-rate", required_argument, NULL, OPT_RESOLVER_RATE},
    {"no-tcp", no_argument, NULL, OPT_NO_TCP},
    {"0x20", no_argument, NULL, OPT_0X20},
    {"no-adapt", no_argument, NULL, OPT_NO_ADAPT},
    {"no-gso", no_argument, NULL, OPT_NO_GSO},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"discovery", required_argument, NULL, OPT_DISCOVERY},
    {"no-report-cut", no_argument, NULL, OPT_NO_REPORT_CUT},
    {"psl-file", required_argument, NULL, OPT_PSL_FILE},
    {"dnssec-probe", required_argument, NULL, OPT_DNSSEC_PROBE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"shard-from-env", required_argument, NULL, OPT_SHARD_FROM_ENV},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"checkpoint-interval", required_argument, NULL, OPT_CHECKPOINT_INTERVAL},
    {"threads", required_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What an option names that can only be applied once every option is read. */
struct later {
        const char *profile; /* --profile: adds checks to the final --checks */
};

static int apply_option(int c, const char *arg, struct scan_config *cfg, struct later *later,
                        char *err, size_t errlen)
{
        switch (c) {
        case 'r':
                cfg->resolvers = arg;
                return 0;
        case 'o':
                cfg->output = arg;
                return 0;
        case OPT_METADATA:
                cfg->metadata = arg;
                return 0;
        case OPT_NO_METADATA:
                cfg->no_metadata = true;
                return 0;
        case OPT_SUMMARY:
                cfg->summary = arg;
                return 0;
        case OPT_DETAILS:
                cfg->details = true;
                return 0;
        case OPT_DEADLINE:
                return parse_uint("--deadline", arg, 0, 3600000, &cfg->deadline_ms, err, errlen);
        case OPT_RATE:
                return parse_rate("--rate", arg, &cfg->rate_qps, err, errlen);
        case OPT_RESOLVER_RATE:
                return parse_rate("--resolver-rate", arg, &cfg->resolver_rate, err, errlen);
        case OPT_NO_TCP:
                cfg->tcp = false;
                return 0;
        case OPT_NO_REPORT_CUT:
                cfg->report_cut = false;
                return 0;
        case OPT_0X20:
                cfg->case_randomize = true;
                return 0;
        case OPT_NO_ADAPT:
                cfg->adaptive = false;
                return 0;
        case OPT_NO_GSO:
                cfg->gso = false;
                return 0;
        case OPT_EXCLUDE:
                cfg->exclude = arg;
                return 0;
        case OPT_DISCOVERY:
                if (discovery_mode_parse(arg, &cfg->discovery) == 0)
                        return 0;
                snprintf(err, errlen, "--discovery: '%s' is not one of tree, rfc7489, exact", arg);
                return -EINVAL;
        case OPT_SHARD:
                return shard_parse(arg, &cfg->shard, err, errlen);
        case OPT_SEED: {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(arg, &end, 10);
                if (errno || end == arg || *end || arg[0] == '-') {
                        snprintf(err, errlen, "--seed: '%s' is not a whole number", arg);
                        return -EINVAL;
                }
                cfg->shard.seed = v;
                return 0;
        }
        case OPT_SHARD_FROM_ENV:
                return parse_uint("--shard-from-env", arg, 1, SHARD_COUNT_MAX, &cfg->shard_from_env,
                                  err, errlen);
        case OPT_PSL_FILE:
                cfg->psl_file = arg;
                return 0;
        case OPT_DNSSEC_PROBE: {
                struct dnssec_probe p;
                char why[200];
                if (dnssec_probe_init(&p, arg, why, sizeof(why)) == 0) {
                        cfg->dnssec_probe = arg;
                        return 0;
                }
                snprintf(err, errlen, "--dnssec-probe: %s", why);
                return -EINVAL;
        }
        case 'c':
                return parse_uint("--concurrency", arg, 1, DS_CONCURRENCY_MAX, &cfg->concurrency,
                                  err, errlen);
        case OPT_TIMEOUT:
                return parse_uint("--timeout", arg, 10, 600000, &cfg->timeout_ms, err, errlen);
        case OPT_RETRIES:
                return parse_uint("--retries", arg, 0, 20, &cfg->retries, err, errlen);
        case OPT_SOCKETS:
                return parse_uint("--sockets", arg, 1, DS_SOCKETS_MAX / 2, &cfg->sockets, err,
                                  errlen);
        case OPT_FORMAT:
                return parse_format(arg, &cfg->input.format, err, errlen);
        case OPT_DOMAIN_COL:
                cfg->input.domain_column = arg;
                return 0;
        case OPT_SECTOR_COL:
                cfg->input.sector_column = arg;
                return 0;
        case OPT_CHECKS:
                return check_set_parse(&cfg->checks, arg, check_registry, err, errlen);
        case OPT_DKIM_SELECTORS:
                cfg->dkim_selectors = arg;
                return dkim_selectors_check(arg, err, errlen);
        case OPT_MTA_STS_POLICY:
                cfg->mta_sts_policy = true;
                return 0;
        case OPT_MTA_STS_FETCHES:
                return parse_uint("--mta-sts-fetches", arg, 1, 10000, &cfg->mta_sts_fetches, err,
                                  errlen);
        case OPT_MTA_STS_TIMEOUT:
                return parse_uint("--mta-sts-timeout", arg, 100, 600000, &cfg->mta_sts_timeout_ms,
                                  err, errlen);
        case OPT_MTA_STS_PORT:
                return parse_uint("--mta-sts-port", arg, 1, 65535, &cfg->mta_sts_port, err, errlen);
        case OPT_CA_FILE:
                return ca_file_check(arg, &cfg->ca_file, err, errlen);
        case OPT_PROFILE:
                later->profile = arg;
                return 0;
        case OPT_RESUME:
                cfg->resume = true;
                return 0;
        case OPT_CHECKPOINT_INTERVAL:
                return parse_seconds_ms("--checkpoint-interval", arg, 10, 86400000,
                                        &cfg->checkpoint_ms, err, errlen);
        case 'j':
                return parse_uint("--threads", arg, 1, DS_THREADS_MAX, &cfg->threads, err, errlen);
        case 'q':
                cfg->quiet = true;
                return 0;
        default:
                snprintf(err, errlen, "unknown option (see dmarcscan scan --help)");
                return -EINVAL;
        }
}

/* OUTPUT.meta.json beside -o OUTPUT, when OUTPUT is a file (not stdout, a device or a
 * pipe: /dev/null.meta.json would be written into /dev). */
static int default_metadata(struct scan_config *cfg)
{
        struct stat st;
        if (cfg->metadata || cfg->no_metadata || !cfg->output || strcmp(cfg->output, "-") == 0 ||
            (stat(cfg->output, &st) == 0 && !S_ISREG(st.st_mode)))
                return 0;
        size_t n = strlen(cfg->output) + sizeof(DS_METADATA_SUFFIX);
        cfg->metadata_default = malloc(n);
        if (!cfg->metadata_default)
                return -ENOMEM;
        snprintf(cfg->metadata_default, n, "%s" DS_METADATA_SUFFIX, cfg->output);
        cfg->metadata = cfg->metadata_default;
        return 0;
}

int cli_parse_scan(int argc, char **argv, struct scan_config *cfg, char *err, size_t errlen)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->argc = argc;
        cfg->argv = argv;
        cfg->concurrency = DS_CONCURRENCY_DEFAULT;
        cfg->timeout_ms = DS_TIMEOUT_MS_DEFAULT;
        cfg->retries = DS_RETRIES_DEFAULT;
        cfg->sockets = DS_SOCKETS_DEFAULT;
        cfg->threads = default_threads();
        if (check_set_parse(&cfg->checks, "dmarc,spf,mx", check_registry, err, errlen) < 0)
                return -EINVAL;
        cfg->discovery = DISCOVERY_TREE;
        cfg->resolver_rate = -1;
        cfg->tcp = true;
        cfg->report_cut = true;
        cfg->adaptive = true;
        cfg->gso = true;
        cfg->resolv_conf = "/etc/resolv.conf";
        cfg->shard.count = 1;
        cfg->checkpoint_ms = DS_CHECKPOINT_MS_DEFAULT;
        cfg->dnssec_probe = DNSSEC_PROBE_DEFAULT;
        cfg->mta_sts_fetches = DS_MTA_STS_FETCHES_DEFAULT;
        cfg->mta_sts_timeout_ms = DS_MTA_STS_TIMEOUT_MS_DEFAULT;
        cfg->mta_sts_port = 443;

        optind = 1;
        opterr = 0;
        struct later later = {0};
        int c;
        while ((c = getopt_long(argc, argv, ":r:o:c:j:qh", scan_options, NULL)) != -1) {
                if (c == 'h') {
                        cli_usage_scan(stdout);
                        return CLI_EXIT_OK;
                }
                if (c == '?' || c == ':') {
                        const char *what = argv[optind - 1];
                        snprintf(err, errlen, "%s %s (see dmarcscan scan --help)", what,
                                 c == ':' ? "needs a value" : "is not an option");
                        return -EINVAL;
                }
                int rc = apply_option(c, optarg, cfg, &later, err, errlen);
                if (rc < 0)
                        return rc;
        }
        /* A policy to fetch is a request for the mta-sts check. */
        if (cfg->mta_sts_policy &&
            check_set_add(&cfg->checks, "mta-sts", check_registry, err, errlen) < 0)
                return -EINVAL;
        /* Selectors to read are a request for the dkim check. */
        if (cfg->dkim_selectors &&
            check_set_add(&cfg->checks, "dkim", check_registry, err, errlen) < 0)
                return -EINVAL;
        if (later.profile && profile_select(&cfg->profile, later.profile, profile_registry,
                                            check_registry, &cfg->checks, err, errlen) < 0)
                return -EINVAL;
        /* What the run does, not what was asked: the cut applies only where receivers are
         * verified (so a checkpoint or summary of an SPF-only or exact scan says false). */
        cfg->report_cut = cfg->report_cut && cfg->discovery != DISCOVERY_EXACT &&
                          check_set_find(&cfg->checks, "dmarc") >= 0;
        if (cfg->shard_from_env) {
                if (cfg->shard.count > 1) {
                        snprintf(err, errlen, "--shard and --shard-from-env: give one of them");
                        return -EINVAL;
                }
                uint64_t seed = cfg->shard.seed;
                int rc = shard_from_env(cfg->shard_from_env, env_lookup, &cfg->shard, err, errlen);
                if (rc < 0)
                        return rc;
                cfg->shard.seed = seed;
        }
        /* Each domain in flight has up to one lookup per check in flight. */
        uint64_t lookups = (uint64_t)cfg->concurrency * cfg->checks.n;
        if (check_set_find(&cfg->checks, "dnssec") >= 0)
                lookups += DNSSEC_PROBES; /* asked before the first domain */
        if (lookups > (uint64_t)cfg->sockets * DS_LOOKUPS_PER_SOCKET) {
                snprintf(
                    err, errlen,
                    "--concurrency %u needs --sockets %u or more (each socket holds at most %u "
                    "lookups)",
                    cfg->concurrency,
                    (unsigned)((lookups + DS_LOOKUPS_PER_SOCKET - 1) / DS_LOOKUPS_PER_SOCKET),
                    DS_LOOKUPS_PER_SOCKET);
                return -EINVAL;
        }
        if (cfg->no_metadata && cfg->metadata) {
                snprintf(err, errlen, "--metadata and --no-metadata: give one of them");
                return -EINVAL;
        }
        if (default_metadata(cfg) < 0)
                return -ENOMEM;
        if (cfg->resume && (!cfg->output || strcmp(cfg->output, "-") == 0)) {
                snprintf(err, errlen,
                         "--resume needs -o FILE: output to stdout cannot be continued");
                return -EINVAL;
        }
        cfg->ninputs = (unsigned)(argc - optind);
        cfg->inputs = calloc(cfg->ninputs ? cfg->ninputs : 1, sizeof(*cfg->inputs));
        if (!cfg->inputs)
                return -ENOMEM;
        for (unsigned i = 0; i < cfg->ninputs; i++)
                cfg->inputs[i] = argv[optind + (int)i];
        if (cfg->ninputs == 0)
                cfg->inputs[cfg->ninputs++] = "-";
        for (unsigned i = 0; cfg->resume && i < cfg->ninputs; i++)
                if (strcmp(cfg->inputs[i], "-") == 0) {
                        snprintf(err, errlen,
                                 "--resume needs input files: stdin cannot be read again");
                        return -EINVAL;
                }
        if (cfg->ninputs > UINT16_MAX) {
                snprintf(err, errlen, "too many input files (at most %u)", UINT16_MAX);
                return -EINVAL;
        }
        return CLI_RUN;
}

void cli_free(struct scan_config *cfg)
{
        free(cfg->inputs);
        cfg->inputs = NULL;
        free(cfg->metadata_default);
        cfg->metadata_default = NULL;
}
