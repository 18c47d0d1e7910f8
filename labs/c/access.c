/*
 * Lab 2, access: find an existing segment by its key.
 *
 *     access KEY
 *
 * Asks for the segment named KEY without ever creating one, and prints its id; when the key
 * has no segment, it fails with ENOENT. Every other lab starts this way.
 *
 * Read docs/labs/access.md, replace the TODO below, then build and check:
 *     cargo shmlab check --lang c access      (or: make && cargo shmlab check access --program bin/access)
 */
#include "lab.h" /* first: argument parsing, lab_fail, lab_print_id, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Finds the segment for `key`, never creating it, and returns its id (-1 with errno set when
 * shmget fails). */
static int access_segment(key_t key)
{
    /* TODO (docs/labs/access.md): ask the kernel for the existing segment of `key`, never
     * creating one: the same call as in create.c, asking for nothing more than the id (no
     * size, no flags, no mode). Then delete the two lines below. */
    (void)key;
    lab_not_implemented("shmget");
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("access", argc, argv); /* exits 2 on bad usage */
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget"); /* "shmget: No such file or directory", exit status 1 */
    lab_print_id(id);
    return 0;
}
