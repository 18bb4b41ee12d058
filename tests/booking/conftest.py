import pytest


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run a service the way a request does: its after-commit signals (emails, pushes) fire."""
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)
    return run
