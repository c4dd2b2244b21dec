/*  edge_perm - permission resources and bits.  */
#include "edge_perm.h"
#include <string.h>

static const struct {
    const char *name;
    int max;
} s_resources[EDGE_PERM_COUNT] = {
    {"apps", 15},     {"beUsers", 15},     {"bundles", 15},
    {"consumption", 2}, {"dependencies", 15}, {"deployments", 15},
    {"keys", 15},     {"roles", 15},       {"sources", 15},
    {"subscriptions", 15}, {"tasks", 31},  {"trainings", 6},
};


const char *
edge_perm_name (size_t i)
{
    return i < EDGE_PERM_COUNT ? s_resources[i].name : NULL;
}


int
edge_perm_index (const char *name)
{
    for (size_t i = 0; name && i < EDGE_PERM_COUNT; i++)
        if (strcmp (s_resources[i].name, name) == 0)
            return (int) i;
    return -1;
}


int
edge_perm_max (size_t i)
{
    return i < EDGE_PERM_COUNT ? s_resources[i].max : 0;
}


bool
edge_perm_is_valid (size_t i, long long value)
{
    if (i >= EDGE_PERM_COUNT || value < 0 || value > s_resources[i].max)
        return false;
    return (value & ~(long long) s_resources[i].max) == 0;
}


char
edge_perm_letter (int bit)
{
    switch (bit) {
        case EDGE_PERM_C:
            return 'C';
        case EDGE_PERM_R:
            return 'R';
        case EDGE_PERM_U:
            return 'U';
        case EDGE_PERM_D:
            return 'D';
        case EDGE_PERM_X:
            return 'X';
        default:
            return '?';
    }
}


void
edge_perm_letters (int mask, char *buf, size_t size)
{
    size_t n = 0;
    for (int bit = 1; bit <= EDGE_PERM_X && n + 1 < size; bit <<= 1)
        if (mask & bit)
            buf[n++] = edge_perm_letter (bit);
    if (size)
        buf[n < size ? n : size - 1] = 0;
}
