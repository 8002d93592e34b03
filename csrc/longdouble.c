/*
 * longdouble.c - numeric helpers that must be bit-for-bit identical to Redis
 * 7.0 and therefore have to be written in C:
 *
 *  - INCRBYFLOAT / HINCRBYFLOAT compute in C `long double` (x87 80-bit
 *    extended precision on x86_64), parse with strtold() and print with
 *    "%.17Lf". Rust has no 80-bit float, so the whole operation lives here.
 *  - Redis parses float arguments (ZADD scores, ZRANGEBYSCORE bounds, ...)
 *    with the C library's strtod(), which also accepts hex floats,
 *    "infinity" and friends; calling the same function is the only way to be
 *    sure of accepting exactly the same strings with exactly the same
 *    rounding.
 *
 * The functions mirror util.c / object.c / t_string.c / t_hash.c /
 * t_zset.c of Redis 7.0.15. Every input is a (pointer, length) pair and is
 * copied into a NUL-terminated buffer first, exactly like Redis operates on
 * NUL-terminated sds strings (this matters for embedded NUL bytes).
 *
 * The process never calls setlocale() for LC_NUMERIC/LC_CTYPE, so strtod()
 * and printf() use the "C" locale, as in Redis (which only sets
 * LC_COLLATE).
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Same constant as Redis's util.h: the maximum length of a long double
 * rendered by ld2string(), and the input length limit of string2ld(). */
#define MAX_LONG_DOUBLE_CHARS (5 * 1024)

/* Return codes shared with the Rust side (numbers.rs). */
#define FERROKV_LD_OK 0
#define FERROKV_LD_CUR_NOT_FLOAT 1   /* stored value fails string2ld */
#define FERROKV_LD_INCR_NOT_FLOAT 2  /* increment fails string2ld */
#define FERROKV_LD_NAN_OR_INF 3      /* sum is NaN or infinite */
#define FERROKV_LD_NO_ROOM 4         /* output buffer too small */

/* Redis util.c string2ld(), verbatim apart from the isspace() cast. Rejects
 * empty input, input of MAX_LONG_DOUBLE_CHARS bytes or more, a leading space,
 * trailing garbage (including an embedded NUL: strtold() must consume all
 * slen bytes), overflow, underflow to zero and NaN. Accepts "inf",
 * "infinity", hex floats and denormals. */
static int string2ld(const char *s, size_t slen, long double *dp) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    long double value;
    char *eptr;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' ||
        (size_t)(eptr - buf) != slen ||
        ((errno == ERANGE) &&
         (value == HUGE_VALL || value == -HUGE_VALL ||
          fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;

    if (dp) *dp = value;
    return 1;
}

/* Redis util.c ld2string() in LD_STR_HUMAN mode: "%.17Lf", then strip
 * trailing zeroes and a trailing dot, and turn "-0" into "0". Returns the
 * length, or 0 when buf is too small (Redis does the same). */
static size_t ld2string_human(char *buf, size_t len, long double value) {
    size_t l = 0;

    if (isinf(value)) {
        if (len < 5) return 0;
        if (value > 0) {
            memcpy(buf, "inf", 3);
            l = 3;
        } else {
            memcpy(buf, "-inf", 4);
            l = 4;
        }
    } else {
        int n = snprintf(buf, len, "%.17Lf", value);
        if (n < 0) return 0;
        l = (size_t)n;
        if (l + 1 > len) return 0;
        if (strchr(buf, '.') != NULL) {
            char *p = buf + l - 1;
            while (*p == '0') {
                p--;
                l--;
            }
            if (*p == '.') l--;
        }
        if (l == 2 && buf[0] == '-' && buf[1] == '0') {
            buf[0] = '0';
            l = 1;
        }
    }
    buf[l] = '\0';
    return l;
}

/* Is `s` a valid long double for Redis (string2ld)? Stores 1 in *finite when
 * the value is neither infinite nor NaN. HINCRBYFLOAT checks its increment
 * with exactly this before it even looks at the key. */
int ferrokv_parse_long_double(const char *s, size_t slen, int *finite) {
    long double v;
    if (!string2ld(s, slen, &v)) return 0;
    if (finite) *finite = !(isnan(v) || isinf(v));
    return 1;
}

/* INCRBYFLOAT core: cur (may be NULL = key absent, counts as 0) + incr,
 * formatted like createStringObjectFromLongDouble(value, 1). The stored value
 * is parsed first, as in Redis. On FERROKV_LD_OK, *outlen holds the length
 * of the result written to out (not NUL-terminated from the caller's point
 * of view; outcap should be MAX_LONG_DOUBLE_CHARS). */
int ferrokv_incrbyfloat(const char *cur, size_t curlen, const char *incr,
                        size_t incrlen, char *out, size_t outcap,
                        size_t *outlen) {
    long double value = 0, delta;
    char buf[MAX_LONG_DOUBLE_CHARS];
    size_t l;

    if (cur != NULL && !string2ld(cur, curlen, &value))
        return FERROKV_LD_CUR_NOT_FLOAT;
    if (!string2ld(incr, incrlen, &delta)) return FERROKV_LD_INCR_NOT_FLOAT;

    value += delta;
    if (isnan(value) || isinf(value)) return FERROKV_LD_NAN_OR_INF;

    /* Redis formats into a MAX_LONG_DOUBLE_CHARS buffer; finite 80-bit
     * values need at most ~4952 bytes in "%.17Lf", so this always fits. */
    l = ld2string_human(buf, sizeof(buf), value);
    if (l > outcap) return FERROKV_LD_NO_ROOM;
    memcpy(out, buf, l);
    *outlen = l;
    return FERROKV_LD_OK;
}

/* Copy (s, slen) into a NUL-terminated buffer: `stackbuf` when it fits,
 * otherwise the heap. Returns NULL only if malloc fails. */
static char *nul_terminated(const char *s, size_t slen, char *stackbuf,
                            size_t stackcap) {
    char *buf = stackbuf;
    if (slen >= stackcap) {
        buf = malloc(slen + 1);
        if (buf == NULL) return NULL;
    }
    if (slen) memcpy(buf, s, slen);
    buf[slen] = '\0';
    return buf;
}

/* Redis util.c string2d() (used by getDoubleFromObject: ZADD, ZINCRBY,
 * ZADD INCR, ... scores). Rejects empty input, a leading space, anything
 * strtod() does not consume (including an embedded NUL), overflow to
 * +-HUGE_VAL, underflow to zero and NaN. Accepts "inf"/"infinity" (any case,
 * optional sign), hex floats, and denormals. */
int ferrokv_string2d(const char *s, size_t slen, double *dp) {
    char stackbuf[128];
    char *buf, *eptr;
    double v;
    int ok;

    if (slen == 0) return 0;
    buf = nul_terminated(s, slen, stackbuf, sizeof(stackbuf));
    if (buf == NULL) return 0;

    errno = 0;
    v = strtod(buf, &eptr);
    ok = !(isspace((unsigned char)buf[0]) || (size_t)(eptr - buf) != slen ||
           (errno == ERANGE &&
            (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
           isnan(v));
    if (buf != stackbuf) free(buf);
    if (ok) *dp = v;
    return ok;
}

/* The laxer parse of t_zset.c zslParseRange() (ZRANGEBYSCORE, ZCOUNT, ...
 * bounds, after the optional '(' is removed by the caller): plain strtod()
 * that must stop at a NUL byte, and must not yield NaN. So "" is 0, leading
 * whitespace is fine, "1e400" is inf, and anything after an embedded NUL is
 * ignored. */
int ferrokv_strtod_range(const char *s, size_t slen, double *dp) {
    char stackbuf[128];
    char *buf, *eptr;
    double v;
    int ok;

    buf = nul_terminated(s, slen, stackbuf, sizeof(stackbuf));
    if (buf == NULL) return 0;
    v = strtod(buf, &eptr);
    ok = eptr[0] == '\0' && !isnan(v);
    if (buf != stackbuf) free(buf);
    if (ok) *dp = v;
    return ok;
}
