"""The planned patient of the pre-visit tests, and a second with an esketamine plan."""

from __future__ import annotations

from tests.portal.conftest import sign_in  # noqa: F401 - the portal's browser fixture
from tests.previsit.conftest import planned  # noqa: F401 - Maya, a signed IV plan
