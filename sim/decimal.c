/*
 * decimal.c - exact fixed-point decimals (int64 micro-units).
 *
 * Owns parsing, rounding, arithmetic and formatting of the simulator's
 * amounts. No function here ever touches a float or double: the text a HIS
 * sends is turned digit by digit into an integer, and an integer is turned
 * digit by digit back into text.
 */
#include "decimal.h"

#include <string.h>

#include "ybgw/ybgw.h"

static const int64_t pow10_table[] = {
    INT64_C(1),
    INT64_C(10),
    INT64_C(100),
    INT64_C(1000),
    INT64_C(10000),
    INT64_C(100000),
    INT64_C(1000000),
    INT64_C(10000000),
    INT64_C(100000000),
    INT64_C(1000000000),
    INT64_C(10000000000),
    INT64_C(100000000000),
    INT64_C(1000000000000),
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * The grammar is JSON's number grammar, loosened in one way that HIS text
 * fields need: leading zeros are accepted ("007.50"). The value is built as
 * an integer of significant digits plus a decimal exponent, then scaled to
 * micro-units; digits that would fall below the micro-unit must be zeros.
 */
int ybsim_dec_parse(const char *s, size_t len, unsigned max_places, ybsim_dec *out)
{
    if (!s || len == 0 || max_places > YBSIM_DEC_PLACES)
        return YB_EINVAL;
    size_t i = 0;
    int negative = 0;
    if (s[i] == '-') {
        negative = 1;
        i++;
    }
    uint64_t mant = 0; /* the digits, without the point */
    int scale = 0;     /* digits seen after the point */
    int digits = 0;
    int overflow = 0;
    int dropped_nonzero = 0; /* a non-zero digit too small to keep */
    int past_point = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (past_point || digits == 0)
                return YB_EINVAL;
            past_point = 1;
            continue;
        }
        if (!is_digit(c))
            break;
        digits++;
        if (past_point) {
            if (scale >= 12) {
                /* beyond any place we could keep: must be zero */
                if (c != '0')
                    dropped_nonzero = 1;
                continue;
            }
            scale++;
        }
        if (mant > (UINT64_MAX - 9) / 10)
            overflow = 1;
        else
            mant = mant * 10 + (uint64_t)(c - '0');
    }
    if (digits == 0 || (past_point && s[i - 1] == '.'))
        return YB_EINVAL;
    long exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int exp_negative = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            exp_negative = s[i] == '-';
            i++;
        }
        if (i >= len || !is_digit(s[i]))
            return YB_EINVAL;
        for (; i < len && is_digit(s[i]); i++) {
            if (exp < 1000)
                exp = exp * 10 + (s[i] - '0');
        }
        if (exp_negative)
            exp = -exp;
    }
    if (i != len)
        return YB_EINVAL;
    if (overflow || dropped_nonzero)
        return YB_ELIMIT;

    /* value = mant * 10^(exp - scale); we want mant * 10^(6 + exp - scale) */
    long shift = YBSIM_DEC_PLACES + exp - scale;
    uint64_t v = mant;
    if (shift < 0) {
        /* strip trailing zeros that fall below the micro-unit */
        while (shift < 0 && v % 10 == 0 && v != 0) {
            v /= 10;
            shift++;
        }
        if (v == 0)
            shift = 0;
        if (shift < 0)
            return YB_ELIMIT;
    }
    for (; shift > 0; shift--) {
        if (v > UINT64_MAX / 10)
            return YB_ELIMIT;
        v *= 10;
    }
    if (v > (uint64_t)INT64_MAX)
        return YB_ELIMIT;
    /* places actually used: the micro-units must be a multiple of 10^(6-max) */
    if (v % (uint64_t)pow10_table[YBSIM_DEC_PLACES - max_places] != 0)
        return YB_ELIMIT;
    *out = negative ? -(int64_t)v : (int64_t)v;
    return 0;
}

ybsim_dec ybsim_dec_round(ybsim_dec v, unsigned places)
{
    if (places >= YBSIM_DEC_PLACES)
        return v;
    int64_t unit = pow10_table[YBSIM_DEC_PLACES - places];
    /* work on the magnitude so that -0.005 rounds to -0.01 like 0.005 to 0.01 */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t q = mag / (uint64_t)unit, r = mag % (uint64_t)unit;
    if (r * 2 >= (uint64_t)unit)
        q++;
    uint64_t rounded = q * (uint64_t)unit;
    if (rounded > (uint64_t)INT64_MAX)
        rounded -= (uint64_t)unit; /* cannot happen for amounts; stay in range */
    return v < 0 ? -(int64_t)rounded : (int64_t)rounded;
}

ybsim_dec ybsim_dec_round2(ybsim_dec v)
{
    return ybsim_dec_round(v, 2);
}

int ybsim_dec_add(ybsim_dec a, ybsim_dec b, ybsim_dec *out)
{
    if (__builtin_add_overflow(a, b, out))
        return YB_ELIMIT;
    return 0;
}

int ybsim_dec_sub(ybsim_dec a, ybsim_dec b, ybsim_dec *out)
{
    if (__builtin_sub_overflow(a, b, out))
        return YB_ELIMIT;
    return 0;
}

int ybsim_dec_mul(ybsim_dec a, ybsim_dec b, unsigned places, ybsim_dec *out)
{
    if (places > YBSIM_DEC_PLACES)
        return YB_EINVAL;
    __int128 p = (__int128)a * (__int128)b; /* 12 places */
    int negative = p < 0;
    unsigned __int128 mag = negative ? (unsigned __int128)(-p) : (unsigned __int128)p;
    /* one rounding, from 12 places straight to `places` */
    unsigned __int128 unit = (unsigned __int128)pow10_table[12 - places];
    unsigned __int128 q = mag / unit, r = mag % unit;
    if (r * 2 >= unit)
        q++;
    /* back to micro-units */
    q *= (unsigned __int128)pow10_table[YBSIM_DEC_PLACES - places];
    if (q > (unsigned __int128)INT64_MAX)
        return YB_ELIMIT;
    *out = negative ? -(int64_t)q : (int64_t)q;
    return 0;
}

int ybsim_dec_format(ybsim_dec v, unsigned places, char *buf, size_t cap)
{
    if (places > YBSIM_DEC_PLACES)
        return YB_EINVAL;
    v = ybsim_dec_round(v, places);
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char tmp[YBSIM_DEC_TEXT];
    size_t n = 0;
    /* digits from the lowest micro-unit up, dropping the unwanted places */
    uint64_t whole = mag / (uint64_t)YBSIM_DEC_ONE;
    uint64_t frac = (mag % (uint64_t)YBSIM_DEC_ONE) / (uint64_t)pow10_table[6 - places];
    for (unsigned k = 0; k < places; k++) {
        tmp[n++] = (char)('0' + frac % 10);
        frac /= 10;
    }
    if (places)
        tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    if (v < 0)
        tmp[n++] = '-';
    if (n + 1 > cap)
        return YB_ELIMIT;
    for (size_t k = 0; k < n; k++)
        buf[k] = tmp[n - 1 - k];
    buf[n] = '\0';
    return (int)n;
}
