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


def no_sleep(seconds):
    pass


@pytest.fixture(autouse=True)
def _immersio_client_options(settings):
    # Configuration of the client: no pacing, timeouts generous enough for a loaded CI machine, retries without waiting.
    settings.IMMERSIO_CLIENT_OPTIONS = {"min_interval": 0, "timeout": 5.0, "max_retries": 2, "sleep": no_sleep}
    # The fake runs on this machine's clock: no margin, so "changed since" is exact.
    settings.IMMERSIO_SYNC_CLOCK_MARGIN_SECONDS = 0


def connect(tenant, fake, *, org=ORG, key=KEY, **fields):
    from integrations.models import ImmersioConnection

    fields.setdefault("webhook_secret", f"whsec-{tenant.subdomain}")
    fields.setdefault("sso_secret", f"sso-{tenant.subdomain}-0123456789abcdef0123456789abcdef")
    return ImmersioConnection.objects.create(tenant=tenant, base_url=fake.url, org_id=org, api_key=key, **fields)


@pytest.fixture
def connection(tenant, fake):
    return connect(tenant, fake)


@pytest.fixture
def other_connection(other_tenant, fake):
    return connect(other_tenant, fake, org=OTHER_ORG, key=OTHER_KEY)
