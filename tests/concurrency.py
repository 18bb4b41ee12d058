"""Run calls in threads that start at the same instant, for race-condition tests.

These tests only mean something on PostgreSQL (SQLite serialises writers), and
the data they race over must be committed, because each thread opens its own
database connection: mark them ``pytest.mark.postgres`` (skipped elsewhere, see
tests/conftest.py) and ``pytest.mark.django_db(transaction=True)``.

    from tests.concurrency import at_once, race

    answers = at_once([lambda: client.post(url) for client in clients])
    outcomes = race(10, lambda index: book(students[index]))

Every thread waits on one ``threading.Barrier`` before calling its function, so
the calls really do overlap. Each thread closes its own database connection when
it is done, so the test database can be dropped afterwards.

A call that raises does not kill the test run: the exception object takes that
call's place in the returned list, and the caller's assertions decide what it
means (usually: the test fails and shows it). Results come back in the order of
the calls, whatever order the threads finished in.
"""

import threading

from django.db import connection


def at_once(calls):
    """Run each zero-argument callable in ``calls`` in its own thread, all released together.

    Returns a list with, for each call in order, what it returned or the
    ``Exception`` it raised. Waits for every thread to finish.
    """
    calls = list(calls)
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - handed back to the caller's assertions
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def race(count, fn):
    """Call ``fn(index)`` for index 0..count-1 in ``count`` threads released together.

    Same result as :func:`at_once`: each call's return value or raised exception, by index.
    """
    return at_once([lambda index=index: fn(index) for index in range(count)])
