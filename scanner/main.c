/* main.c -- entry point: subcommands and exit codes. */
#include <stdio.h>
#include <string.h>

#include "dns/https.h"
#include "scanner/cli.h"
#include "scanner/diff_cmd.h"
#include "scanner/explain.h"
#include "scanner/merge_cmd.h"
#include "scanner/report_cmd.h"
#include "scanner/scan.h"

int main(int argc, char **argv)
{
        if (argc < 2) {
                cli_usage_main(stderr);
                return 2;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
                printf("dmarcscan %s\n", DS_VERSION);
                return 0;
        }
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
                cli_usage_main(stdout);
                return 0;
        }
        if (strcmp(cmd, "help") == 0) {
                if (argc > 2 && strcmp(argv[2], "scan") == 0)
                        cli_usage_scan(stdout);
                else if (argc > 2 && strcmp(argv[2], "merge") == 0)
                        merge_usage(stdout);
                else if (argc > 2 && strcmp(argv[2], "diff") == 0)
                        diff_usage(stdout);
                else if (argc > 2 && strcmp(argv[2], "report") == 0)
                        report_usage(stdout);
                else if (argc > 2 && strcmp(argv[2], "explain") == 0)
                        explain_usage(stdout);
                else
                        cli_usage_main(stdout);
                return 0;
        }
        if (strcmp(cmd, "merge") == 0)
                return merge_cmd(argc - 1, argv + 1);
        if (strcmp(cmd, "diff") == 0)
                return diff_cmd(argc - 1, argv + 1);
        if (strcmp(cmd, "report") == 0)
                return report_cmd(argc - 1, argv + 1);
        if (strcmp(cmd, "explain") == 0)
                return explain_main(argc - 1, argv + 1, stdout, stderr);
        if (strcmp(cmd, "scan") != 0) {
                fprintf(stderr, "dmarcscan: unknown command '%s'\n", cmd);
                cli_usage_main(stderr);
                return 2;
        }
        struct scan_config cfg;
        char err[512] = "";
        int rc = cli_parse_scan(argc - 1, argv + 1, &cfg, err, sizeof(err));
        if (rc == CLI_EXIT_OK) {
                cli_free(&cfg);
                return 0;
        }
        if (rc < 0) {
                fprintf(stderr, "dmarcscan scan: %s\n", err);
                cli_free(&cfg);
                return 2;
        }
        /* libcurl's global state, before any thread exists (its rule) */
        if (cfg.mta_sts_policy && https_global_init() < 0) {
                fprintf(stderr, "dmarcscan scan: cannot initialize libcurl\n");
                cli_free(&cfg);
                return 1;
        }
        int status = scan_run(&cfg);
        if (cfg.mta_sts_policy)
                https_global_cleanup();
        cli_free(&cfg);
        return status;
}
