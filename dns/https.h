/* https.h -- the loop thread's HTTPS GET transport (the MTA-STS policy fetch, RFC 8461 3.3):
 * libcurl's multi interface driven by the scan's libuv loop.
 * Contract: owns one curl multi handle, its sockets' uv_poll handles and one timer on a
 * loop it does not own; every function runs on the loop thread. https_get() fetches
 * https://HOST/PATH, connecting to the address the caller resolved (the scan's own
 * resolvers, never the system's) and checking the certificate against HOST (the system's
 * CA store, or cfg->ca_file). At most cfg->concurrency transfers run at once; the others
 * wait in order. Redirects are not followed (RFC 8461 3.3: a redirect is a failure), bodies
 * over cfg->body_max are cut off as HTTPS_TOO_LARGE, and each transfer has a total time
 * limit. Each fetch ends exactly once through the done callback, unless https_close()
 * cancels it first (as the DNS engine drops its lookups when the scan is aborted). Knows
 * nothing of MTA-STS. */
#ifndef DS_HTTPS_H
#define DS_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum https_status {
        HTTPS_OK = 0,      /* 200: body holds the entity */
        HTTPS_HTTP_STATUS, /* an answer other than 200 or a redirect (http_code) */
        HTTPS_REDIRECT,    /* a 3xx answer: not followed */
        HTTPS_TIMEOUT,     /* no complete answer within the time limit */
        HTTPS_CONNECT,     /* the TCP connection failed (refused, unreachable) */
        HTTPS_TLS,         /* the handshake or the certificate check failed */
        HTTPS_TOO_LARGE,   /* the body exceeds body_max */
        HTTPS_ERROR,       /* anything else (protocol error, out of memory, cancelled) */
        HTTPS_STATUS_COUNT
};

/* "ok", "http_status", "redirect", "timeout", "connect", "tls", "too_large", "error". */
const char *https_status_name(enum https_status s);

struct https_result {
        uint32_t token;
        enum https_status status;
        unsigned http_code;  /* 0 when no answer arrived */
        bool text_plain;     /* Content-Type is text/plain (parameters allowed) */
        const uint8_t *body; /* valid only during the done() call; HTTPS_OK only */
        size_t len;
        const char *error; /* curl's sentence for a failure, NULL on success */
};

typedef void (*https_done_fn)(void *ctx, const struct https_result *r);

struct https_config {
        unsigned concurrency; /* transfers at once */
        unsigned timeout_ms;  /* per transfer, connection to last byte */
        unsigned port;        /* the TCP port connected to (443; others for test servers) */
        size_t body_max;      /* bytes */
        const char *ca_file;  /* PEM trust anchors; NULL: the system's store */
        const char *user_agent;
};

struct https_stats {
        uint64_t started, queued_max;
        uint64_t ended[HTTPS_STATUS_COUNT];
};

struct https;

/* Returns 0 with *out set, or -errno (*out NULL, nothing left open). curl_global_init must
 * have run (https_global_init, before any thread starts). */
int https_new(struct https **out, uv_loop_t *loop, const struct https_config *cfg,
              https_done_fn done, void *ctx);

/* Once per process, before threads start (libcurl's rule). Returns 0 or -EIO. The
 * cleanup after every https is freed and threads have ended. */
int https_global_init(void);
void https_global_cleanup(void);

/* Fetch https://host/path (host without a trailing dot) from addr (an IPv4 or IPv6 literal).
 * Returns 0 (the result comes through done(), never from within this call), or -errno:
 * -EINVAL for a bad argument, -ECANCELED after https_close, -ENOMEM. */
int https_get(struct https *h, uint32_t token, const char *host, const char *addr,
              const char *path);

/* Transfers running and waiting now. */
unsigned https_pending(const struct https *h);

const struct https_stats *https_stats(const struct https *h);

/* Cancel what runs or waits (done() is not called for them) and close the handles; the
 * loop then ends once nothing else is active. */
void https_close(struct https *h);

/* After the loop ran the close callbacks (uv_run returned). NULL is allowed. */
void https_free(struct https *h);

#endif
