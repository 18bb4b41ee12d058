"""The fake Immersio API lives with the project (the demo uses it too); tests import it from here."""

from integrations.immersio.fake_server import FakeImmersio, Failure, Received, seed_demo

__all__ = ["FakeImmersio", "Failure", "Received", "seed_demo"]
