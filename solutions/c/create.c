//> /*
//>  * Lab 1, create: make a System V shared memory segment.
//>  *
//>  *     create KEY SIZE [--mode OCTAL] [--exclusive]
//>  *
//>  * Creates the segment named KEY, SIZE bytes long, with permissions MODE (0644 unless --mode
//>  * is given), or finds the one that already exists; with --exclusive an existing segment is
//>  * an error (EEXIST). Prints the segment's id.
//>  *
//>  * Read docs/labs/create.md, replace the TODO below, then build and check:
//>  *     cargo shmlab check --lang c create      (or: make && cargo shmlab check create --program bin/create)
//>  */
// BEGIN SOLUTION
/*
 * Reference solution of lab 1, create (see docs/labs/create.md).
 *
 *     create KEY SIZE [--mode OCTAL] [--exclusive]
 *
 * shmget(KEY, SIZE, IPC_CREAT [| IPC_EXCL] | MODE), then print the id. The same program as
 * labs/c/create.c, finished.
 */
// END SOLUTION
#include "lab.h" /* first: argument parsing, lab_fail, lab_print_id, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Creates the segment for args->key, or finds the existing one, and returns its id
 * (-1 with errno set when shmget fails). */
static int create_segment(const struct lab_create_args *args)
{
    //> /* TODO (docs/labs/create.md): ask the kernel for the segment of args->key, args->size
    //>  * bytes long, creating it if there is none, with the permission bits of args->mode; with
    //>  * --exclusive (args->exclusive) an existing segment must be an error. One call does it:
    //>  * which flags does it need? Return what it returns. Then delete the two lines below. */
    //> (void)args;
    //> lab_not_implemented("shmget");
    // BEGIN SOLUTION
    /* Without the mode bits a new segment would get mode 0000: nobody could attach it. */
    int flags = IPC_CREAT | args->mode;
    if (args->exclusive)
        flags |= IPC_EXCL;
    return shmget(args->key, args->size, flags);
    // END SOLUTION
}

int main(int argc, char **argv)
{
    struct lab_create_args args = lab_parse_create(argc, argv); /* exits 2 on bad usage */
    int id = create_segment(&args);
    if (id == -1)             /* -1 is the error; 0 is a valid id */
        lab_fail("shmget");   /* "shmget: File exists", exit status 1 */
    lab_print_id(id);
    return 0;
}
