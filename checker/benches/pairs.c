/* For `cargo bench --bench bounds`: a create-lab program that attaches and detaches its
 * segment 50 000 times before it prints the id (PAIRS in the environment changes the count). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int id = shmget((key_t)strtol(argv[1], NULL, 0), (size_t)atol(argv[2]), IPC_CREAT | 0644);
    if (id == -1) { perror("shmget"); return 1; }
    for (int i = 0; i < 50000; i++) {
        void *p = shmat(id, NULL, 0);
        if (p == (void *)-1) { perror("shmat"); return 1; }
        shmdt(p);
    }
    printf("%d\n", id);
    return 0;
}
