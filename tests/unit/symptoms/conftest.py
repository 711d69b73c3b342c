"""Fixtures of the symptoms handler tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.symptoms.handler_support import Harness, running


@pytest.fixture
async def harness(namespace: str) -> AsyncIterator[Harness]:
    async with running(namespace) as h:
        yield h
