/* cli.h -- command line -> struct scan_config.
 * Contract: cli_parse_scan() validates every option (ranges, formats) and fills defaults
 * from dns/limits.h; on a usage error it returns -EINVAL with a message naming the option.
 * The config is read-only once the scan starts (counters live elsewhere). */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scanner/check.h"
#include "scanner/dmarc/discovery.h"
#include "scanner/input.h"
#include "scanner/profile/profile.h"
#include "scanner/shard.h"

/* Checkpoints (--resume) every 5 s: at most that much work is redone after a crash, for a
 * fsync and a small file written that often. */
#define DS_CHECKPOINT_MS_DEFAULT 5000

/* MTA-STS policy fetches (--mta-sts-policy): HTTPS transfers at once, and the time one
 * may take. Few domains publish MTA-STS, and a slow policy server holds its domain's job
 * only: 64 keeps the loop's sockets modest; 10 s is what a patient sender waits. */
#define DS_MTA_STS_FETCHES_DEFAULT    64
#define DS_MTA_STS_TIMEOUT_MS_DEFAULT 10000

/* The metadata file written beside -o FILE unless --metadata or --no-metadata says else. */
#define DS_METADATA_SUFFIX ".meta.json"

struct scan_config {
        const char **inputs; /* "-" is stdin */
        unsigned ninputs;
        const char *resolvers;   /* -r value; NULL: /etc/resolv.conf */
        const char *resolv_conf; /* path used when resolvers is NULL */
        const char *output;      /* NULL or "-": stdout */
        const char *metadata;    /* run metadata JSON; NULL: none */
        char *metadata_default;  /* owned: OUTPUT.meta.json when metadata defaulted to it */
        bool no_metadata;        /* --no-metadata */
        const char *summary;     /* --summary JSON; NULL: none */
        int argc;                /* the command line from "scan" on, for the summary */
        char *const *argv;
        unsigned concurrency, timeout_ms, retries, threads, sockets;
        unsigned deadline_ms; /* per-domain budget for retries; 0: none */
        double rate_qps;      /* all queries; 0: unlimited */
        double resolver_rate; /* per resolver; < 0: the default (DS_RESOLVER_RATE_DEFAULT off
                               * loopback, unlimited on it) */
        bool tcp, case_randomize, adaptive;
        bool gso;            /* UDP GSO sends where the kernel has them (not --no-gso) */
        const char *exclude; /* file of domain suffixes never queried */
        struct check_set checks;
        const char *dkim_selectors;    /* --dkim-selectors (checked); NULL: none */
        bool mta_sts_policy;           /* --mta-sts-policy */
        unsigned mta_sts_fetches;      /* --mta-sts-fetches: HTTPS transfers at once */
        unsigned mta_sts_timeout_ms;   /* --mta-sts-timeout */
        unsigned mta_sts_port;         /* --mta-sts-port */
        const char *ca_file;           /* --ca-file (readable); NULL: the system's store */
        struct profile_set profile;    /* --profile (it adds the checks it reads) */
        enum discovery_mode discovery; /* --discovery (default tree) */
        /* The receivers' NXDOMAIN cut applies: not --no-report-cut, the dmarc check runs,
         * discovery is not exact. */
        bool report_cut;
        const char *psl_file;     /* --psl-file; NULL: the distribution's list */
        const char *dnssec_probe; /* --dnssec-probe SIGNED,BOGUS (scanner/dnssec/probe.h) */
        struct input_config input;
        struct shard_spec shard; /* --shard / --seed; count 1 = the whole input */
        unsigned shard_from_env; /* --shard-from-env N; resolved into shard at parse time */
        bool quiet;
        bool details;           /* --details: the codes' sentences and the DMARC tags inline */
        bool resume;            /* --resume: continue from OUTPUT.checkpoint */
        unsigned checkpoint_ms; /* --checkpoint-interval */
};

enum cli_result { CLI_RUN = 0, CLI_EXIT_OK = 1 };

/* argv[0] is "scan". Returns CLI_RUN, CLI_EXIT_OK (help printed), or -EINVAL. */
int cli_parse_scan(int argc, char **argv, struct scan_config *cfg, char *err, size_t errlen);
void cli_free(struct scan_config *cfg);

void cli_usage_main(FILE *out);
void cli_usage_scan(FILE *out);

#endif
