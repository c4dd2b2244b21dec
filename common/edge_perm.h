/*  edge_perm - the permission resources, their maxima and the CRUDX bits
    (architecture §6).  */
#ifndef EDGE_PERM_H_INCLUDED
#define EDGE_PERM_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>

#define EDGE_PERM_C 1
#define EDGE_PERM_R 2
#define EDGE_PERM_U 4
#define EDGE_PERM_D 8
#define EDGE_PERM_X 16
#define EDGE_PERM_COUNT 12

//  Resource name of index i (0..EDGE_PERM_COUNT-1), in documented order:
//  apps beUsers bundles consumption dependencies deployments keys roles
//  sources subscriptions tasks trainings. Static.
const char *edge_perm_name (size_t i);
//  Index of a resource name, or -1.
int edge_perm_index (const char *name);
//  Maximum value of resource i (15, 31, 6 or 2).
int edge_perm_max (size_t i);
//  True when value is a valid grant for resource i: 0..max, only its bits.
bool edge_perm_is_valid (size_t i, long long value);
//  The letter of one bit: 'C','R','U','D','X' (or '?').
char edge_perm_letter (int bit);
//  Letters of the bits in mask, e.g. "CRUD" for 15, into buf (>= 6 bytes).
void edge_perm_letters (int mask, char *buf, size_t size);
#endif
