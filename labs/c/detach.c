/*
 * Lab 4, detach: attach, read, and detach explicitly.
 *
 *     detach KEY
 *
 * Finds the segment, attaches it, prints what it holds up to its first NUL, then detaches
 * with shmdt before exiting: the attachment count goes back down and the detach time is
 * set, while other processes' attachments stay.
 *
 * Read docs/labs/detach.md, replace the TODOs below, then build and check:
 *     cargo shmlab check --lang c detach      (or: make && cargo shmlab check detach --program bin/detach)
 */
#include "lab.h" /* first: argument parsing, lab_fail, lab_print_text, ... */

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

/* Attaches segment `id` for reading, where the kernel chooses. Returns its address, or
 * (void *) -1 with errno set when shmat fails. */
static const char *attach_segment(int id)
{
    /* TODO (docs/labs/detach.md): attach the segment where the kernel chooses, asking only
     * for what reading needs (and so needing only read permission). Then delete the two lines
     * below. */
    (void)id;
    lab_not_implemented("shmat");
}

/* Prints the text at `p` up to the first NUL or the segment's `size`, then a newline. */
static void print_segment_text(const char *p, size_t size)
{
    /* TODO (as in attach.c): print the text up to the first NUL, never past `size` bytes.
     * Then delete the three lines below. */
    (void)p;
    (void)size;
    lab_not_implemented("read the text");
}

/* Detaches the attachment at `p`; 0 on success, -1 with errno set. `p` cannot be used
 * afterwards. */
static int detach_segment(const char *p)
{
    /* TODO (docs/labs/detach.md): detach. Which does the call take: the id, or the address
     * the attach gave you? Then delete the two lines below. */
    (void)p;
    lab_not_implemented("shmdt");
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("detach", argc, argv); /* exits 2 on bad usage */
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    const char *p = attach_segment(id);
    if (p == (void *)-1) /* not NULL! */
        lab_fail("shmat");
    size_t size = lab_segment_size(id); /* shm_segsz: done for you (see lab.h) */
    print_segment_text(p, size); /* read first: after shmdt the memory is no longer yours */
    if (detach_segment(p) == -1)
        lab_fail("shmdt");
    return 0;
}
