/* The reference solution of the shmegegge assignment (assignments/shmegegge.toml): a
 * string of up to 200 characters kept in a shared memory segment between runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define KEY 0x5348
#define SIZE 256 /* room for 200 characters, their NUL, and more */

/* Reads a line into buf, without its newline; 0 at end of input. */
static int read_line(char *buf, int size)
{
    if (fgets(buf, size, stdin) == NULL)
        return 0;
    buf[strcspn(buf, "\n")] = '\0';
    return 1;
}

/* Asks a yes/no question; end of input counts as no. */
static int ask(const char *question)
{
    char answer[64];
    printf("%s [y/n] ", question);
    fflush(stdout);
    return read_line(answer, sizeof answer) && (answer[0] == 'y' || answer[0] == 'Y');
}

int main(void)
{
    int created = 0;
    int id = shmget(KEY, SIZE, 0666);
    if (id == -1 && errno == ENOENT) {
        id = shmget(KEY, SIZE, IPC_CREAT | IPC_EXCL | 0666);
        created = 1;
    }
    if (id == -1) {
        perror("shmget");
        return 1;
    }
    char *text = shmat(id, NULL, 0);
    if (text == (char *)-1) {
        perror("shmat");
        return 1;
    }
    if (created) {
        text[0] = '\0';
        printf("The segment was just created: it holds nothing yet.\n");
    } else {
        printf("The segment holds: \"%s\"\n", text);
    }
    if (ask("Change it?")) {
        char line[SIZE];
        printf("New text (at most 200 characters): ");
        fflush(stdout);
        if (read_line(line, 201)) {
            strcpy(text, line);
        }
    }
    int remove = ask("Delete the segment?");
    if (shmdt(text) == -1) {
        perror("shmdt");
        return 1;
    }
    if (remove) {
        if (shmctl(id, IPC_RMID, NULL) == -1) {
            perror("shmctl");
            return 1;
        }
        printf("Deleted.\n");
    }
    return 0;
}
