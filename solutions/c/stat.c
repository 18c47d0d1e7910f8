/*
 * Reference solution of lab 6, stat (see docs/labs/stat.md).
 *
 *     stat KEY
 *
 * Access, shmctl(id, IPC_STAT, &ds), then print the 14 lines. The same program as
 * labs/c/stat.c, finished.
 */
#include "lab.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Finds the segment for `key`, never creating it (as in lab access). */
static int access_segment(key_t key)
{
    return shmget(key, 0, 0);
}

/* Fills *ds with the metadata of segment `id`; 0 on success, -1 with errno set. */
static int stat_segment(int id, struct shmid_ds *ds)
{
    return shmctl(id, IPC_STAT, ds);
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("stat", argc, argv);
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    struct shmid_ds ds;
    if (stat_segment(id, &ds) == -1)
        lab_fail("shmctl");
    lab_print_stat(id, &ds);
    return 0;
}
