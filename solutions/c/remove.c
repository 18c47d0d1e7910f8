/*
 * Reference solution of lab 5, remove (see docs/labs/remove.md).
 *
 *     remove KEY
 *
 * Access, then shmctl(id, IPC_RMID, NULL). The same program as labs/c/remove.c, finished.
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

/* Removes segment `id` (now, or at its last detach); 0 on success, -1 with errno set. */
static int remove_segment(int id)
{
    return shmctl(id, IPC_RMID, NULL);
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("remove", argc, argv);
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    if (remove_segment(id) == -1)
        lab_fail("shmctl");
    return 0;
}
