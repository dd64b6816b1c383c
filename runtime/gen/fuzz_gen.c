/* fuzz_gen.c - libFuzzer target for the generator's parsers.
 *
 * The input is lines: "app NAME", "target T", "kernel K", "disk D=P",
 * "data D", or a device spec.  Every accepted app is checked and rendered to all three
 * texts.  Built with -Dfuzz=true (clang, -fsanitize=fuzzer); without it the
 * same function runs over the regression corpus (tests/fuzz/replay.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct gen_app app = { .name = "app", .target = "unix", .memory_mib = 32 };
    char err[256];
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "app ", 4) == 0)
            app.name = line + 4;
        else if (strncmp(line, "target ", 7) == 0)
            app.target = line + 7;
        else if (strncmp(line, "kernel ", 7) == 0)
            app.kernel = line + 7;
        else if (strncmp(line, "disk ", 5) == 0)
            gen_add_disk(&app, line + 5, err, sizeof(err));
        else if (strncmp(line, "data ", 5) == 0)
            gen_add_data(&app, line + 5, err, sizeof(err));
        else
            gen_add_device(&app, line, err, sizeof(err));
    }
    if (gen_check(&app, err, sizeof(err)) == 0) {
        struct gen_buf b = { 0 };
        gen_main_c(&app, &b);
        gen_buf_free(&b);
        gen_header(&app, &b);
        gen_buf_free(&b);
        gen_xl(&app, &b);
        gen_buf_free(&b);
    }
    free(text);
    return 0;
}
