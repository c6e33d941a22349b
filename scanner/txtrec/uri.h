/* uri.h -- what kind of URI a record names (the report addresses of RFC 8460, the BIMI
 * draft's HTTPS locations). Contract: a pure classification of a span of octets (any
 * octets); no allocation. */
#ifndef DS_TXTREC_URI_H
#define DS_TXTREC_URI_H

#include <stdbool.h>
#include <stddef.h>

enum uri_kind {
        URI_INVALID = 0, /* no scheme, octets outside printable ASCII, or an empty address */
        URI_MAILTO,      /* mailto:local@domain (RFC 6068), a domain with a dot */
        URI_HTTPS,       /* https://host[...] with a host of letters, digits, '-', '.' */
        URI_OTHER,       /* another scheme ("http:", "ftp:") */
};

enum uri_kind uri_kind(const char *p, size_t n);

/* The URI's path (before any query or fragment) ends in suffix, compared without case. */
bool uri_path_ends(const char *p, size_t n, const char *suffix);

#endif
