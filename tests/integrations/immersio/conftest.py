import pytest

from integrations.immersio.client import ImmersioClient
from tests.fakes.immersio_server import FakeImmersio

ORG = "org_hanoi"
KEY = "key_hanoi"
OTHER_ORG = "org_saigon"
OTHER_KEY = "key_saigon"


@pytest.fixture
def fake():
    server = FakeImmersio(rate_limit=None).start()
    server.add_org(ORG, api_key=KEY)
    server.add_org(OTHER_ORG, api_key=OTHER_KEY)
    yield server
    server.stop()


class Sleeps(list):
    """Records the waits a client asks for instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(fake, sleeps):
    api = ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, timeout=0.5, min_interval=0, sleep=sleeps)
    yield api
    api.close()
