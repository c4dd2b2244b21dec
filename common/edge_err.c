/*  edge_err - the outcome vocabulary; see edge_err.h.  */
#include "edge_err.h"
#include <stddef.h>
#include <string.h>

static const struct {
    int status;
    const char *code;
} s_table[] = {
#define S_ROW(name, status, code) {status, code},
    EDGE_ERR_MAP (S_ROW)
#undef S_ROW
};


int
edge_err_status (edge_err_t err)
{
    return (unsigned) err < EDGE_ERR_COUNT_ ? s_table[err].status : 500;
}


const char *
edge_err_code (edge_err_t err)
{
    return (unsigned) err < EDGE_ERR_COUNT_ ? s_table[err].code : "internal";
}


edge_err_t
edge_err_from_code (const char *code)
{
    for (size_t i = 0; code && i < EDGE_ERR_COUNT_; i++)
        if (strcmp (s_table[i].code, code) == 0)
            return (edge_err_t) i;
    return EDGE_ERR_COUNT_;
}
