/*
 * Reference solution of lab 9, share (see docs/labs/share.md).
 *
 *     share KEY TEXT
 *
 * shmget(KEY, 1024, IPC_CREAT | IPC_EXCL | 0600); shmat(id, NULL, 0) once; fork(). The child
 * writes TEXT and a NUL at offset 0 through the attachment it inherited, shmdt, _exit(0).
 * The parent waitpids, prints "child wrote: TEXT" from the segment, shmdt, then IPC_RMID.
 * The same program as labs/c/share.c, finished.
 */
#include "lab.h" /* first: argument parsing, lab_fail, lab_print_share_text, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h> /* waitpid, WIFEXITED, WEXITSTATUS */
#include <unistd.h>   /* fork, _exit */

/* Creates a new segment of LAB_SHARE_SIZE (1024) bytes for `key`, mode 0600; EEXIST if `key`
 * already has one. Returns the id, or -1 with errno set. */
static int create_segment(key_t key)
{
    /* IPC_EXCL: the segment belongs to this run; someone else's is not ours to use or remove. */
    return shmget(key, LAB_SHARE_SIZE, IPC_CREAT | IPC_EXCL | 0600);
}

/* Attaches segment `id` for reading and writing, where the kernel chooses. Returns its
 * address, or (void *) -1 with errno set. */
static char *attach_segment(int id)
{
    return shmat(id, NULL, 0);
}

/* The child's work: stores the `len` bytes of `text` (1 to LAB_SHARE_TEXT_MAX) and a NUL
 * after them at offset 0 of the segment at `p`. */
static void write_text(char *p, const char *text, size_t len)
{
    if (len > LAB_SHARE_TEXT_MAX) /* cannot happen: lab_parse_share refused a longer TEXT */
        len = LAB_SHARE_TEXT_MAX;
    memcpy(p, text, len);
    p[len] = '\0';
}

/* Prints "child wrote: " and the bytes at `p` up to the first NUL, never more than the
 * segment's LAB_SHARE_SIZE bytes. */
static void print_text(const char *p)
{
    lab_print_share_text(p, strnlen(p, LAB_SHARE_SIZE));
}

/* Detaches the attachment at `p`; 0 on success, -1 with errno set. */
static int detach_segment(const char *p)
{
    return shmdt(p);
}

/* Removes segment `id`; 0 on success, -1 with errno set. */
static int remove_segment(int id)
{
    return shmctl(id, IPC_RMID, NULL);
}

/* After a failure in the parent: detaches (when `p` is not NULL) and removes the segment,
 * whatever those calls say, so that the run leaves nothing behind. Keeps errno, for
 * lab_fail. */
static void clean_up(int id, const char *p)
{
    int err = errno;
    if (p != NULL)
        detach_segment(p);
    remove_segment(id);
    errno = err;
}

int main(int argc, char **argv)
{
    struct lab_share_args args = lab_parse_share(argc, argv); /* exits 2 on bad usage */
    int id = create_segment(args.key);
    if (id == -1)
        lab_fail("shmget");
    char *p = attach_segment(id);
    if (p == (void *)-1) { /* not NULL! */
        clean_up(id, NULL);
        lab_fail("shmat");
    }

    /* Nothing is printed before the fork: the child would get a copy of anything still
     * waiting in stdout's buffer, and print it a second time when it exits. */
    pid_t child = fork();
    if (child == -1) {
        clean_up(id, p);
        lab_fail("fork");
    }
    if (child == 0) {
        /* The child: p is its own copy of the parent's attachment, mapping the same segment
         * at the same address. No shmat needed. */
        write_text(p, args.text, args.len);
        if (detach_segment(p) == -1)
            lab_fail("shmdt");
        _exit(0); /* at once: the child must never run the parent's code below */
    }

    /* The parent: wait until the child has ended, and see how it ended. */
    int status;
    if (waitpid(child, &status, 0) == -1) {
        clean_up(id, p);
        lab_fail("waitpid");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        clean_up(id, p);
        lab_fail_with("share", "child failed");
    }
    print_text(p); /* "child wrote: ..." */
    if (detach_segment(p) == -1)
        lab_fail("shmdt");
    if (remove_segment(id) == -1)
        lab_fail("shmctl");
    return 0;
}
