/* https.c -- HTTPS GETs on the scan's loop: curl's multi socket interface, one uv_poll per
 * socket curl opens and one timer for curl's deadlines. */
#include "dns/https.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/check.h"

#define HTTPS_HOST_MAX 253
#define HTTPS_PATH_MAX 256

/* One transfer; owned by the https from https_get() until its done() call returns. */
struct fetch {
        struct https *h;
        uint32_t token;
        CURL *easy;                    /* owned while running */
        struct curl_slist *connect_to; /* owned: where the connection goes */
        uint8_t *body;                 /* owned */
        size_t len, cap;
        bool too_large;
        struct fetch *prev, *next; /* in h's running list or waiting queue */
        char url[8 + HTTPS_HOST_MAX + HTTPS_PATH_MAX + 1];
        char connect[64];
        char errbuf[CURL_ERROR_SIZE];
};

/* A socket curl watches; freed by its close callback. */
struct sock {
        uv_poll_t poll;
        struct https *h;
        curl_socket_t fd;
};

struct fetch_list {
        struct fetch *head, *tail;
        unsigned n;
};

struct https {
        uv_loop_t *loop; /* borrowed */
        CURLM *multi;    /* owned */
        uv_timer_t timer;
        struct https_config cfg; /* strings borrowed from the caller's config */
        https_done_fn done;
        void *ctx;
        struct fetch_list running, waiting;
        bool closing;
        struct https_stats stats;
};

const char *https_status_name(enum https_status s)
{
        static const char *const names[HTTPS_STATUS_COUNT] = {
            [HTTPS_OK] = "ok",
            [HTTPS_HTTP_STATUS] = "http_status",
            [HTTPS_REDIRECT] = "redirect",
            [HTTPS_TIMEOUT] = "timeout",
            [HTTPS_CONNECT] = "connect",
            [HTTPS_TLS] = "tls",
            [HTTPS_TOO_LARGE] = "too_large",
            [HTTPS_ERROR] = "error",
        };
        return (unsigned)s < HTTPS_STATUS_COUNT ? names[s] : "error";
}

static void list_push(struct fetch_list *l, struct fetch *f)
{
        f->next = NULL;
        f->prev = l->tail;
        if (l->tail)
                l->tail->next = f;
        else
                l->head = f;
        l->tail = f;
        l->n++;
}

static void list_remove(struct fetch_list *l, struct fetch *f)
{
        if (f->prev)
                f->prev->next = f->next;
        else
                l->head = f->next;
        if (f->next)
                f->next->prev = f->prev;
        else
                l->tail = f->prev;
        f->prev = f->next = NULL;
        (void)ds_fails(l->n > 0);
        l->n--;
}

static void fetch_free(struct fetch *f)
{
        if (f->easy)
                curl_easy_cleanup(f->easy);
        curl_slist_free_all(f->connect_to);
        free(f->body);
        free(f);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
        struct fetch *f = userp;
        size_t bytes = size * n;
        if (bytes > f->h->cfg.body_max - f->len) {
                f->too_large = true;
                return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
        }
        f->body = ds_xgrow(f->body, &f->cap, f->len + bytes, "an HTTPS body");
        memcpy(f->body + f->len, data, bytes);
        f->len += bytes;
        return bytes;
}

static enum https_status status_of(const struct fetch *f, CURLcode rc, unsigned code)
{
        switch (rc) {
        case CURLE_OK:
                if (code == 200)
                        return HTTPS_OK;
                return code >= 300 && code < 400 ? HTTPS_REDIRECT : HTTPS_HTTP_STATUS;
        case CURLE_OPERATION_TIMEDOUT:
                return HTTPS_TIMEOUT;
        case CURLE_COULDNT_CONNECT:
                return HTTPS_CONNECT;
        case CURLE_FILESIZE_EXCEEDED:
                return HTTPS_TOO_LARGE;
        case CURLE_WRITE_ERROR:
                return f->too_large ? HTTPS_TOO_LARGE : HTTPS_ERROR;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
                return HTTPS_TLS;
        default:
                return HTTPS_ERROR;
        }
}

/* "text/plain", any case, alone or with parameters. */
static bool is_text_plain(const char *ct)
{
        static const char want[] = "text/plain";
        if (!ct || strncasecmp(ct, want, sizeof(want) - 1) != 0)
                return false;
        char c = ct[sizeof(want) - 1];
        return c == 0 || c == ';' || c == ' ' || c == '\t';
}

/* A running transfer ended: out of curl, to the caller, freed. */
static void end_fetch(struct https *h, struct fetch *f, CURLcode rc)
{
        long code = 0;
        char *ct = NULL;
        curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct);
        struct https_result r = {
            .token = f->token,
            .http_code = code > 0 && code < 1000 ? (unsigned)code : 0,
            .text_plain = is_text_plain(ct),
        };
        r.status = status_of(f, rc, r.http_code);
        if (r.status == HTTPS_OK) {
                r.body = f->body;
                r.len = f->len;
        } else if (r.status != HTTPS_HTTP_STATUS && r.status != HTTPS_REDIRECT) {
                r.error = f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc);
        }
        curl_multi_remove_handle(h->multi, f->easy);
        list_remove(&h->running, f);
        h->stats.ended[r.status]++;
        h->done(h->ctx, &r);
        fetch_free(f);
}

static int setup_easy(struct https *h, struct fetch *f)
{
        CURL *e = f->easy = curl_easy_init();
        if (!e)
                return -ENOMEM;
        f->connect_to = curl_slist_append(NULL, f->connect);
        if (!f->connect_to)
                return -ENOMEM;
        CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (rc == CURLE_OK)                                                                \
                        rc = curl_easy_setopt(e, opt, val);                                        \
        } while (0)
        SET(CURLOPT_URL, f->url);
        SET(CURLOPT_CONNECT_TO, f->connect_to);
        SET(CURLOPT_PROTOCOLS_STR, "https");
        SET(CURLOPT_PROXY, ""); /* the address is ours: no proxy from the environment */
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_FORBID_REUSE, 1L); /* one fetch per host: no idle connections kept */
        SET(CURLOPT_TIMEOUT_MS, (long)h->cfg.timeout_ms);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->cfg.body_max);
        SET(CURLOPT_WRITEFUNCTION, on_body);
        SET(CURLOPT_WRITEDATA, f);
        SET(CURLOPT_ERRORBUFFER, f->errbuf);
        SET(CURLOPT_PRIVATE, f);
        if (h->cfg.user_agent)
                SET(CURLOPT_USERAGENT, h->cfg.user_agent);
        if (h->cfg.ca_file)
                SET(CURLOPT_CAINFO, h->cfg.ca_file);
#undef SET
        return rc == CURLE_OK ? 0 : -EINVAL;
}

/* Hand f to curl; on failure it ends at once as HTTPS_ERROR (only called from callbacks or
 * after https_get() has returned, so done() never runs inside https_get). */
static int start_fetch(struct https *h, struct fetch *f)
{
        int rc = setup_easy(h, f);
        if (rc == 0 && curl_multi_add_handle(h->multi, f->easy) != CURLM_OK)
                rc = -ENOMEM;
        if (rc < 0)
                return rc;
        list_push(&h->running, f);
        h->stats.started++;
        return 0;
}

static void start_waiting(struct https *h)
{
        while (!h->closing && h->waiting.head && h->running.n < h->cfg.concurrency) {
                struct fetch *f = h->waiting.head;
                list_remove(&h->waiting, f);
                if (start_fetch(h, f) < 0) {
                        struct https_result r = {.token = f->token,
                                                 .status = HTTPS_ERROR,
                                                 .error = "cannot start the transfer"};
                        h->stats.ended[HTTPS_ERROR]++;
                        h->done(h->ctx, &r);
                        fetch_free(f);
                }
        }
}

static void drain(struct https *h)
{
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
                if (m->msg != CURLMSG_DONE)
                        continue;
                struct fetch *f = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
                if (ds_fails(f && f->easy == m->easy_handle))
                        continue;
                end_fetch(h, f, m->data.result);
        }
        start_waiting(h);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
        struct sock *sk = p->data;
        struct https *h = sk->h;
        int flags = status < 0 ? CURL_CSELECT_ERR : 0;
        if (events & UV_READABLE)
                flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
                flags |= CURL_CSELECT_OUT;
        int running;
        curl_multi_socket_action(h->multi, sk->fd, flags, &running);
        drain(h);
}

static void on_sock_closed(uv_handle_t *handle)
{
        free(handle->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        (void)easy;
        struct https *h = userp;
        struct sock *sk = socketp;
        if (what == CURL_POLL_REMOVE) {
                if (sk) {
                        if (!h->closing) /* curl_multi_cleanup() is dropping it anyway */
                                curl_multi_assign(h->multi, fd, NULL);
                        uv_poll_stop(&sk->poll);
                        uv_close((uv_handle_t *)&sk->poll, on_sock_closed);
                }
                return 0;
        }
        if (!sk) {
                sk = calloc(1, sizeof(*sk));
                if (!sk)
                        return -1;
                if (uv_poll_init_socket(h->loop, &sk->poll, fd) < 0) {
                        free(sk);
                        return -1;
                }
                sk->h = h;
                sk->fd = fd;
                sk->poll.data = sk;
                curl_multi_assign(h->multi, fd, sk);
        }
        int ev =
            ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
        return uv_poll_start(&sk->poll, ev, on_poll) < 0 ? -1 : 0;
}

static void on_timer(uv_timer_t *t)
{
        struct https *h = t->data;
        int running;
        curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        drain(h);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
        (void)multi;
        struct https *h = userp;
        if (timeout_ms < 0)
                uv_timer_stop(&h->timer);
        else
                uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
        return 0;
}

int https_global_init(void)
{
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void https_global_cleanup(void)
{
        curl_global_cleanup();
}

int https_new(struct https **out, uv_loop_t *loop, const struct https_config *cfg,
              https_done_fn done, void *ctx)
{
        *out = NULL;
        if (!cfg->concurrency || !cfg->timeout_ms || !cfg->port || cfg->port > 65535 ||
            !cfg->body_max)
                return -EINVAL;
        struct https *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->multi = curl_multi_init();
        if (!h->multi) {
                free(h);
                return -ENOMEM;
        }
        h->loop = loop;
        h->cfg = *cfg;
        h->done = done;
        h->ctx = ctx;
        curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
        curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
        curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
        uv_timer_init(loop, &h->timer); /* cannot fail */
        h->timer.data = h;
        *out = h;
        return 0;
}

static bool host_ok(const char *host)
{
        size_t n = strlen(host);
        if (n == 0 || n > HTTPS_HOST_MAX || host[n - 1] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = host[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_'))
                        return false;
        }
        return true;
}

int https_get(struct https *h, uint32_t token, const char *host, const char *addr, const char *path)
{
        if (h->closing)
                return -ECANCELED;
        if (!host_ok(host) || path[0] != '/' || strlen(path) > HTTPS_PATH_MAX)
                return -EINVAL;
        struct fetch *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->h = h;
        f->token = token;
        snprintf(f->url, sizeof(f->url), "https://%s%s", host, path);
        bool v6 = strchr(addr, ':') != NULL;
        int n = snprintf(f->connect, sizeof(f->connect), v6 ? "::[%s]:%u" : "::%s:%u", addr,
                         h->cfg.port);
        if (n < 0 || (size_t)n >= sizeof(f->connect) ||
            strspn(addr, "0123456789abcdefABCDEF.:") != strlen(addr)) {
                free(f);
                return -EINVAL;
        }
        if (h->running.n < h->cfg.concurrency) {
                int rc = start_fetch(h, f);
                if (rc < 0) {
                        fetch_free(f);
                        return rc;
                }
                return 0;
        }
        list_push(&h->waiting, f);
        if (h->waiting.n > h->stats.queued_max)
                h->stats.queued_max = h->waiting.n;
        return 0;
}

unsigned https_pending(const struct https *h)
{
        return h->running.n + h->waiting.n;
}

const struct https_stats *https_stats(const struct https *h)
{
        return &h->stats;
}

void https_close(struct https *h)
{
        if (!h || h->closing)
                return;
        h->closing = true;
        while (h->waiting.head) {
                struct fetch *f = h->waiting.head;
                list_remove(&h->waiting, f);
                fetch_free(f);
        }
        while (h->running.head) {
                struct fetch *f = h->running.head;
                curl_multi_remove_handle(h->multi, f->easy); /* closes its sockets */
                list_remove(&h->running, f);
                fetch_free(f);
        }
        curl_multi_cleanup(h->multi);
        h->multi = NULL;
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, NULL);
}

void https_free(struct https *h)
{
        if (!h)
                return;
        if (h->multi)
                curl_multi_cleanup(h->multi);
        free(h);
}
