/*
 * Lab 7, set: change a segment's permissions (and owner).
 *
 *     set KEY --mode OCTAL [--uid UID] [--gid GID]
 *
 * Finds the segment, reads its metadata with IPC_STAT, changes the nine mode bits (and the
 * owner's uid/gid when given), and writes it back with IPC_SET. Whatever it does not change
 * must stay as it was. Prints nothing.
 *
 * Read docs/labs/set.md, replace the TODOs below, then build and check:
 *     cargo shmlab check --lang c set      (or: make && cargo shmlab check set --program bin/set)
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

/* Fills *ds with the current metadata of segment `id` (as in lab stat); 0 or -1. */
static int stat_segment(int id, struct shmid_ds *ds)
{
    /* TODO (lab 6, docs/labs/stat.md): fill `ds` with the segment's metadata, as in stat.c.
     * Then delete the three lines below. */
    (void)id;
    (void)ds;
    lab_not_implemented("shmctl(IPC_STAT)");
}

/* Puts the new mode, and the new uid and gid when given, into *ds. */
static void change(struct shmid_ds *ds, const struct lab_set_args *args)
{
    /* TODO (docs/labs/set.md): change only what was asked for. Replace the nine permission
     * bits of ds->shm_perm.mode with args->mode and keep the bits above them (|= would only
     * add bits); set the uid and gid only when args->has_uid and args->has_gid say they were
     * given. Then delete the three lines below. */
    (void)ds;
    (void)args;
    lab_not_implemented("change the mode");
}

/* Applies the owner and mode in *ds to segment `id`; 0 or -1. */
static int set_segment(int id, struct shmid_ds *ds)
{
    /* TODO (docs/labs/set.md): write the changed metadata in `ds` back to the segment: the
     * control command that takes a filled buffer. Then delete the three lines below. */
    (void)id;
    (void)ds;
    lab_not_implemented("shmctl(IPC_SET)");
}

int main(int argc, char **argv)
{
    struct lab_set_args args = lab_parse_set(argc, argv); /* exits 2 on bad usage */
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    /* Read, modify, write: the buffer must already hold the segment's current owner, or
     * IPC_SET would give the segment to uid 0. So no memset, and IPC_STAT first. */
    struct shmid_ds ds;
    if (stat_segment(id, &ds) == -1)
        lab_fail("shmctl");
    change(&ds, &args);
    if (set_segment(id, &ds) == -1)
        lab_fail("shmctl"); /* "shmctl: Operation not permitted", exit status 1 */
    return 0;               /* nothing on stdout */
}
