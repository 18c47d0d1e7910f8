/*
 * Reference solution of lab 7, set (see docs/labs/set.md).
 *
 *     set KEY --mode OCTAL [--uid UID] [--gid GID]
 *
 * Access, IPC_STAT, change the nine mode bits (and uid/gid when given), IPC_SET. The same
 * program as labs/c/set.c, finished.
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

/* Fills *ds with the current metadata of segment `id` (as in lab stat); 0 or -1. */
static int stat_segment(int id, struct shmid_ds *ds)
{
    /* IPC_SET applies uid, gid and mode from the buffer: starting from the current values
     * (not a zeroed buffer) is what keeps the owner unchanged. */
    return shmctl(id, IPC_STAT, ds);
}

/* Puts the new mode, and the new uid and gid when given, into *ds. */
static void change(struct shmid_ds *ds, const struct lab_set_args *args)
{
    /* Replace the nine permission bits (|= would only add bits); keep the bits above. */
    ds->shm_perm.mode = (ds->shm_perm.mode & ~0777) | args->mode;
    if (args->has_uid)
        ds->shm_perm.uid = args->uid;
    if (args->has_gid)
        ds->shm_perm.gid = args->gid;
}

/* Applies the owner and mode in *ds to segment `id`; 0 or -1. */
static int set_segment(int id, struct shmid_ds *ds)
{
    return shmctl(id, IPC_SET, ds);
}

int main(int argc, char **argv)
{
    struct lab_set_args args = lab_parse_set(argc, argv);
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    struct shmid_ds ds;
    if (stat_segment(id, &ds) == -1)
        lab_fail("shmctl");
    change(&ds, &args);
    if (set_segment(id, &ds) == -1)
        lab_fail("shmctl");
    return 0;
}
