/* tests/xen/guests/bigoutput: 64 KiB of console output, 32 times the console
 * ring: the writer must wait for the backend (xenconsoled) to drain the
 * ring, and no byte may be lost. */
#include <string.h>
#include <mira/console.h>

int unikernel_start(struct mira_console *c)
{
    char line[128];
    memset(line, 'x', sizeof(line));
    for (int i = 0; i < 512; i++) {
        /* 128 bytes per line with the newline: "bigoutput NNN xxx..." */
        long n = mira_console_log(c, "bigoutput %03d %.113s", i, line);
        if (n < 0)
            return 1;
    }
    mira_console_log(c, "bigoutput: done");
    return 0;
}
