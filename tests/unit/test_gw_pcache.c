/*  test_gw_pcache - the principal cache: hits, expiry counted from the
    lookup's start, eviction when a set is full, process-wide
    invalidation, a disabled cache, and keys that never collide across
    credentials. Time is passed in: no test sleeps.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "gw_pcache.h"
#include <stdio.h>
#include <string.h>

//  A principal whose username is name.
static gw_principal_t
s_principal (const char *name)
{
    gw_principal_t p;
    memset (&p, 0, sizeof p);
    snprintf (p.org, sizeof p.org, "acme");
    snprintf (p.username, sizeof p.username, "%s", name);
    p.perms[0] = 15;
    return p;
}


static void
test_new_and_destroy_nullify (void **state)
{
    (void) state;
    gw_pcache_t *cache = gw_pcache_new (8, 1000);
    assert_non_null (cache);
    assert_int_equal (gw_pcache_size (cache), 0);
    assert_int_equal (gw_pcache_ttl_ms (cache), 1000);
    gw_pcache_destroy (&cache);
    assert_null (cache);
    gw_pcache_destroy (&cache); //  NULL-safe
    gw_pcache_destroy (NULL);
}


static void
test_a_put_principal_is_a_hit_with_its_rights (void **state)
{
    (void) state;
    gw_pcache_t *cache = gw_pcache_new (16, 1000);
    gw_pcache_key_t key;
    gw_pcache_key_token ("tok-1", &key);
    gw_principal_t in = s_principal ("boss"), out;
    assert_false (gw_pcache_get (cache, &key, 100, &out)); //  empty
    gw_pcache_put (cache, &key, 100, gw_pcache_epoch (), -1, &in);
    assert_true (gw_pcache_get (cache, &key, 100, &out));
    assert_memory_equal (&in, &out, sizeof in);
    assert_int_equal (gw_pcache_size (cache), 1);
    //  another credential is a miss
    gw_pcache_key_t other;
    gw_pcache_key_token ("tok-2", &other);
    assert_false (gw_pcache_get (cache, &other, 100, &out));
    gw_pcache_destroy (&cache);
}


static void
test_an_entry_expires_ttl_after_its_lookup_started (void **state)
{
    (void) state;
    gw_pcache_t *cache = gw_pcache_new (16, 1000);
    gw_pcache_key_t key;
    gw_pcache_key_token ("tok", &key);
    gw_principal_t in = s_principal ("boss"), out;
    gw_pcache_put (cache, &key, 5000, gw_pcache_epoch (), -1, &in);
    assert_true (gw_pcache_get (cache, &key, 5000, &out));
    assert_true (gw_pcache_get (cache, &key, 5999, &out));
    assert_false (gw_pcache_get (cache, &key, 6000, &out));
    assert_false (gw_pcache_get (cache, &key, 9000, &out));
    //  a clock before the birth is not trusted
    assert_false (gw_pcache_get (cache, &key, 4000, &out));
    //  a new lookup refreshes it
    gw_pcache_put (cache, &key, 6000, gw_pcache_epoch (), -1, &in);
    assert_true (gw_pcache_get (cache, &key, 6500, &out));
    assert_int_equal (gw_pcache_size (cache), 1);
    gw_pcache_destroy (&cache);
}


static void
test_an_entry_never_outlives_its_credential (void **state)
{
    (void) state;
    gw_pcache_t *cache = gw_pcache_new (16, 1000);
    gw_pcache_key_t key, dying;
    gw_pcache_key_token ("tok", &key);
    gw_pcache_key_token ("dying", &dying);
    gw_principal_t in = s_principal ("boss"), out;
    gw_pcache_put (cache, &key, 100, gw_pcache_epoch (), 300, &in);
    assert_true (gw_pcache_get (cache, &key, 399, &out));
    assert_false (gw_pcache_get (cache, &key, 400, &out));
    //  a longer lifetime is still capped by ttl_ms
    gw_pcache_put (cache, &key, 100, gw_pcache_epoch (), 5000, &in);
    assert_true (gw_pcache_get (cache, &key, 1099, &out));
    assert_false (gw_pcache_get (cache, &key, 1100, &out));
    //  a credential at its end is not cached at all
    gw_pcache_put (cache, &dying, 100, gw_pcache_epoch (), 0, &in);
    assert_false (gw_pcache_get (cache, &dying, 100, &out));
    gw_pcache_destroy (&cache);
}


static void
test_a_full_cache_evicts_its_oldest_entry (void **state)
{
    (void) state;
    //  capacity 4: one set of 4 ways, so every key competes
    gw_pcache_t *cache = gw_pcache_new (3, 1000);
    gw_pcache_key_t keys[5];
    gw_principal_t out;
    char name[16];
    for (int i = 0; i < 5; i++) {
        snprintf (name, sizeof name, "tok-%d", i);
        gw_pcache_key_token (name, &keys[i]);
        gw_principal_t in = s_principal (name);
        gw_pcache_put (cache, &keys[i], 100 + i, gw_pcache_epoch (), -1, &in);
    }
    assert_int_equal (gw_pcache_size (cache), 4);
    assert_false (gw_pcache_get (cache, &keys[0], 200, &out)); //  oldest
    for (int i = 1; i < 5; i++) {
        assert_true (gw_pcache_get (cache, &keys[i], 200, &out));
        snprintf (name, sizeof name, "tok-%d", i);
        assert_string_equal (out.username, name);
    }
    gw_pcache_destroy (&cache);
    //  a big cache stays bounded too
    cache = gw_pcache_new (64, 1000);
    for (int i = 0; i < 1000; i++) {
        gw_pcache_key_t key;
        snprintf (name, sizeof name, "t%d", i);
        gw_pcache_key_token (name, &key);
        gw_principal_t in = s_principal ("x");
        gw_pcache_put (cache, &key, i, gw_pcache_epoch (), -1, &in);
    }
    assert_int_equal (gw_pcache_size (cache), 64);
    gw_pcache_destroy (&cache);
}


static void
test_invalidation_empties_every_cache_and_refuses_older_lookups (void **state)
{
    (void) state;
    gw_pcache_t *a = gw_pcache_new (16, 1000), *b = gw_pcache_new (16, 1000);
    gw_pcache_key_t key;
    gw_pcache_key_token ("tok", &key);
    gw_principal_t in = s_principal ("boss"), out;
    uint64_t before = gw_pcache_epoch ();
    gw_pcache_put (a, &key, 100, before, -1, &in);
    gw_pcache_put (b, &key, 100, before, -1, &in);
    assert_true (gw_pcache_get (a, &key, 100, &out));
    gw_pcache_invalidate_all ();
    assert_true (gw_pcache_epoch () != before);
    assert_false (gw_pcache_get (a, &key, 100, &out));
    assert_false (gw_pcache_get (b, &key, 100, &out));
    //  a lookup that started before the invalidation is not kept
    gw_pcache_put (a, &key, 100, before, -1, &in);
    assert_false (gw_pcache_get (a, &key, 100, &out));
    //  one that started after it is
    gw_pcache_put (a, &key, 101, gw_pcache_epoch (), -1, &in);
    assert_true (gw_pcache_get (a, &key, 101, &out));
    gw_pcache_destroy (&a);
    gw_pcache_destroy (&b);
}


static void
test_a_disabled_cache_never_hits (void **state)
{
    (void) state;
    gw_pcache_t *cache = gw_pcache_new (16, 0);
    gw_pcache_key_t key;
    gw_pcache_key_token ("tok", &key);
    gw_principal_t in = s_principal ("boss"), out;
    gw_pcache_put (cache, &key, 100, gw_pcache_epoch (), -1, &in);
    assert_false (gw_pcache_get (cache, &key, 100, &out));
    assert_int_equal (gw_pcache_size (cache), 0);
    gw_pcache_destroy (&cache);
}


static void
test_keys_differ_per_credential (void **state)
{
    (void) state;
    gw_pcache_key_t a, b, c, d, e;
    gw_pcache_key_token ("secret", &a);
    gw_pcache_key_token ("secret", &b);
    assert_memory_equal (&a, &b, sizeof a); //  stable within the process
    gw_pcache_key_api_key ("acme", "ci", "secret", &c);
    assert_memory_not_equal (&a, &c, sizeof a); //  token vs key
    //  the field boundary counts: "ac"+"mec" is not "acme"+"c"
    gw_pcache_key_api_key ("ac", "meci", "secret", &d);
    assert_memory_not_equal (&c, &d, sizeof c);
    gw_pcache_key_api_key ("acme", "ci", "secreT", &e);
    assert_memory_not_equal (&c, &e, sizeof c);
}


int
main (void)
{
    edge_log_init ("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_destroy_nullify),
        cmocka_unit_test (test_a_put_principal_is_a_hit_with_its_rights),
        cmocka_unit_test (test_an_entry_expires_ttl_after_its_lookup_started),
        cmocka_unit_test (test_an_entry_never_outlives_its_credential),
        cmocka_unit_test (test_a_full_cache_evicts_its_oldest_entry),
        cmocka_unit_test (
            test_invalidation_empties_every_cache_and_refuses_older_lookups),
        cmocka_unit_test (test_a_disabled_cache_never_hits),
        cmocka_unit_test (test_keys_differ_per_credential),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
