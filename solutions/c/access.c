/*
 * Reference solution of lab 2, access (see docs/labs/access.md).
 *
 *     access KEY
 *
 * shmget(KEY, 0, 0), which never creates, then print the id. The same program as
 * labs/c/access.c, finished.
 */
#include "lab.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Finds the segment for `key`, never creating it, and returns its id (-1 with errno set). */
static int access_segment(key_t key)
{
    /* Size 0 fits any existing segment; no mode bits ask for no particular permission. */
    return shmget(key, 0, 0);
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("access", argc, argv);
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    lab_print_id(id);
    return 0;
}
