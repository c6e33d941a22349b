/* child.h -- test helper: run a function in a forked child, for what must not happen in the
 * test process itself (an abort, or an invariant failure that must not abort there).
 * Header-only (static inline); include after cmocka.h. The child sets DS_CHECK_ABORT to
 * check_abort (NULL: unset; common/check.h reads it at the first failure) and exits with
 * fn's return value unless it dies first. */
#ifndef DS_TEST_CHILD_H
#define DS_TEST_CHILD_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Returns the child's wait status; err (when not NULL) gets what it wrote to stderr,
 * otherwise its stderr goes to /dev/null. */
static inline int run_child(const char *check_abort, int (*fn)(void), char *err, size_t errlen)
{
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                if (err)
                        dup2(fds[1], STDERR_FILENO);
                else if (!freopen("/dev/null", "w", stderr))
                        _exit(2);
                if (check_abort)
                        setenv("DS_CHECK_ABORT", check_abort, 1);
                else
                        unsetenv("DS_CHECK_ABORT");
                _exit(fn());
        }
        close(fds[1]);
        size_t n = 0;
        ssize_t r;
        while (err && n + 1 < errlen && (r = read(fds[0], err + n, errlen - 1 - n)) > 0)
                n += (size_t)r;
        if (err)
                err[n] = '\0';
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

/* True when the status is a death by abort(). */
static inline bool child_aborted(int status)
{
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

#endif
