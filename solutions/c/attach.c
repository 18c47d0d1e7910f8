/*
 * Reference solution of lab 3, attach (see docs/labs/attach.md).
 *
 *     attach KEY [--write TEXT] [--readonly]
 *
 * Access, shmat(id, NULL, 0 or SHM_RDONLY), then copy TEXT and its NUL to offset 0, or print
 * the text up to the first NUL (never past the segment's size). No shmdt: the kernel
 * detaches at exit. The same program as labs/c/attach.c, finished.
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

/* Attaches segment `id` where the kernel chooses, read-only if `readonly`. Returns its
 * address, or (void *) -1 with errno set. */
static char *attach_segment(int id, bool readonly)
{
    return shmat(id, NULL, readonly ? SHM_RDONLY : 0);
}

/* Copies `text` and its terminating NUL to offset 0 of the `size`-byte segment at `p`,
 * leaving every other byte alone; refuses a text that does not fit. */
static void write_text(char *p, size_t size, const char *text)
{
    size_t len = strlen(text) + 1; /* the text and its NUL */
    if (len > size)
        lab_fail_with("attach", "text does not fit in the segment");
    memcpy(p, text, len);
}

/* Prints the bytes at `p` from offset 0 up to the first NUL, or the whole `size`-byte
 * segment if it holds no NUL, then a newline. */
static void print_segment_text(const char *p, size_t size)
{
    lab_print_text(p, strnlen(p, size));
}

int main(int argc, char **argv)
{
    struct lab_attach_args args = lab_parse_attach(argc, argv);
    int id = access_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    char *p = attach_segment(id, args.readonly);
    if (p == (void *)-1)
        lab_fail("shmat");
    size_t size = lab_segment_size(id);
    if (args.text != NULL)
        write_text(p, size, args.text);
    else
        print_segment_text(p, size);
    /* No shmdt: the kernel detaches when the process exits (lab detach does it by hand). */
    return 0;
}
