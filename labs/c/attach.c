/*
 * Lab 3, attach: map a segment into this process and use it like memory.
 *
 *     attach KEY [--write TEXT] [--readonly]
 *
 * Finds the segment, attaches it (read-only with --readonly), then either copies TEXT and
 * its terminating NUL to the start of the segment (printing nothing), or prints what the
 * segment holds up to its first NUL. It does not detach: exiting does (lab 4 does it by hand).
 *
 * Read docs/labs/attach.md, replace the TODOs below, then build and check:
 *     cargo shmlab check --lang c attach      (or: make && cargo shmlab check attach --program bin/attach)
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

/* Attaches segment `id` where the kernel chooses, read-only if `readonly`. Returns its
 * address, or (void *) -1 with errno set when shmat fails. */
static char *attach_segment(int id, bool readonly)
{
    /* TODO (docs/labs/attach.md): attach the segment where the kernel chooses (no address of
     * your own), read-only when `readonly`, for reading and writing otherwise. On failure the
     * call returns (void *) -1, not NULL; return what it returns. Then delete the three lines
     * below. */
    (void)id;
    (void)readonly;
    lab_not_implemented("shmat");
}

/* Copies `text` and its terminating NUL to offset 0 of the `size`-byte segment at `p`,
 * leaving every other byte alone; refuses a text that does not fit. */
static void write_text(char *p, size_t size, const char *text)
{
    /* TODO (docs/labs/attach.md): copy the text and its terminating NUL (the next reader stops
     * there) to the start of the segment, after checking that they fit in `size` bytes; when
     * they do not, lab_fail_with("attach", "text does not fit in the segment"). Not
     * sizeof(text): for a char * that is the size of a pointer. Then delete the four lines below. */
    (void)p;
    (void)size;
    (void)text;
    lab_not_implemented("write the text");
}

/* Prints the bytes at `p` from offset 0 up to the first NUL, or the whole `size`-byte
 * segment if it holds no NUL, then a newline. */
static void print_segment_text(const char *p, size_t size)
{
    /* TODO (docs/labs/attach.md): print the text at `p` with lab_print_text, up to the first
     * NUL but never past `size` bytes (printf("%s") does not stop at the end of a segment
     * that holds no NUL). Then delete the three lines below. */
    (void)p;
    (void)size;
    lab_not_implemented("read the text");
}

int main(int argc, char **argv)
{
    struct lab_attach_args args = lab_parse_attach(argc, argv); /* exits 2 on bad usage */
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    char *p = attach_segment(id, args.readonly);
    if (p == (void *)-1) /* not NULL! */
        lab_fail("shmat"); /* "shmat: Permission denied", exit status 1 */
    size_t size = lab_segment_size(id); /* shm_segsz: done for you (see lab.h) */
    if (args.text != NULL)
        write_text(p, size, args.text); /* --write TEXT: nothing on stdout */
    else
        print_segment_text(p, size);
    /* No shmdt: the kernel detaches when the process exits (lab detach does it by hand). */
    return 0;
}
