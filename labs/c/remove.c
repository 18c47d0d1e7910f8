/*
 * Lab 5, remove: remove a segment.
 *
 *     remove KEY
 *
 * Finds the segment and removes it with IPC_RMID. A segment nobody has attached disappears
 * at once; an attached one loses its key and goes when the last attachment does. Only the
 * owner or the creator may remove it (EPERM otherwise). Prints nothing.
 *
 * Read docs/labs/remove.md, replace the TODOs below, then build and check:
 *     cargo shmlab check --lang c remove      (or: make && cargo shmlab check remove --program bin/remove)
 */
#include "lab.h" /* first: argument parsing, lab_fail, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Finds the segment for `key`, never creating it (as in lab access). */
static int access_segment(key_t key)
{
    /* TODO (lab 2, docs/labs/access.md): find the existing segment, never creating it, as in
     * access.c. Then delete the two lines below. */
    (void)key;
    lab_not_implemented("shmget");
}

/* Removes segment `id` (now, or at its last detach); 0 on success, -1 with errno set. */
static int remove_segment(int id)
{
    /* TODO (docs/labs/remove.md): ask the kernel to remove the segment: a control command
     * that needs no buffer. Then delete the two lines below. */
    (void)id;
    lab_not_implemented("shmctl(IPC_RMID)");
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("remove", argc, argv); /* exits 2 on bad usage */
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    if (remove_segment(id) == -1)
        lab_fail("shmctl"); /* "shmctl: Operation not permitted", exit status 1 */
    return 0;               /* nothing on stdout */
}
