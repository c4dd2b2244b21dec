/*  edge_assert - always-on assertion for programming errors (never input).  */
#ifndef EDGE_ASSERT_H_INCLUDED
#define EDGE_ASSERT_H_INCLUDED

//  Log file:line and the expression, then abort.
_Noreturn void edge_assert_fail (const char *expr, const char *file, int line);

#define edge_assert(expr)                                                      \
    ((expr) ? (void) 0 : edge_assert_fail (#expr, __FILE__, __LINE__))
#endif
