/* wname.h -- a test's name in wire form, from text (dns/wire.h): for modules keyed by
 * wire names (dns/anscache.h, scanner/ansmemo.h). Include after cmocka.h. */
#ifndef DS_TEST_WNAME_H
#define DS_TEST_WNAME_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

struct name {
        uint8_t w[DS_NAME_MAX_WIRE];
        size_t n;
};

static inline struct name wname(const char *text)
{
        struct name n;
        int len = wire_name_from_text(text, n.w, sizeof(n.w));
        assert_true(len > 0);
        n.n = (size_t)len;
        return n;
}

#endif
