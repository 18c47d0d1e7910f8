/*
 * Lab 8, memo: the course's assignment, a text kept in shared memory between runs.
 *
 *     memo KEY
 *
 * Connects to the segment for KEY, creating it (201 bytes, mode 0644) if there is none, and
 * attaches it. Shows the text stored there, or says the segment is new; asks whether to
 * change the text, and if so stores the new one (at most 200 bytes and a NUL); asks whether
 * to delete the segment; detaches, and removes the segment if asked. Run it several times
 * with the same KEY: the text stays between runs.
 *
 * Read docs/labs/memo.md, replace the TODOs below, then build and check:
 *     cargo shmlab check --lang c memo      (or: make && cargo shmlab check memo --program bin/memo)
 */
#include "lab.h" /* first: argument parsing, the questions, lab_fail, ... */

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

/* Finds the segment for `key` or creates it (LAB_MEMO_SIZE bytes, mode 0644). Sets *created
 * to whether this call created it. Returns the id, or -1 with errno set. */
static int connect_segment(key_t key, bool *created)
{
    /* TODO (docs/labs/memo.md): create the segment exclusively (LAB_MEMO_SIZE bytes, mode
     * 0644), so that you know which case you are in; when it already exists (which errno?),
     * open it as in access.c. Set *created to whether this call created it, and return the
     * id, or -1 with errno set. Then delete the three lines below. */
    (void)key;
    (void)created;
    lab_not_implemented("shmget");
}

/* Attaches segment `id` for reading and writing, where the kernel chooses. Returns its
 * address, or (void *) -1 with errno set when shmat fails. */
static char *attach_segment(int id)
{
    /* TODO (lab 3, docs/labs/attach.md): attach for reading and writing, where the kernel
     * chooses. Then delete the two lines below. */
    (void)id;
    lab_not_implemented("shmat");
}

/* Prints "text: " and the stored text: the bytes at `p` up to the first NUL, never more than
 * LAB_MEMO_TEXT_MAX (even in a larger segment that holds no NUL). */
static void print_stored_text(const char *p)
{
    /* TODO (docs/labs/memo.md): print the text with lab_print_memo_text, up to the first NUL
     * but never more than LAB_MEMO_TEXT_MAX bytes. Then delete the two lines below. */
    (void)p;
    lab_not_implemented("read the text");
}

/* Stores the `len` bytes of `text` (len <= LAB_MEMO_TEXT_MAX, no newline) and a NUL after
 * them at offset 0 of the segment at `p`. */
static void write_text(char *p, const char *text, size_t len)
{
    /* TODO (docs/labs/memo.md): store the `len` bytes of the text at the start of the
     * segment, then one NUL just after them; nothing past offset LAB_MEMO_TEXT_MAX. Then
     * delete the four lines below. */
    (void)p;
    (void)text;
    (void)len;
    lab_not_implemented("write the text");
}

/* Detaches the attachment at `p`; 0 on success, -1 with errno set. */
static int detach_segment(const char *p)
{
    /* TODO (lab 4, docs/labs/detach.md): detach, as in detach.c. Then delete the two lines
     * below. */
    (void)p;
    lab_not_implemented("shmdt");
}

/* Removes segment `id`; 0 on success, -1 with errno set. */
static int remove_segment(int id)
{
    /* TODO (lab 5, docs/labs/remove.md): remove the segment, as in remove.c. Then delete the
     * two lines below. */
    (void)id;
    lab_not_implemented("shmctl");
}

int main(int argc, char **argv)
{
    struct lab_key_args args = lab_parse_key("memo", argc, argv); /* exits 2 on bad usage */
    bool created = false;
    int id = connect_segment(args.key, &created);
    if (id == -1)
        lab_fail("shmget");
    /* An existing segment must have room for the text and its NUL (done for you, see lab.h). */
    if (!created && lab_segment_size(id) < LAB_MEMO_SIZE)
        lab_fail_with("memo", "segment too small");
    char *p = attach_segment(id);
    if (p == (void *)-1) /* not NULL! */
        lab_fail("shmat");
    if (created)
        lab_print_memo_text(NULL, 0); /* "new segment: no text yet" */
    else
        print_stored_text(p);

    /* The questions (see lab.h): end of input counts as "n", and as "no new text". */
    if (lab_ask_yes_no("change the text? [y/n] ")) {
        char text[LAB_MEMO_TEXT_MAX + 1]; /* at most 200 bytes and lab_ask_line's NUL */
        long len = lab_ask_line("new text: ", text, sizeof text);
        if (len != -1)
            write_text(p, text, (size_t)len);
    }
    bool delete = lab_ask_yes_no("delete the segment? [y/n] ");

    /* Detach in every case, before removing: the memory is no longer ours afterwards. */
    if (detach_segment(p) == -1)
        lab_fail("shmdt");
    if (delete) {
        if (remove_segment(id) == -1)
            lab_fail("shmctl");
        lab_print_line("segment deleted");
    }
    return 0;
}
