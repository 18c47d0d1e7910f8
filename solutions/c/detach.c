/*
 * Reference solution of lab 4, detach (see docs/labs/detach.md).
 *
 *     detach KEY
 *
 * Access, shmat(id, NULL, SHM_RDONLY), print the text up to the first NUL, then shmdt
 * explicitly. The same program as labs/c/detach.c, finished.
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

/* Attaches segment `id` for reading, where the kernel chooses; (void *) -1 on failure. */
static const char *attach_segment(int id)
{
    /* Reading needs only read permission; a read-write attach would also need write. */
    return shmat(id, NULL, SHM_RDONLY);
}

/* Prints the text at `p` up to the first NUL or the segment's `size`, then a newline. */
static void print_segment_text(const char *p, size_t size)
{
    lab_print_text(p, strnlen(p, size));
}

/* Detaches the attachment at `p`; 0 on success, -1 with errno set. */
static int detach_segment(const char *p)
{
    return shmdt(p);
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("detach", argc, argv);
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    const char *p = attach_segment(id);
    if (p == (void *)-1)
        lab_fail("shmat");
    size_t size = lab_segment_size(id);
    print_segment_text(p, size); /* before shmdt: afterwards the memory is gone */
    if (detach_segment(p) == -1)
        lab_fail("shmdt");
    return 0;
}
