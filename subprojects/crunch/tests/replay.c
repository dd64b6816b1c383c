/* replay.c - feeds each file of the given files and directories to the
 * libFuzzer target linked with it, without libFuzzer, so the regression
 * corpus is replayed by the unit suite (under valgrind and ASan too).
 * usage: replay FILE|DIR...; fails on an unreadable path or no input. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    static uint8_t buf[1 << 20]; /* corpus files are small; more is cut */
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    /* A copy of exactly n bytes, so that ASan and valgrind see overreads. */
    uint8_t *copy = malloc(n ? n : 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, buf, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    printf("replayed %s (%zu bytes)\n", path, n);
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        DIR *d = NULL;
        if (stat(argv[i], &st) != 0 ||
            (S_ISDIR(st.st_mode) && (d = opendir(argv[i])) == NULL)) {
            perror(argv[i]);
            return 1;
        }
        if (d == NULL) {
            if (run(argv[i]) < 0)
                return 1;
            count++;
            continue;
        }
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (run(path) < 0) {
                closedir(d);
                return 1;
            }
            count++;
        }
        closedir(d);
    }
    if (count == 0) {
        fprintf(stderr, "replay: no input files\n");
        return 1;
    }
    return 0;
}
