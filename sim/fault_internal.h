/*
 * fault_internal.h - what fault.c (the table of armed faults and the wire)
 * and fault_control.c (the /sim/ control endpoint) share; platform.c uses
 * fault.h only.
 */
#ifndef YBSIM_FAULT_INTERNAL_H
#define YBSIM_FAULT_INTERNAL_H

#include "fault.h"

#define YBSIM_FAULT_MAX_ARMED 16

/* One armed fault. */
struct ybsim_armed {
    unsigned id;
    enum ybsim_fault_mode mode;
    int process;
    unsigned ms;
    unsigned long left; /* uses left; 0 = until cleared */
    unsigned long fired;
    char infno[16];    /* "" = any */
    char platform[64]; /* name or region; "" = any */
};

struct ybsim_held; /* an answer a slow fault holds back (fault.c) */

struct ybsim_faults {
    struct event_base *base;
    int enabled;
    unsigned next_id;
    struct ybsim_armed armed[YBSIM_FAULT_MAX_ARMED]; /* in the order armed */
    int narmed;
    unsigned long fired[YBSIM_FAULT_RESET + 1]; /* per mode, since start */
    struct ybsim_held *held;
};

/* "none", "slow", ... indexed by enum ybsim_fault_mode, NULL-ended */
extern const char *const ybsim_fault_modes[];

/* Remove armed fault i, keeping the order of the others. */
void ybsim_faults_remove(struct ybsim_faults *f, int i);

#endif
