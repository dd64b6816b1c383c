/* Unit tests of console-unix: what the app logs reaches the fd, exactly. */
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <mira/console_unix.h>

static void read_all(int fd, char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

static void test_log_lines(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct mira_console *c = NULL;
    assert_int_equal(mira_console_unix_connect_fd(&c, "console0", p[1]), 0);
    assert_string_equal(mira_console_name(c), "console0");
    assert_int_equal(mira_console_log(c, "hello"), 6);
    assert_int_equal(mira_console_log(c, "%s %d", "world", 42), 9);
    assert_int_equal(mira_console_write(c, "raw", 3), 3);
    close(p[1]);
    char buf[64];
    read_all(p[0], buf, sizeof(buf));
    close(p[0]);
    assert_string_equal(buf, "hello\nworld 42\nraw");
    mira_console_close(c);
}

static void test_long_line_is_cut(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct mira_console *c = NULL;
    assert_int_equal(mira_console_unix_connect_fd(&c, "console0", p[1]), 0);
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    long n = mira_console_log(c, "%s", big);
    assert_int_equal(n, 1023); /* 1022 characters and the newline */
    close(p[1]);
    char buf[4096];
    read_all(p[0], buf, sizeof(buf));
    close(p[0]);
    assert_int_equal(strlen(buf), 1023);
    assert_int_equal(buf[1022], '\n');
    mira_console_close(c);
}

static void test_write_error(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]); /* no reader: write fails with EPIPE (SIGPIPE ignored) */
    signal(SIGPIPE, SIG_IGN);
    struct mira_console *c = NULL;
    assert_int_equal(mira_console_unix_connect_fd(&c, "console0", p[1]), 0);
    assert_int_equal(mira_console_log(c, "lost"), MIRA_EIO);
    close(p[1]);
    mira_console_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_long_line_is_cut),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests_name("console-unix", tests, NULL, NULL);
}
