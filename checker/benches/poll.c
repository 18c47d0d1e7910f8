/* For `cargo bench --bench bounds`: a create-lab program that then waits for a reader by
 * polling shmctl(IPC_STAT) without pause, as students write it; it never ends by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int id = shmget((key_t)strtol(argv[1], NULL, 0), (size_t)atol(argv[2]), IPC_CREAT | 0644);
    if (id == -1) { perror("shmget"); return 1; }
    printf("%d\n", id);
    fflush(stdout);
    struct shmid_ds ds;
    do {
        if (shmctl(id, IPC_STAT, &ds) == -1) return 1;
    } while (ds.shm_nattch == 0);
    return 0;
}
