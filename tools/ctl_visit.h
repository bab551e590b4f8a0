/*
 * ctl_visit.h - `ybgwctl visit`: drive a scripted patient visit through the
 * gateway, one transaction after another, the way a HIS would.
 *
 * A visit script is data (JSON, documented in tests/e2e/visits/README.md):
 * envelope defaults, variables, and an ordered list of steps, each with its
 * infno, input, values to save from the answer and an expectation. The
 * script is read with the gateway's own JSON codec so that amounts written
 * in it reach the wire with exactly the digits the author typed.
 */
#ifndef YB_CTL_VISIT_H
#define YB_CTL_VISIT_H

/* Returns an exit status: 0 when every step met its expectation, 1 when a
 * step did not, 2 for a bad script, bad usage or no answer at all. */
int ctl_visit_main(int argc, char **argv);

#endif
