/* replay.c -- main() for a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once
 * on every file named, or inside a directory named, on the command line (each in a heap
 * buffer of its exact size, so ASan sees any overread), so every build replays the seed
 * corpus and saved reproducers, with gcc as well as clang.
 * Contract: exit 0 when at least one input ran and none failed; a failed property aborts
 * (fuzz.h); exit 1 on an unreadable path or when no input was found. */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        struct stat sb;
        if (!f || fstat(fileno(f), &sb) != 0) {
                perror(path);
                if (f)
                        fclose(f);
                return -1;
        }
        size_t size = (size_t)sb.st_size;
        uint8_t *data = malloc(size ? size : 1);
        if (!data || fread(data, 1, size, f) != size) {
                fprintf(stderr, "%s: cannot read\n", path);
                free(data);
                fclose(f);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(size ? data : NULL, size);
        free(data);
        return 1;
}

/* Inputs run from path (a file or the regular files of a directory); -1 on an error. */
static int run_path(const char *path)
{
        struct stat sb;
        if (stat(path, &sb) != 0) {
                perror(path);
                return -1;
        }
        if (!S_ISDIR(sb.st_mode))
                return run_file(path);
        DIR *d = opendir(path);
        if (!d) {
                perror(path);
                return -1;
        }
        int count = 0;
        struct dirent *e;
        char file[4096];
        while (count >= 0 && (e = readdir(d)) != NULL) {
                snprintf(file, sizeof file, "%s/%s", path, e->d_name);
                if (e->d_name[0] == '.' || stat(file, &sb) != 0 || !S_ISREG(sb.st_mode))
                        continue;
                count = run_file(file) < 0 ? -1 : count + 1;
        }
        closedir(d);
        return count;
}

int main(int argc, char **argv)
{
        int total = 0;
        for (int i = 1; i < argc; i++) {
                int n = run_path(argv[i]);
                if (n < 0)
                        return 1;
                total += n;
        }
        printf("replay: %d inputs, no failure\n", total);
        return total > 0 ? 0 : 1;
}
