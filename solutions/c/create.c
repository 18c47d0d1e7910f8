/*
 * Reference solution of lab 1, create (see docs/labs/create.md).
 *
 *     create KEY SIZE [--mode OCTAL] [--exclusive]
 *
 * shmget(KEY, SIZE, IPC_CREAT [| IPC_EXCL] | MODE), then print the id. The same program as
 * labs/c/create.c, finished.
 */
#include "lab.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Creates the segment for args->key, or finds the existing one, and returns its id
 * (-1 with errno set when shmget fails). */
static int create_segment(const struct lab_create_args *args)
{
    /* Without the mode bits a new segment would get mode 0000: nobody could attach it. */
    int flags = IPC_CREAT | args->mode;
    if (args->exclusive)
        flags |= IPC_EXCL;
    return shmget(args->key, args->size, flags);
}

int main(int argc, char **argv)
{
    struct lab_create_args args = lab_parse_create(argc, argv);
    int id = create_segment(&args);
    if (id == -1) /* -1 is the error; 0 is a valid id */
        lab_fail("shmget");
    lab_print_id(id);
    return 0;
}
