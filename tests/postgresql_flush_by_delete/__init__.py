"""PostgreSQL as Django ships it, except that a transactional test's flush deletes rows instead of truncating.

pytest-django empties the database after every ``transaction=True`` test with Django's ``flush``, which on
PostgreSQL is one ``TRUNCATE`` of every table. A ``TRUNCATE`` gives each table, its TOAST table and each of its
indexes a new file (about 300 relations here, partitions included) and costs 1-3 s on this machine whatever the
tables hold; a ``DELETE`` of the few rows a test wrote costs under 0.1 s. With about 120 transactional tests
that was most of ``make test``'s time. As a superuser (the test database's owner here) the flush also turns
triggers off for its transaction, which skips the commit's deferred foreign-key check of every deleted row (0.5 s
after each test that synced the simulated market's instruments). Everything else (connections, types, SQL) is
Django's own backend.
"""
