/* The benchmark's program: ordinary system calls, a few shm calls, and a loop of
 * shmat/shmdt pairs. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* argv[1]: how many ordinary calls (default 100000); argv[2]: how many shmat/shmdt pairs
 * (default 0). */
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    long pairs = argc > 2 ? atol(argv[2]) : 0;
    long sum = 1;
    for (long i = 0; i < n; i++)
        sum += syscall(SYS_getppid);
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (id == -1) { perror("shmget"); return 1; }
    char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) { perror("shmat"); return 1; }
    strcpy(p, "benchmark");
    for (long i = 0; i < pairs; i++) {
        char *q = shmat(id, NULL, SHM_RDONLY);
        if (q == (void *)-1) { perror("shmat"); return 1; }
        sum += q[0];
        if (shmdt(q) == -1) { perror("shmdt"); return 1; }
    }
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    shmdt(p);
    shmctl(id, IPC_RMID, NULL);
    return sum == 0;
}
