//> /*
//>  * Lab 6, stat: read a segment's metadata.
//>  *
//>  *     stat KEY
//>  *
//>  * Finds the segment, asks the kernel for its struct shmid_ds with IPC_STAT, and prints 14
//>  * lines: key, shmid, size, mode, owner and creator ids, creator and last pids, attachment
//>  * count and the three times. lab_print_stat prints them for you.
//>  *
//>  * Read docs/labs/stat.md, replace the TODOs below, then build and check:
//>  *     cargo shmlab check --lang c stat      (or: make && cargo shmlab check stat --program bin/stat)
//>  */
// BEGIN SOLUTION
/*
 * Reference solution of lab 6, stat (see docs/labs/stat.md).
 *
 *     stat KEY
 *
 * Access, shmctl(id, IPC_STAT, &ds), then print the 14 lines. The same program as
 * labs/c/stat.c, finished.
 */
// END SOLUTION
#include "lab.h" /* first: argument parsing, lab_fail, lab_print_stat, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Finds the segment for `key`, never creating it (as in lab access). */
static int access_segment(key_t key)
{
    //> /* TODO (lab 2, docs/labs/access.md): find the existing segment, never creating it, as in
    //>  * access.c. Then delete the two lines below. */
    //> (void)key;
    //> lab_not_implemented("shmget");
    // BEGIN SOLUTION
    return shmget(key, 0, 0);
    // END SOLUTION
}

/* Fills *ds with the metadata of segment `id`; 0 on success, -1 with errno set. */
static int stat_segment(int id, struct shmid_ds *ds)
{
    //> /* TODO (docs/labs/stat.md): ask the kernel to fill the buffer you were given, `ds`, with
    //>  * the segment's metadata. Do not attach: attaching changes the very fields you are about
    //>  * to print. Then delete the three lines below. */
    //> (void)id;
    //> (void)ds;
    //> lab_not_implemented("shmctl(IPC_STAT)");
    // BEGIN SOLUTION
    return shmctl(id, IPC_STAT, ds);
    // END SOLUTION
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("stat", argc, argv); /* exits 2 on bad usage */
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    struct shmid_ds ds;
    if (stat_segment(id, &ds) == -1)
        lab_fail("shmctl");
    lab_print_stat(id, &ds); /* the 14 lines, exactly as the contract says */
    return 0;
}
