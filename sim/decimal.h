/*
 * decimal.h - exact fixed-point decimals for the simulator's money.
 *
 * The platform's amounts are decimal(16,2), counts decimal(16,4) and prices
 * decimal(16,6). A binary float cannot hold 0.10 exactly, and a fund split
 * that is off by one fen is a failed reconciliation, so every amount in the
 * simulator is an int64 count of micro-units (1e-6 yuan). Six places hold a
 * price exactly; amounts are kept rounded to whole fen (multiples of 10000).
 *
 * Products are formed in 128 bits and rounded once, straight to the wanted
 * number of places: rounding first to 6 places and then to 2 could round
 * twice (0.004999995 -> 0.005000 -> 0.01), which the platform does not do.
 * Rounding is half away from zero (四舍五入), the rule the platform applies
 * to money.
 */
#ifndef YBSIM_DECIMAL_H
#define YBSIM_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t ybsim_dec; /* micro-units: 1.00 is 1000000 */

#define YBSIM_DEC_PLACES 6
#define YBSIM_DEC_ONE INT64_C(1000000)
#define YBSIM_DEC_FEN INT64_C(10000) /* 0.01 */
/* Longest text ybsim_dec_format writes, with its NUL. */
#define YBSIM_DEC_TEXT 32

/* Parse s[0..len) ("12", "-3.5", "0.000001", "1.2E2") as a decimal with at
 * most max_places places after the point (max_places <= 6). Trailing zeros
 * past max_places are allowed ("12.3400" with max_places 2). Returns 0,
 * YB_EINVAL for text that is not a number, or YB_ELIMIT when the value has
 * more places than allowed or does not fit. */
int ybsim_dec_parse(const char *s, size_t len, unsigned max_places, ybsim_dec *out);

/* Round v to `places` places (0..6), half away from zero. */
ybsim_dec ybsim_dec_round(ybsim_dec v, unsigned places);
/* Round to whole fen (2 places). */
ybsim_dec ybsim_dec_round2(ybsim_dec v);

/* a + b and a - b; YB_ELIMIT on overflow. */
int ybsim_dec_add(ybsim_dec a, ybsim_dec b, ybsim_dec *out);
int ybsim_dec_sub(ybsim_dec a, ybsim_dec b, ybsim_dec *out);

/* a * b, computed exactly and rounded once to `places` places (0..6).
 * YB_ELIMIT when the result does not fit. */
int ybsim_dec_mul(ybsim_dec a, ybsim_dec b, unsigned places, ybsim_dec *out);

/* Write v rounded to `places` places (0..6) into buf, always with exactly
 * that many digits after the point ("1200.00", "-0.50", "7"). Returns the
 * length, or YB_ELIMIT if cap is too small (YBSIM_DEC_TEXT always fits). */
int ybsim_dec_format(ybsim_dec v, unsigned places, char *buf, size_t cap);

/* Whole fen <-> micro-units (the store keeps money as integer fen). */
static inline ybsim_dec ybsim_dec_from_fen(int64_t fen)
{
    return fen * YBSIM_DEC_FEN;
}
static inline int64_t ybsim_dec_to_fen(ybsim_dec v)
{
    return ybsim_dec_round2(v) / YBSIM_DEC_FEN;
}

static inline ybsim_dec ybsim_dec_min(ybsim_dec a, ybsim_dec b)
{
    return a < b ? a : b;
}
static inline ybsim_dec ybsim_dec_max(ybsim_dec a, ybsim_dec b)
{
    return a > b ? a : b;
}

#endif
