/*
 * ctl_code.h - `ybgwctl code`: the code tables and the code checks of the
 * coding-standard plugins, from the command line.
 *
 *   validate CODE   judge a code exactly as the gateway would (same
 *                   configuration, same plugins, same tables, same policy)
 *   explain CODE    only the segment-by-segment explanation
 *   import S FILE   load an official table into the code-table database
 *   stats           versions in the database and the loaded tables' memory
 *   versions [S]    the versions of one standard or all
 *   activate S V    switch the active version (the gateway loads it on SIGHUP)
 *
 * Exit codes follow the other subcommands (ctl_send.h): 0 valid / done,
 * 1 invalid / nothing imported, 2 bad usage, an ambiguous or unknown code
 * shape, or a configuration that cannot be loaded.
 */
#ifndef YB_CTL_CODE_H
#define YB_CTL_CODE_H

/* `ybgwctl code SUBCOMMAND ...`; argv starts at "code". */
int ctl_code_main(int argc, char **argv);

#endif
