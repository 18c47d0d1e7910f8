/*
 * lab.h - the plumbing every C lab program shares, so that the labs themselves are only
 * about shared memory. The C twin of labs/src/lib.rs.
 *
 * Each lab (create.c, access.c, attach.c, detach.c, remove.c, stat.c, set.c, memo.c,
 * share.c) is one small program that follows the lab contract of docs/labs/README.md: it
 * reads its arguments, makes the System V calls, prints its result on stdout and exits with
 *
 *     0  success
 *     1  a call failed        (lab_fail prints "shmget: No such file or directory")
 *     2  bad usage            (the lab_parse_* functions do this for you)
 *
 * This file and lab.c do everything except the shared memory calls:
 *
 *   - Arguments: one struct per lab, filled by lab_parse_create, lab_parse_key,
 *     lab_parse_attach, lab_parse_set and lab_parse_share. KEY is read like strtol(s, NULL, 0) (decimal,
 *     0x hexadecimal or 0 octal), SIZE is decimal bytes, --mode is OCTAL (in base 8, like
 *     strtol(s, NULL, 8)), --uid and --gid are decimal. Options may come before, between or
 *     after KEY and SIZE, and --mode=600 works as well as --mode 600. Anything else prints
 *     one line on stderr and exits with status 2, before any shared memory call.
 *   - Failures: lab_fail("shmget") prints "shmget: <strerror(errno)>" on stderr, as
 *     perror("shmget") would, and exits 1.
 *   - Output: lab_print_id, lab_print_text and lab_print_stat print exactly what the
 *     contract asks for, and nothing else.
 *   - Unfinished work: lab_not_implemented("shmget") marks a TODO. It prints
 *     "not implemented: shmget" on stderr and exits 101, which the checker reports as
 *     "this lab is not implemented yet".
 *
 * Include lab.h FIRST in every lab file (before any system header): it asks the C library
 * for the POSIX/XSI declarations (shmget, key_t, strnlen, ...) even under -std=c99.
 *
 * Example, the whole access lab:
 *
 *     #include "lab.h"
 *
 *     int main(int argc, char **argv)
 *     {
 *         struct lab_key_args args = lab_parse_key("access", argc, argv);  // exits 2 on bad usage
 *         int id = shmget(args.key, 0, 0);
 *         if (id == -1)
 *             lab_fail("shmget");   // "shmget: No such file or directory", exit 1
 *         lab_print_id(id);          // "42\n"
 *         return 0;
 *     }
 *
 * Build with `make` (see Makefile), or by hand: cc -Wall -Wextra -O1 -g -o bin/access access.c lab.c
 */
#ifndef SHMLAB_LAB_H
#define SHMLAB_LAB_H

/* System V shared memory is part of POSIX's XSI option: ask for it unless the compiler
 * command line already chose a feature set. */
#if !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_XOPEN_SOURCE) \
    && !defined(_POSIX_C_SOURCE)
#define _XOPEN_SOURCE 700
#endif

#include <errno.h>     /* errno, which lab_fail reports */
#include <stdbool.h>   /* bool, true, false */
#include <stddef.h>    /* size_t */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>    /* strlen, strnlen, memcpy */
#include <sys/types.h> /* key_t, uid_t, gid_t */
#include <sys/ipc.h>   /* IPC_CREAT, IPC_EXCL, IPC_STAT, IPC_SET, IPC_RMID */
#include <sys/shm.h>   /* shmget, shmat, shmdt, shmctl, SHM_RDONLY, struct shmid_ds */

/* Marks a function that never returns (it calls exit). The compiler then knows that, for
 * instance, a function ending in lab_not_implemented(...) needs no return statement. */
#if defined(__GNUC__) || defined(__clang__)
#define LAB_NORETURN __attribute__((noreturn))
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define LAB_NORETURN _Noreturn
#else
#define LAB_NORETURN
#endif

/* Exit statuses of the contract. */
#define LAB_EXIT_FAILURE 1           /* a shared memory call failed */
#define LAB_EXIT_USAGE 2             /* bad usage */
#define LAB_EXIT_NOT_IMPLEMENTED 101 /* a TODO is still there (the same status as Rust's todo!()) */

/* The mode of a new segment when create is given no --mode. */
#define LAB_DEFAULT_MODE 0644

/* ---------------------------------------------------------------------------------------
 * Arguments, one struct per lab
 * ------------------------------------------------------------------------------------- */

/* create KEY SIZE [--mode OCTAL] [--exclusive] */
struct lab_create_args {
    key_t key;      /* the segment's key */
    size_t size;    /* the size to ask for, in bytes */
    int mode;       /* permission bits (at most 0777) for a new segment; 0644 without --mode */
    bool exclusive; /* --exclusive: fail if the key already has a segment (IPC_EXCL) */
};

/* access KEY, detach KEY, remove KEY, stat KEY */
struct lab_key_args {
    key_t key; /* the segment's key */
};

/* attach KEY [--write TEXT] [--readonly] */
struct lab_attach_args {
    key_t key;        /* the segment's key */
    const char *text; /* --write TEXT: the text to copy into the segment; NULL means read */
    bool readonly;    /* --readonly: attach with SHM_RDONLY (never together with --write) */
};

/* set KEY --mode OCTAL [--uid UID] [--gid GID] */
struct lab_set_args {
    key_t key;    /* the segment's key */
    int mode;     /* the new permission bits (at most 0777); --mode is required */
    bool has_uid; /* --uid was given ... */
    uid_t uid;    /* ... and this is the new owner (only meaningful when has_uid) */
    bool has_gid; /* --gid was given ... */
    gid_t gid;    /* ... and this is the new group (only meaningful when has_gid) */
};

/* share KEY TEXT */
struct lab_share_args {
    key_t key;        /* the key of the segment to create */
    const char *text; /* the text the child writes (argv's string, with its NUL) */
    size_t len;       /* strlen(text): 1 to LAB_SHARE_TEXT_MAX */
};

/* Each of these reads argv (argv[0] is the program's name and is skipped). On bad usage
 * (a missing or extra argument, an unknown or repeated option, a value that does not parse)
 * it prints one line on stderr, such as
 *     create: missing SIZE (usage: create KEY SIZE [--mode OCTAL] [--exclusive])
 * and exits with status 2. So when it returns, the arguments are good. */
struct lab_create_args lab_parse_create(int argc, char **argv);
struct lab_attach_args lab_parse_attach(int argc, char **argv);
struct lab_set_args lab_parse_set(int argc, char **argv);
/* TEXT must be 1 to LAB_SHARE_TEXT_MAX bytes. Like every argument, one starting with "--" is
 * taken as an option (and share has none) unless a lone "--" comes before it. */
struct lab_share_args lab_parse_share(int argc, char **argv);
/* For the labs that take only a KEY; `lab` ("access", "detach", ...) names it in messages. */
struct lab_key_args lab_parse_key(const char *lab, int argc, char **argv);

/* ---------------------------------------------------------------------------------------
 * Failures
 * ------------------------------------------------------------------------------------- */

/* Reports that `call` failed, and exits with status 1. Call it right after the failed call,
 * while errno still says why. It prints one line on stderr, perror-style:
 *     shmget: No such file or directory
 * Name the call that actually failed: "shmget", "shmat", "shmdt" or "shmctl". */
LAB_NORETURN void lab_fail(const char *call);

/* Reports a failure that has no errno as "WHAT: REASON" on stderr, and exits with status 1.
 * For example lab_fail_with("attach", "text does not fit in the segment"). */
LAB_NORETURN void lab_fail_with(const char *what, const char *reason);

/* Marks work still to do: prints "not implemented: WHAT" on stderr and exits with status
 * 101. The starters call it where your code goes; replace each call with your code. */
LAB_NORETURN void lab_not_implemented(const char *what);

/* ---------------------------------------------------------------------------------------
 * Output (stdout is exact: these print what the contract asks for, and nothing else)
 * ------------------------------------------------------------------------------------- */

/* Prints a segment id and a newline, like printf("%d\n", id). */
void lab_print_id(int id);

/* Prints the `len` bytes at `bytes` as they are, then a newline. It does not look for a NUL:
 * `len` says how many bytes to print (see strnlen in attach.c). */
void lab_print_text(const char *bytes, size_t len);

/* Prints the 14 lines of the stat lab for segment `id`, whose record `ds` was filled by
 * shmctl(id, IPC_STAT, ds):
 *     key: 0x00001234     (shm_perm.__key, as 0x%08x)
 *     shmid: 0            (id)
 *     size: 4096          (shm_segsz, the size that was asked for)
 *     mode: 0644          (the nine permission bits of shm_perm.mode, as %04o)
 *     uid: ... gid: ... cuid: ... cgid: ... cpid: ... lpid: ... nattch: ...
 *     atime: ... dtime: ... ctime: ...   (seconds since 1970; 0 = never)
 */
void lab_print_stat(int id, const struct shmid_ds *ds);

/* ---------------------------------------------------------------------------------------
 * Done for you in the attach and detach labs
 * ------------------------------------------------------------------------------------- */

/* The size of segment `id` in bytes (shm_segsz), so that you never read or write past its
 * end. It asks the kernel with shmctl(id, IPC_STAT, &ds), the call you write yourself in lab
 * 6 (the Rust labs' shm crate makes the same call after shmat); if that fails, it reports
 * "shmctl: ..." and exits with status 1. */
size_t lab_segment_size(int id);

/* ---------------------------------------------------------------------------------------
 * Lab memo: the questions, and its output
 * ------------------------------------------------------------------------------------- */

/* The most bytes of text lab memo stores, and the size of its segment (the text and a NUL). */
#define LAB_MEMO_TEXT_MAX 200
#define LAB_MEMO_SIZE (LAB_MEMO_TEXT_MAX + 1)

/* Prints `question` (no newline is added) and reads answer lines from stdin until one is "y"
 * or "n" (whitespace around it is ignored); after anything else it prints
 * "please answer y or n" and asks again. Returns true for y; false for n, and at end of
 * input. Once stdin has ended, every later question (lab_ask_line too) gets "end of input"
 * at once: the program never waits or loops at end of input. */
bool lab_ask_yes_no(const char *question);

/* Prints `prompt` (no newline is added) and reads one line from stdin into `buf`: at most
 * size - 1 bytes, then a NUL. The newline is not stored, nor a '\r' just before it; the rest
 * of a longer line is read and dropped (it is not taken as the next answer). Returns the
 * number of bytes stored (0 for an empty line), or -1 at end of input. */
long lab_ask_line(const char *prompt, char *buf, size_t size);

/* Prints lab memo's first line: "new segment: no text yet" when `text` is NULL (the segment
 * was just created), else "text: " and the `len` bytes at `text` as they are, then a
 * newline. */
void lab_print_memo_text(const char *text, size_t len);

/* Prints `line` and a newline, such as lab memo's "segment deleted". */
void lab_print_line(const char *line);

/* ---------------------------------------------------------------------------------------
 * Lab share: its sizes and its output
 * ------------------------------------------------------------------------------------- */

/* The most bytes of TEXT lab share takes, and the size of its segment (the text and a NUL). */
#define LAB_SHARE_TEXT_MAX 1023
#define LAB_SHARE_SIZE (LAB_SHARE_TEXT_MAX + 1)

/* Prints lab share's one line: "child wrote: " and the `len` bytes at `text` as they are,
 * then a newline. */
void lab_print_share_text(const char *text, size_t len);

#endif /* SHMLAB_LAB_H */
