/* test_check.c -- unit tests for common/check.c.
 * Contract: ds_fails() returns true, logs FILE:LINE and the expression, and counts when its
 * condition is false (recover mode), and returns false without a trace when it holds; with
 * DS_CHECK_ABORT=1 it aborts; ds_require() and ds_oom() abort in every mode; the ds_x*alloc
 * wrappers return usable memory. The mode is read once per process, so every case that
 * breaks an invariant runs in a forked child with the environment it needs (ctest sets
 * DS_CHECK_ABORT=1 for this process too). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/check.h"
#include "child.h"

#include <signal.h>
#include <string.h>

/* What a forked child did: its wait status and what it wrote to stderr. */
struct child {
        int status;
        char err[1024];
};

static void run(struct child *c, const char *mode, int (*fn)(void))
{
        c->status = run_child(mode, fn, c->err, sizeof(c->err));
}

static int evaluations;

static int count_eval(int v)
{
        evaluations++;
        return v;
}

/* Exit code 0 when every expectation held, else the number of the first that did not. */
static int recover_mode(void)
{
        if (ds_check_failures() != 0)
                return 10;
        if (!ds_fails(count_eval(1) == 2))
                return 11;
        if (evaluations != 1) /* the condition is evaluated exactly once */
                return 12;
        if (ds_check_failures() != 1)
                return 13;
        if (ds_fails(count_eval(2) == 2)) /* a holding invariant is not a failure */
                return 14;
        if (ds_check_failures() != 1 || evaluations != 2)
                return 15;
        int recovered = 0;
        for (int i = 0; i < 3; i++)
                if (ds_fails(i < 0))
                        recovered++;
        return recovered == 3 && ds_check_failures() == 4 ? 0 : 16;
}

static void t_fails_recovers_and_counts(void **st)
{
        (void)st;
        struct child c;
        run(&c, NULL, recover_mode);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 0);
        /* one line per failure, naming file, line and the expression */
        assert_non_null(strstr(c.err, "invariant failed: "));
        assert_non_null(strstr(c.err, "test_check.c:"));
        assert_non_null(strstr(c.err, "count_eval(1) == 2"));
        assert_null(strstr(c.err, "count_eval(2) == 2"));
        unsigned lines = 0;
        for (const char *p = c.err; (p = strchr(p, '\n')); p++)
                lines++;
        assert_int_equal(lines, 4);
}

static void t_fails_recovers_unless_mode_is_1(void **st)
{
        (void)st;
        struct child c;
        run(&c, "0", recover_mode); /* only "1" asks for aborts */
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 0);
}

static int break_one(void)
{
        if (ds_fails(1 + 1 == 3))
                return 0; /* recovered: the abort mode did not abort */
        return 1;
}

static void t_fails_aborts_in_abort_mode(void **st)
{
        (void)st;
        struct child c;
        run(&c, "1", break_one);
        assert_true(WIFSIGNALED(c.status));
        assert_int_equal(WTERMSIG(c.status), SIGABRT);
        assert_non_null(strstr(c.err, "1 + 1 == 3"));
        assert_int_equal(ds_check_failures(), 0); /* the parent saw nothing */
}

static int require_fails(void)
{
        ds_require(sizeof(int) == 1);
        return 0;
}

static int require_holds(void)
{
        ds_require(sizeof(char) == 1);
        return 7;
}

static void t_require(void **st)
{
        (void)st;
        struct child c;
        run(&c, NULL, require_fails); /* aborts even in recover mode */
        assert_true(WIFSIGNALED(c.status));
        assert_int_equal(WTERMSIG(c.status), SIGABRT);
        assert_non_null(strstr(c.err, "cannot recover"));
        assert_non_null(strstr(c.err, "sizeof(int) == 1"));
        run(&c, "1", require_holds);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 7);
        assert_string_equal(c.err, "");
}

static int oom(void)
{
        ds_oom("a test buffer", 12345);
}

static void t_oom_aborts_naming_what(void **st)
{
        (void)st;
        struct child c;
        run(&c, NULL, oom);
        assert_true(WIFSIGNALED(c.status));
        assert_int_equal(WTERMSIG(c.status), SIGABRT);
        assert_non_null(strstr(c.err, "12345 bytes for a test buffer"));
}

static void t_xalloc(void **st)
{
        (void)st;
        unsigned char *p = ds_xmalloc(100, "test");
        memset(p, 0xab, 100);
        unsigned *z = ds_xcalloc(50, sizeof(*z), "test");
        for (unsigned i = 0; i < 50; i++)
                assert_int_equal(z[i], 0);
        p = ds_xrealloc(p, 100000, "test");
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(p[i], 0xab); /* contents survive the move */
        memset(p, 1, 100000);
        void *zero = ds_xmalloc(0, "test"); /* zero bytes is still a freeable pointer */
        assert_non_null(zero);
        free(zero);
        free(z);
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_fails_recovers_and_counts),
            cmocka_unit_test(t_fails_recovers_unless_mode_is_1),
            cmocka_unit_test(t_fails_aborts_in_abort_mode),
            cmocka_unit_test(t_require),
            cmocka_unit_test(t_oom_aborts_naming_what),
            cmocka_unit_test(t_xalloc),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
