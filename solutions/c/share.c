//> /*
//>  * Lab 9, share: two processes sharing one segment through fork.
//>  *
//>  *     share KEY TEXT
//>  *
//>  * Creates a 1024-byte segment for KEY (it must not exist yet) and attaches it, then forks.
//>  * The child writes TEXT and a NUL into the segment through the attachment it inherited,
//>  * detaches and exits. The parent waits for the child, prints "child wrote: TEXT" from what
//>  * it reads in the segment, detaches and removes the segment.
//>  *
//>  * Read docs/labs/share.md, replace the TODOs below, then build and check:
//>  *     cargo shmlab check --lang c share   (or: make && cargo shmlab check share --program bin/share)
//>  */
// BEGIN SOLUTION
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
// END SOLUTION
#include "lab.h" /* first: argument parsing, lab_fail, lab_print_share_text, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h> /* waitpid, WIFEXITED, WEXITSTATUS */
#include <unistd.h>   /* fork, _exit */

/* Creates a new segment of LAB_SHARE_SIZE (1024) bytes for `key`, mode 0600. It must be
 * new: if `key` already has a segment, that is an error (EEXIST), not a segment to use.
 * Returns the id, or -1 with errno set. */
static int create_segment(key_t key)
{
    //> /* TODO (docs/labs/share.md): create a new segment for `key`, LAB_SHARE_SIZE bytes, mode
    //>  * 0600: an existing one must be an error, as with create's --exclusive. Then delete the
    //>  * two lines below. */
    //> (void)key;
    //> lab_not_implemented("shmget");
    // BEGIN SOLUTION
    /* IPC_EXCL: the segment belongs to this run; someone else's is not ours to use or remove. */
    return shmget(key, LAB_SHARE_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    // END SOLUTION
}

/* Attaches segment `id` for reading and writing, where the kernel chooses. Called once, by
 * the parent, before the fork. Returns its address, or (void *) -1 with errno set. */
static char *attach_segment(int id)
{
    //> /* TODO (lab 3, docs/labs/attach.md): attach for reading and writing, where the kernel
    //>  * chooses. Then delete the two lines below. */
    //> (void)id;
    //> lab_not_implemented("shmat");
    // BEGIN SOLUTION
    return shmat(id, NULL, 0);
    // END SOLUTION
}

/* The child's work: stores the `len` bytes of `text` (1 to LAB_SHARE_TEXT_MAX) and a NUL
 * after them at offset 0 of the segment at `p`, the attachment inherited from the parent. */
static void write_text(char *p, const char *text, size_t len)
{
    //> /* TODO (docs/labs/share.md): copy the text and its NUL (`len` + 1 bytes) to the start of
    //>  * the segment itself, through `p`. Then delete the four lines below. */
    //> (void)p;
    //> (void)text;
    //> (void)len;
    //> lab_not_implemented("write the text");
    // BEGIN SOLUTION
    if (len > LAB_SHARE_TEXT_MAX) /* cannot happen: lab_parse_share refused a longer TEXT */
        len = LAB_SHARE_TEXT_MAX;
    memcpy(p, text, len);
    p[len] = '\0';
    // END SOLUTION
}

/* The parent's reading, once the child has ended: prints "child wrote: " and the bytes at
 * `p` up to the first NUL, never more than the segment's LAB_SHARE_SIZE bytes. */
static void print_text(const char *p)
{
    //> /* TODO (docs/labs/share.md): print the text with lab_print_share_text, up to the first
    //>  * NUL but never past LAB_SHARE_SIZE bytes. Then delete the two lines below. */
    //> (void)p;
    //> lab_not_implemented("read the text");
    // BEGIN SOLUTION
    lab_print_share_text(p, strnlen(p, LAB_SHARE_SIZE));
    // END SOLUTION
}

/* Detaches the attachment at `p`; 0 on success, -1 with errno set. The child and the parent
 * each detach their own. */
static int detach_segment(const char *p)
{
    //> /* TODO (lab 4, docs/labs/detach.md): detach, as in detach.c. Then delete the two lines
    //>  * below. */
    //> (void)p;
    //> lab_not_implemented("shmdt");
    // BEGIN SOLUTION
    return shmdt(p);
    // END SOLUTION
}

/* Removes segment `id`; 0 on success, -1 with errno set. The parent calls it last, after its
 * own shmdt: by then the child has detached and exited, so the segment goes at once. */
static int remove_segment(int id)
{
    //> /* TODO (lab 5, docs/labs/remove.md): remove the segment, as in remove.c. Then delete the
    //>  * two lines below. */
    //> (void)id;
    //> lab_not_implemented("shmctl");
    // BEGIN SOLUTION
    return shmctl(id, IPC_RMID, NULL);
    // END SOLUTION
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
